"""Invoice actions: mark_sent, mark_paid, cancel, reverse, email, clones, archive/
restore/delete with their balance effects, the create/update query flags; the money invariants after each."""

from __future__ import annotations

from typing import Any

from invariants import assert_invariants
from test_invoices import make_client, web_line
from test_payments import client_row, invoice, pay, sent_invoice

from app import ids

INV = "/api/v1/invoices"


async def draft(api: Any, client_id: str, cost: float = 100, **body: Any) -> dict[str, Any]:
    r = await api.post(INV, json={"client_id": client_id, "line_items": [web_line(quantity=1, cost=cost)], **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def act(api: Any, invoice_id: str, action: str) -> Any:
    return await api.get(f"{INV}/{invoice_id}/{action}")


async def ledger(db: Any) -> list[tuple[float, float, str]]:
    return [
        (float(r["adjustment"]), float(r["balance"]), r["notes"])
        for r in await db.fetch("SELECT adjustment, balance, notes FROM company_ledgers ORDER BY id")
    ]


async def test_mark_sent(api, db, tenant_a):
    client = await make_client(api, payment_terms="14")
    inv = await draft(api, client["id"], 120)
    r = await act(api, inv["id"], "mark_sent")
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert got["status_id"] == "2" and got["balance"] == 120 and got["invitations"][0]["sent_date"] != ""
    assert (await client_row(api, client["id"]))["balance"] == 120
    assert await ledger(db) == [(120, 120, f"Invoice {inv['number']} marked as sent.")]
    r = await act(api, inv["id"], "mark_sent")  # no-op unless draft
    assert r.status_code == 200 and await ledger(db) == [(120, 120, f"Invoice {inv['number']} marked as sent.")]
    await assert_invariants(db, tenant_a.company_id)


async def test_mark_paid(api, db, tenant_a):
    client = await make_client(api)
    inv = await draft(api, client["id"], 36000, partial=6000)
    r = await act(api, inv["id"], "mark_paid")
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert got["status_id"] == "4" and got["balance"] == 0 and got["paid_to_date"] == 36000 and got["partial"] == 0
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 36000
    payments = (await api.get("/api/v1/payments")).json()["data"]
    assert (
        len(payments) == 1 and payments[0]["amount"] == 36000 and payments[0]["transaction_reference"] == "Manual entry"
    )
    assert (await ledger(db))[-1] == (-36000, 0, "Marked Paid Activity")
    types = [
        r["activity_type_id"]
        for r in await db.fetch("SELECT activity_type_id FROM activities WHERE payment_id IS NOT NULL ORDER BY id")
    ]
    assert types == [10, 54]
    r = await act(api, inv["id"], "mark_paid")
    assert r.status_code == 400 and r.json() == {"message": "Invoice cannot be marked as paid", "errors": {}}
    await assert_invariants(db, tenant_a.company_id)


async def test_unknown_action_and_upload_path(api, tenant_a):
    client = await make_client(api)
    inv = await draft(api, client["id"])
    r = await act(api, inv["id"], "explode")
    assert r.status_code == 400
    assert r.json() == {"message": "The requested action explode is not available.", "errors": {}}
    assert (await act(api, inv["id"], "upload")).status_code == 405
    assert (await act(api, "nope", "mark_sent")).status_code == 404


async def test_cancel_and_reverse(api, db, tenant_a):
    client = await make_client(api)
    a = await sent_invoice(api, client["id"], 100)
    b = await sent_invoice(api, client["id"], 50)
    await pay(api, client["id"], (b["id"], 20))
    r = await act(api, a["id"], "cancel")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "5" and r.json()["data"]["balance"] == 0
    assert (await client_row(api, client["id"]))["balance"] == 30
    assert (await ledger(db))[-1] == (-100, 30, f"Invoice {a['number']} cancellation")
    r = await act(api, b["id"], "reverse")
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert got["status_id"] == "6" and got["balance"] == 0 and got["paid_to_date"] == 0
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 20 and c["payment_balance"] == 20  # payment now unapplied
    p = (await api.get("/api/v1/payments")).json()["data"][0]
    assert p["applied"] == 0 and p["amount"] == 20
    r = await act(api, a["id"], "reverse")  # a cancelled invoice can be reversed: un-cancel first
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "6"
    assert (await client_row(api, client["id"]))["balance"] == 0
    await assert_invariants(db, tenant_a.company_id)


async def test_email(api, db, tenant_a):
    client = await make_client(api)
    inv = await draft(api, client["id"])
    r = await act(api, inv["id"], "email")
    assert r.status_code == 200 and r.json() == {
        "message": "Marked as sent. No e-mail was sent: this server does not send mail yet."
    }
    got = await invoice(api, inv["id"])
    assert got["status_id"] == "2" and got["invitations"][0]["sent_date"] != "" and got["last_sent_date"] != ""
    assert await db.fetchval("SELECT count(*) FROM activities WHERE activity_type_id = 6") == 1
    await assert_invariants(db, tenant_a.company_id)


async def test_clones(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 75, po_number="PO-9")
    r = await act(api, inv["id"], "clone_to_invoice")
    assert r.status_code == 200, r.text
    clone = r.json()["data"]
    assert clone["id"] != inv["id"] and clone["status_id"] == "1" and clone["amount"] == 75
    assert clone["po_number"] == "PO-9" and clone["number"] != inv["number"]
    r = await act(api, inv["id"], "clone_to_quote")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["entity_type"] == "quote" and r.json()["data"]["amount"] == 75
    r = await api.post(f"{INV}/bulk", json={"action": "clone_to_invoice", "ids": [inv["id"]]})
    assert r.status_code == 200 and await db.fetchval("SELECT count(*) FROM invoices") == 3
    await assert_invariants(db, tenant_a.company_id)


async def test_delete_and_restore_paid_invoice(api, db, tenant_a):
    """DeleteInvoiceTest::testDeleteAndRestoreInvoice: 36000 with 6000 paid."""
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 36000, partial=6000)
    p = (await pay(api, client["id"], (inv["id"], 6000))).json()["data"]
    got = await invoice(api, inv["id"])
    assert got["balance"] == 30000 and got["paid_to_date"] == 6000 and got["status_id"] == "3" and got["partial"] == 0
    r = await api.delete(f"{INV}/{inv['id']}")
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
    assert r.json()["data"]["balance"] == 30000 and r.json()["data"]["number"].endswith("_Deleted")
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 0
    gone = (await api.get(f"/api/v1/payments/{p['id']}")).json()["data"]
    assert gone["is_deleted"] is True and gone["amount"] == 0 and gone["status_id"] == "4"
    await assert_invariants(db, tenant_a.company_id)
    r = await api.post(f"{INV}/bulk", json={"action": "restore", "ids": [inv["id"]]})
    assert r.status_code == 200, r.text
    got = await invoice(api, inv["id"])
    assert got["is_deleted"] is False and got["balance"] == 30000 and got["paid_to_date"] == 6000
    assert got["number"] == inv["number"]
    c = await client_row(api, client["id"])
    assert c["balance"] == 30000 and c["paid_to_date"] == 6000
    back = (await api.get(f"/api/v1/payments/{p['id']}")).json()["data"]
    assert back["is_deleted"] is False and back["amount"] == 6000 and back["applied"] == 6000
    await assert_invariants(db, tenant_a.company_id)


async def test_delete_sent_and_archive(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 20)
    r = await api.post(f"{INV}/bulk", json={"action": "archive", "ids": [inv["id"]]})
    assert r.status_code == 200 and (await client_row(api, client["id"]))["balance"] == 20  # still owed
    r = await api.post(f"{INV}/bulk", json={"action": "delete", "ids": [inv["id"]]})
    assert r.json()["data"][0]["balance"] == 20 and (await client_row(api, client["id"]))["balance"] == 0
    assert (await ledger(db))[-1] == (-20, 0, "Invoice Deleted - reducing ledger balance")
    await assert_invariants(db, tenant_a.company_id)


async def test_query_flags(api, db, tenant_a):
    client = await make_client(api)
    body = {"client_id": client["id"], "line_items": [web_line(quantity=1, cost=20)]}
    r = await api.post(f"{INV}?amount_paid=10", json=body)  # InvoiceAmountPaymentTest
    assert r.status_code == 200, r.text
    got = r.json()["data"]
    assert got["balance"] == 10 and got["paid_to_date"] == 10 and got["status_id"] == "3"
    r = await api.post(f"{INV}?paid=true&reference=cheque 5", json=body)
    got = r.json()["data"]
    assert got["status_id"] == "4" and got["balance"] == 0
    refs = [x["transaction_reference"] for x in (await api.get("/api/v1/payments?sort=id|asc")).json()["data"]]
    assert refs == ["Manual entry", "cheque 5"]
    d = await draft(api, client["id"], 40)
    r = await api.put(f"{INV}/{d['id']}?mark_sent=true", json={"po_number": "x"})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "2" and r.json()["data"]["balance"] == 40
    r = await api.put(f"{INV}/{d['id']}?paid=true", json={"po_number": "y"})
    assert r.json()["data"]["status_id"] == "4"
    r = await api.put(f"{INV}/{d['id']}?paid=true", json={"po_number": "z"})  # already paid: flag ignored
    assert r.status_code == 200 and r.json()["data"]["po_number"] == "z"
    c = await client_row(api, client["id"])
    assert c["balance"] == 10 and c["paid_to_date"] == 70
    creates = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE invoice_id = $1 ORDER BY id", ids.decode(got["id"])
    )
    assert [r["activity_type_id"] for r in creates][-1] == 4  # flags run before the create activity
    await assert_invariants(db, tenant_a.company_id)


