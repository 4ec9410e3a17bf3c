"""Billing documents: invoices, quotes, credits and recurring invoices.

    base.py                 BillingService, the engine all four share and the parent of their services
    invoices.py, quotes.py, credits.py, recurring.py   each document's own rules, actions and flags
    invoice_transitions.py  the invoice's state changes that move money (sent, paid, cancelled, reversed,
                            deleted, restored)
    invoice_payments.py     mark_paid and ?amount_paid: a payment made from the invoice
    context.py              the client -> group -> company settings a document is written under
    totals.py, calc.py      totals on every save; the calculation engine (upstream's rounding)
    lines.py                line items normalised; products kept in step
    invitations.py          who receives a document
    flags.py                BillingFlags, the follow-up actions of a create or update

Purchase orders are billing documents too: their service will subclass BillingService, in a vendors package.
"""
