"""Edits that would move money wrongly are refused (upstream's UpdateInvoiceRequest): a
cancelled or reversed invoice is final, and no new total may fall below what has been paid on the invoice
(or applied from a credit). A refusal is a 422 in the validation envelope and changes nothing: the document,
the client's balances, the ledger, payments and activities read back the same."""

from __future__ import annotations

from typing import Any

import pytest
from invariants import assert_invariants
from test_invoice_actions import act
from test_invoices import make_client, web_line
from test_payments import client_row, pay, sent_invoice

from app import ids

INV = "/api/v1/invoices"
LOCKED = {
    "message": "The given data was invalid.",
    "errors": {"status_id": ["This invoice is locked and unable to be modified."]},
}
BELOW_PAID = {"message": "The given data was invalid.", "errors": {"amount": ["Invoice balance cannot go negative"]}}


async def state(db: Any, table: str, doc_id: str) -> dict[str, Any]:
    """Everything a refused edit must leave alone."""
    row = await db.fetchrow(
        f"SELECT amount, balance, paid_to_date, status_id, line_items::text AS lines, "
        f"private_notes, updated_at, client_id FROM {table} WHERE id = $1",
        ids.decode(doc_id),
    )
    client = await db.fetchrow(
        "SELECT balance, paid_to_date, credit_balance, payment_balance, updated_at FROM clients WHERE id = $1",
        row["client_id"],
    )
    return {
        "doc": dict(row),
        "client": dict(client),
        "ledger": [dict(r) for r in await db.fetch("SELECT * FROM company_ledgers ORDER BY id")],
        "payments": [dict(r) for r in await db.fetch("SELECT id, amount, applied, refunded FROM payments ORDER BY id")],
        "activities": await db.fetchval("SELECT count(*) FROM activities"),
    }


async def refused(
    api: Any,
    db: Any,
    company_id: str,
    path: str,
    doc_id: str,
    body: dict[str, Any],
    expected: dict[str, Any],
    table: str = "invoices",
) -> None:
    before = await state(db, table, doc_id)
    r = await api.put(path, json=body)
    assert r.status_code == 422, r.text
    assert r.json() == expected
    assert await state(db, table, doc_id) == before
    await assert_invariants(db, company_id)


def lines(cost: float) -> dict[str, Any]:
    return {"line_items": [web_line(quantity=1, cost=cost)]}


async def test_a_paid_invoice_cannot_be_edited_below_what_was_paid(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    assert (await act(api, inv["id"], "mark_paid")).status_code == 200
    for path in (f"{INV}/{inv['id']}", f"{INV}/{inv['id']}?paid=true", f"{INV}/{inv['id']}?amount_paid=5"):
        await refused(api, db, tenant_a.company_id, path, inv["id"], lines(40), BELOW_PAID)
    got = (await api.get(f"{INV}/{inv['id']}")).json()["data"]
    assert (got["amount"], got["balance"], got["paid_to_date"], got["status_id"]) == (100, 0, 100, "4")
    c = await client_row(api, client["id"])
    assert (c["balance"], c["paid_to_date"]) == (0, 100)
    r = await api.put(f"{INV}/{inv['id']}", json={"private_notes": "kept", **lines(100)})  # same total: fine
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "4" and r.json()["data"]["private_notes"] == "kept"


async def test_a_partly_paid_invoice_goes_down_to_what_was_paid_and_no_further(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    assert (await pay(api, client["id"], (inv["id"], 60))).status_code == 200
    await refused(api, db, tenant_a.company_id, f"{INV}/{inv['id']}", inv["id"], lines(59.99), BELOW_PAID)
    r = await api.put(f"{INV}/{inv['id']}", json=lines(60))
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert (got["amount"], got["balance"], got["paid_to_date"], got["status_id"]) == (60, 0, 60, "4")
    r = await api.put(f"{INV}/{inv['id']}", json=lines(90))  # and back up: owed again
    assert (r.json()["data"]["balance"], r.json()["data"]["status_id"]) == (30, "3")
    assert (await client_row(api, client["id"]))["balance"] == 30
    await assert_invariants(db, tenant_a.company_id)


@pytest.mark.parametrize("paid", [0, 30])
@pytest.mark.parametrize("action", ["cancel", "reverse"])
async def test_cancelled_and_reversed_invoices_are_final(api, db, tenant_a, action, paid):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    if paid:
        assert (await pay(api, client["id"], (inv["id"], paid))).status_code == 200
    assert (await act(api, inv["id"], action)).status_code == 200
    path = f"{INV}/{inv['id']}"
    for query, body in (
        ("", lines(250)),
        ("", lines(10)),
        ("", {"private_notes": "changed"}),
        ("?mark_sent=true", lines(250)),
        ("?paid=true", {}),
        ("?amount_paid=10", {}),
    ):
        await refused(api, db, tenant_a.company_id, path + query, inv["id"], body, LOCKED)
    got = (await api.get(path)).json()["data"]
    assert got["status_id"] == ("5" if action == "cancel" else "6") and got["amount"] == 100 and got["balance"] == 0


async def test_a_negative_invoice_with_nothing_paid_stays_editable(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], -50)
    r = await api.put(f"{INV}/{inv['id']}", json=lines(-80))
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["amount"], r.json()["data"]["balance"]) == (-80, -80)
    assert (await client_row(api, client["id"]))["balance"] == -80
    await assert_invariants(db, tenant_a.company_id)


async def test_a_credit_cannot_be_edited_below_what_was_applied(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    r = await api.post("/api/v1/credits?mark_sent=true", json={"client_id": client["id"], **lines(50)})
    credit = r.json()["data"]["id"]
    r = await pay(api, client["id"], (inv["id"], 30), amount=0, credits=[{"credit_id": credit, "amount": 30}])
    assert r.status_code == 200, r.text
    await refused(
        api, db, tenant_a.company_id, f"/api/v1/credits/{credit}", credit, lines(20), BELOW_PAID, table="credits"
    )
    r = await api.put(f"/api/v1/credits/{credit}", json=lines(40))
    assert r.status_code == 200 and r.json()["data"]["balance"] == 10
    assert (await client_row(api, client["id"]))["credit_balance"] == 10
    await assert_invariants(db, tenant_a.company_id)
