"""Bank transaction rules: the rule body validated (clear 422s that store nothing), rules applied when a
transaction is created (all/any conditions, the first firing rule wins, archived rules never run), with
auto_convert making the expense of a withdrawal or the payment of a deposit, and a rule save matching the
unmatched transactions again. The money invariants are checked after the tests that move money."""

from __future__ import annotations

from typing import Any

import pytest
from invariants import assert_invariants
from test_bank_transactions import bank, transaction
from test_invoices import make_client
from test_payments import client_row, sent_invoice

RULES = "/api/v1/bank_transaction_rules"
TX = "/api/v1/bank_transactions"


def cond(key: str, operator: str, value: Any = "") -> dict[str, Any]:
    return {"search_key": key, "operator": operator, "value": value}


async def rule(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post(RULES, json={"name": "Rule", **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def names(api: Any) -> tuple[str, str]:
    vendor = (await api.post("/api/v1/vendors", json={"name": "Coffee Co"})).json()["data"]["id"]
    category = (await api.post("/api/v1/expense_categories", json={"name": "Coffee"})).json()["data"]["id"]
    return vendor, category


async def test_rule_shape_and_defaults(api):
    made = await rule(api, rules=[cond("description", "contains", "coffee")])
    assert made["rules"] == [{"search_key": "description", "operator": "contains", "value": "coffee"}]
    assert made["applies_to"] == "CREDIT" and made["auto_convert"] is False and made["matches_on_all"] is False
    assert made["client_id"] == made["vendor_id"] == made["category_id"] == ""
    assert all(v is not None for v in made.values())
    r = await api.put(f"{RULES}/{made['id']}", json={"name": "Renamed", "applies_to": "DEBIT"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Renamed" and r.json()["data"]["applies_to"] == "DEBIT"
    blank = (await api.get(f"{RULES}/create")).json()["data"]
    assert blank["rules"] == [] and blank["applies_to"] == "CREDIT"


async def test_bad_rule_bodies_are_clear_422s_and_store_nothing(api, db):
    for body, field in (
        ({"name": ""}, "name"),
        ({"rules": "contains coffee"}, "rules"),
        ({"rules": [cond("description", "like", "x")]}, "rules.0.operator"),
        ({"rules": [cond("colour", "is", "red")]}, "rules.0.search_key"),
        ({"rules": [cond("amount", "contains", "5")]}, "rules.0.operator"),
        ({"rules": [cond("amount", ">", "lots")]}, "rules.0.value"),
        ({"rules": [cond("description", "is", "")]}, "rules.0.value"),
        ({"rules": ["x"]}, "rules.0"),
        ({"applies_to": "DEBIT", "rules": [cond("$invoice.number", "is")]}, "rules.0.search_key"),
        ({"applies_to": "SIDEWAYS"}, "applies_to"),
    ):
        r = await api.post(RULES, json={"name": "Bad", **body})
        assert r.status_code == 422 and list(r.json()["errors"]) == [field], (body, r.text)
    assert await db.fetchval("SELECT count(*) FROM bank_transaction_rules") == 0


async def test_debit_rule_sets_vendor_and_category_on_create(api):
    vendor, category = await names(api)
    made = await rule(
        api,
        applies_to="DEBIT",
        vendor_id=vendor,
        category_id=category,
        rules=[cond("description", "contains", "Cof fee")],
    )
    integration = await bank(api)
    tx = await transaction(api, integration, 4.5, base_type="DEBIT", description="STARBUCKS COFFEE 123")
    assert tx["status_id"] == "2" and tx["vendor_id"] == vendor and tx["ninja_category_id"] == category
    assert tx["bank_transaction_rule_id"] == made["id"] and tx["expense_id"] == ""
    # a deposit is not touched by a debit rule
    credit = await transaction(api, integration, 4.5, description="coffee refund")
    assert credit["status_id"] == "1" and credit["vendor_id"] == ""
    # convert_matched makes the expense with the category and vendor
    r = await api.post(f"{TX}/bulk", json={"action": "convert_matched", "ids": [tx["id"]]})
    [done] = r.json()["data"]
    assert done["status_id"] == "3" and done["expense_id"]
    expense = (await api.get(f"/api/v1/expenses/{done['expense_id']}")).json()["data"]
    assert expense["category_id"] == category and expense["vendor_id"] == vendor and expense["amount"] == 4.5


async def test_all_or_any_conditions_and_amount_operators(api):
    await rule(
        api,
        name="Big rent",
        applies_to="DEBIT",
        matches_on_all=True,
        rules=[cond("description", "starts_with", "rent"), cond("amount", ">=", 1000)],
    )
    integration = await bank(api)
    small = await transaction(api, integration, 999.99, base_type="DEBIT", description="Rent March")
    big = await transaction(api, integration, 1000, base_type="DEBIT", description="Rent April")
    other = await transaction(api, integration, 5000, base_type="DEBIT", description="Car")
    assert [t["status_id"] for t in (small, big, other)] == ["1", "2", "1"]
    await rule(
        api, name="Any", applies_to="DEBIT", rules=[cond("description", "is", "nope"), cond("amount", "=", 5000)]
    )
    again = await transaction(api, integration, 5000, base_type="DEBIT", description="Car")
    assert again["status_id"] == "2"


async def test_archived_rules_do_not_run_and_the_first_firing_rule_wins(api):
    v1 = (await api.post("/api/v1/vendors", json={"name": "First"})).json()["data"]["id"]
    v2 = (await api.post("/api/v1/vendors", json={"name": "Second"})).json()["data"]["id"]
    archived = await rule(api, applies_to="DEBIT", vendor_id=v2, rules=[cond("description", "contains", "shop")])
    await api.post(f"{RULES}/bulk", json={"action": "archive", "ids": [archived["id"]]})
    first = await rule(api, applies_to="DEBIT", vendor_id=v1, rules=[cond("description", "contains", "shop")])
    await rule(api, applies_to="DEBIT", vendor_id=v2, rules=[cond("description", "contains", "shop")])
    tx = await transaction(api, await bank(api), 9, base_type="DEBIT", description="Corner shop")
    assert tx["vendor_id"] == v1 and tx["bank_transaction_rule_id"] == first["id"]


async def test_auto_convert_debit_makes_the_expense(api, db):
    vendor, category = await names(api)
    await rule(
        api,
        applies_to="DEBIT",
        auto_convert=True,
        vendor_id=vendor,
        category_id=category,
        rules=[cond("description", "is", "coffee beans")],
    )
    tx = await transaction(api, await bank(api), 20, base_type="DEBIT", description="Coffee Beans", date="2026-05-06")
    assert tx["status_id"] == "3" and tx["expense_id"]
    expense = (await api.get(f"/api/v1/expenses/{tx['expense_id']}")).json()["data"]
    assert expense["amount"] == 20 and expense["vendor_id"] == vendor and expense["category_id"] == category
    assert expense["date"] == "2026-05-06" and expense["transaction_id"] == tx["id"]
    assert await db.fetchval("SELECT count(*) FROM expenses") == 1


async def test_credit_rule_suggests_the_invoice_and_auto_convert_pays_it(api, db, tenant_a):
    client = await make_client(api, "Payer")
    inv = await sent_invoice(api, client["id"], 75)
    other = await make_client(api, "Other")
    await sent_invoice(api, other["id"], 75)  # same amount, another client: the rule's client decides
    await rule(
        api,
        auto_convert=True,
        matches_on_all=True,
        client_id=client["id"],
        rules=[cond("$invoice.amount", "="), cond("description", "contains", "transfer")],
    )
    tx = await transaction(api, await bank(api), 75, description="Bank transfer")
    assert tx["status_id"] == "3" and tx["invoice_ids"] == inv["id"] and tx["payment_id"]
    assert (await api.get(f"/api/v1/invoices/{inv['id']}")).json()["data"]["status_id"] == "4"
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 75
    await assert_invariants(db, tenant_a.company_id)


async def test_credit_rule_on_a_payment_reference_suggests_the_payment(api, db, tenant_a):
    client = await make_client(api)
    r = await api.post(
        "/api/v1/payments", json={"client_id": client["id"], "amount": 30, "transaction_reference": "REF-777"}
    )
    payment = r.json()["data"]["id"]
    await rule(api, rules=[cond("$payment.transaction_reference", "contains")])
    tx = await transaction(api, await bank(api), 30, description="incoming REF-777 thanks")
    assert tx["status_id"] == "2" and tx["payment_id"] == payment
    r = await api.post(f"{TX}/bulk", json={"action": "convert_matched", "ids": [tx["id"]]})
    assert r.json()["data"][0]["status_id"] == "3"
    assert (await api.get(f"/api/v1/payments/{payment}")).json()["data"]["transaction_id"] == tx["id"]
    await assert_invariants(db, tenant_a.company_id)


async def test_saving_a_rule_matches_unmatched_transactions_again(api):
    vendor, _ = await names(api)
    integration = await bank(api)
    tx = await transaction(api, integration, 3, base_type="DEBIT", description="Parking meter")
    assert tx["status_id"] == "1"
    await rule(api, applies_to="DEBIT", vendor_id=vendor, rules=[cond("description", "contains", "parking")])
    after = (await api.get(f"{TX}/{tx['id']}")).json()["data"]
    assert after["status_id"] == "2" and after["vendor_id"] == vendor


async def test_rule_list_filter_and_sort(api):
    await rule(api, name="Beta")
    await rule(api, name="alpha", applies_to="DEBIT")
    r = await api.get(f"{RULES}?sort=name|asc")
    assert [x["name"] for x in r.json()["data"]] == ["alpha", "Beta"]
    r = await api.get(f"{RULES}?filter=bet")
    assert [x["name"] for x in r.json()["data"]] == ["Beta"]
    r = await api.get(f"{RULES}?applies_to=DEBIT")
    assert [x["name"] for x in r.json()["data"]] == ["alpha"]


CREDIT_CASES = [
    ("$invoice.number", "contains", "for {number} thanks", "invoice"),
    ("$invoice.po_number", "is", "PO-9", "invoice"),
    ("$invoice.amount", "=", "anything", "invoice"),
    ("$client.id_number", "is", "CID-1", "invoice"),
    ("$client.email", "is", "payer@example.test", "invoice"),
    ("$payment.amount", "=", "anything", "payment"),
    ("$payment.transaction_reference", "starts_with", "REF-5 extra", "payment"),
]


@pytest.mark.parametrize("key,operator,description,suggests", CREDIT_CASES, ids=[c[0] for c in CREDIT_CASES])
async def test_every_credit_key_finds_its_records(api, db, tenant_a, key, operator, description, suggests):
    client = await make_client(api, "Payer", id_number="CID-1")
    await api.put(f"/api/v1/clients/{client['id']}", json={"contacts": [{"email": "payer@example.test"}]})
    other = await make_client(api, "Other")
    await sent_invoice(api, other["id"], 99)  # neither amount, number nor client fits
    inv = await sent_invoice(api, client["id"], 40, po_number="PO-9")
    payment = None
    if suggests == "payment":
        r = await api.post(
            "/api/v1/payments", json={"client_id": client["id"], "amount": 40, "transaction_reference": "REF-5"}
        )
        payment = r.json()["data"]["id"]
    conditions = [cond(key, operator)]
    if key.startswith("$client"):  # a client condition narrows what the other conditions find
        conditions.append(cond("$invoice.amount", "="))
    made = await rule(api, matches_on_all=True, rules=conditions)
    text = description.format(number=inv["number"])
    if key != "$invoice.number":
        text = text.replace(inv["number"], "")
    tx = await transaction(api, await bank(api), 40, description=text)
    assert tx["status_id"] == "2" and tx["bank_transaction_rule_id"] == made["id"], tx
    if suggests == "invoice":
        assert tx["invoice_ids"] == inv["id"] and tx["payment_id"] == ""
    else:
        assert tx["payment_id"] == payment
    await assert_invariants(db, tenant_a.company_id)


async def test_a_credit_rule_that_finds_nothing_does_not_fire(api):
    await rule(api, rules=[cond("$invoice.po_number", "is")])
    tx = await transaction(api, await bank(api), 40, description="PO-404")
    assert tx["status_id"] == "1" and tx["bank_transaction_rule_id"] == ""