async def test_bulk_actions(api, db, tenant_a):
    client = await make_client(api)
    a, b = await draft(api, client["id"], 10), await draft(api, client["id"], 30)
    r = await api.post(f"{INV}/bulk", json={"action": "mark_sent", "ids": [a["id"], b["id"]]})
    assert r.status_code == 200 and {x["status_id"] for x in r.json()["data"]} == {"2"}
    r = await api.post(f"{INV}/bulk", json={"action": "mark_paid", "ids": [a["id"], b["id"]]})
    assert {x["status_id"] for x in r.json()["data"]} == {"4"}
    r = await api.post(f"{INV}/bulk", json={"action": "mark_paid", "ids": [a["id"]]})  # skipped silently
    assert r.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM payments") == 2
    r = await api.post(f"{INV}/bulk", json={"action": "explode", "ids": [a["id"]]})
    assert r.status_code == 422
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 40
    await assert_invariants(db, tenant_a.company_id)


async def test_update_of_a_partly_paid_invoice(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 100)
    await pay(api, client["id"], (inv["id"], 30))
    r = await api.put(f"{INV}/{inv['id']}", json={"line_items": [web_line(quantity=1, cost=150)]})
    assert r.status_code == 200
    got = r.json()["data"]
    assert got["amount"] == 150 and got["balance"] == 120 and got["status_id"] == "3"
    assert (await client_row(api, client["id"]))["balance"] == 120
    await assert_invariants(db, tenant_a.company_id)


