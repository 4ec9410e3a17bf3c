"""Banking: bank transactions of the manual bank accounts, matching them to invoices, payments and
expenses, and the rules that match them when they are recorded.

    transactions.py  BankTransactionService: CRUD, `match`, bulk convert_matched / unlink
    match.py         the `POST /bank_transactions/match` body, checked against the company's rows
    convert.py       the conversions: a payment through the payment service, links, a new expense
    rules.py         matching one transaction by the invoice number and the company's rules
    conditions.py    what a rule's conditions may say, and whether one holds
    rule_service.py  BankTransactionRuleService: rules validated, transactions matched again on save
"""