async def test_mark_paid_edge_cases(api, db, tenant_a):
    client = await make_client(api)
    zero = await draft(api, client["id"], 0)
    r = await act(api, zero["id"], "mark_paid")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "4"
    assert await db.fetchval("SELECT count(*) FROM payments") == 0
    gone = await draft(api, client["id"], 10)
    await api.delete(f"{INV}/{gone['id']}")
    r = await act(api, gone["id"], "mark_paid")
    assert r.status_code == 400 and r.json() == {"message": "Invoice cannot be marked as paid", "errors": {}}
    cancelled = await sent_invoice(api, client["id"], 10)
    await act(api, cancelled["id"], "cancel")
    assert (await act(api, cancelled["id"], "mark_paid")).status_code == 400
    r = await api.put(f"{INV}/{cancelled['id']}", json={"status_id": "5"})
    assert r.status_code == 422
    await assert_invariants(db, tenant_a.company_id)


async def test_amount_paid_above_the_balance_leaves_the_rest_unapplied(api, db, tenant_a):
    client = await make_client(api)
    r = await api.post(
        f"{INV}?amount_paid=30", json={"client_id": client["id"], "line_items": [web_line(quantity=1, cost=20)]}
    )
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "4" and r.json()["data"]["balance"] == 0
    p = (await api.get("/api/v1/payments")).json()["data"][0]
    assert p["amount"] == 30 and p["applied"] == 20
    c = await client_row(api, client["id"])
    assert c["paid_to_date"] == 30 and c["payment_balance"] == 10 and c["balance"] == 0
    for junk in ("abc", "-5", "NaN", "1e30"):  # ignored, as upstream ignores flags it cannot use
        r = await api.post(f"{INV}?amount_paid={junk}", json={"client_id": client["id"]})
        assert r.status_code == 200 and r.json()["data"]["status_id"] == "1"
    await assert_invariants(db, tenant_a.company_id)


async def test_query_flags_also_apply_to_a_form_override_of_put(api, db, tenant_a):
    """`POST /invoices/{id}?mark_sent=true` with `_method=PUT` (how PHP clients send uploads) honours the flag."""
    client = (await api.post("/api/v1/clients", json={"name": "Override Co"})).json()["data"]["id"]
    invoice = (
        await api.post("/api/v1/invoices", json={"client_id": client, "line_items": [{"quantity": 1, "cost": 30}]})
    ).json()["data"]
    r = await api.post(
        f"/api/v1/invoices/{invoice['id']}?mark_sent=true",
        data={"_method": "PUT", "po_number": "PO-1"},
        files={"documents[]": ("a.txt", b"hello", "text/plain")},
    )
    assert r.status_code == 200, r.text
    body = r.json()["data"]
    assert body["status_id"] == "2" and body["po_number"] == "PO-1" and body["balance"] == 30
    assert (await api.get(f"/api/v1/clients/{client}")).json()["data"]["balance"] == 30
    await assert_invariants(db, tenant_a.company_id)
