"""Credits end to end: the invoice's shape and engine on the credits table, numbering (own counter or the
invoice's), the lifecycle and its effect on the client's credit_balance and paid_to_date, apply_credit (the
contract POST /payments relies on), filters, tenancy and hostile input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from test_invoices import UPSTREAM_KEYS, count, make_client
from test_quotes import set_company

from app import ids
from app.auth import Principal
from app.errors import Invalid
from app.services.billing.credits import apply_credit, lock_credits
from app.services.money import lock_client

BASE = "/api/v1/credits"
CREDIT_KEYS = (UPSTREAM_KEYS - {"recurring_id", "auto_bill_enabled"}) | {"invoice_id"}


async def make_credit(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"client_id": client_id, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def act(api: Any, credit: dict[str, Any], action: str, status: int = 200) -> dict[str, Any]:
    r = await api.get(f"{BASE}/{credit['id']}/{action}")
    assert r.status_code == status, r.text
    return r.json()


async def client_money(db: Any, client: dict[str, Any]) -> tuple[Any, ...]:
    row = await db.fetchrow(
        "SELECT balance, paid_to_date, credit_balance FROM clients WHERE id = $1", ids.decode(client["id"])
    )
    return tuple(row)


def lines(cost: Any) -> list[dict[str, Any]]:
    return [{"quantity": 1, "cost": cost}]


async def test_create_shape_totals_and_numbering(api, db):
    client = await make_client(api)
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) == CREDIT_KEYS and blank["entity_type"] == "credit" and blank["invoice_id"] == ""
    c = await make_credit(
        api,
        client["id"],
        line_items=[{"quantity": 2, "cost": 25}],
        tax_name1="VAT",
        tax_rate1=10,
        balance=99,
        status_id="4",
        paid_to_date=3,
    )
    assert set(c) == CREDIT_KEYS
    for key, value in c.items():
        assert value is not None, key
    assert (c["amount"], c["total_taxes"], c["balance"], c["paid_to_date"], c["status_id"]) == (55, 5, 0, 0, "1")
    assert c["number"] == "0001" and c["entity_type"] == "credit"
    assert c["invitations"][0]["link"].startswith("http://testserver/client/credit/")
    assert [
        r["activity_type_id"]
        for r in await db.fetch("SELECT activity_type_id FROM activities WHERE credit_id = $1", ids.decode(c["id"]))
    ] == [14]
    assert await client_money(db, client) == (0, 0, 0)  # a draft moves nothing
    # credits are numbered on save even with when_sent; the invoice counter when shared
    await set_company(api, db, counter_number_applied="when_sent", credit_number_pattern="CR-")
    assert (await make_credit(api, client["id"]))["number"] == "CR-0002"
    await set_company(api, db, shared_invoice_credit_counter=True)
    assert (await make_credit(api, client["id"]))["number"] == "CR-0001"
    settings = await db.fetchval("SELECT settings FROM companies ORDER BY id LIMIT 1")
    assert settings["invoice_number_counter"] == 2 and settings["credit_number_counter"] == 3
    r = await api.post(BASE, json={"client_id": client["id"], "number": "CR-0001"})
    assert r.status_code == 422 and r.json()["errors"]["number"] == ["The number has already been taken."]


async def test_mark_sent_update_delete_restore_move_credit_balance(api, db):
    client = await make_client(api)
    c = await make_credit(api, client["id"], line_items=lines(100))
    sent = (await act(api, c, "mark_sent"))["data"]
    assert (sent["status_id"], sent["balance"], sent["amount"]) == ("2", 100, 100)
    assert sent["invitations"][0]["sent_date"] != ""
    assert await client_money(db, client) == (0, 0, 100)
    assert await count(db, "company_ledgers") == 0  # R7: credit mark_sent is not ledgered
    await act(api, c, "mark_sent")  # only drafts: a second call changes nothing
    assert await client_money(db, client) == (0, 0, 100)
    r = await api.put(f"{BASE}/{c['id']}", json={"line_items": lines(130)})
    assert r.status_code == 200 and (r.json()["data"]["balance"], r.json()["data"]["status_id"]) == (130, "2")
    assert await client_money(db, client) == (0, 0, 130)
    assert (await act(api, c, "archive"))["data"]["archived_at"] > 0
    assert await client_money(db, client) == (0, 0, 130)  # archiving moves nothing
    await act(api, c, "restore")
    deleted = (await act(api, c, "delete"))["data"]
    assert deleted["is_deleted"] is True and await client_money(db, client) == (0, 0, 0)
    await act(api, c, "delete")  # already deleted: no second effect
    assert await client_money(db, client) == (0, 0, 0)
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [c["id"]]})
    assert r.status_code == 200 and await client_money(db, client) == (0, 0, 130)
    types = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE credit_id = $1 ORDER BY id", ids.decode(c["id"])
        )
    ]
    assert types == [14, 15, 16, 28, 17, 28]
    # drafts have no balance: deleting one moves nothing
    draft = await make_credit(api, client["id"], line_items=lines(10))
    await api.delete(f"{BASE}/{draft['id']}")
    assert await client_money(db, client) == (0, 0, 130)


async def test_credit_note_for_an_invoice(api, db):
    client = await make_client(api)
    invoice = (await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": lines(100)})).json()
    await db.execute("UPDATE clients SET paid_to_date = 100 WHERE id = $1", ids.decode(client["id"]))
    c = await make_credit(api, client["id"], invoice_id=invoice["data"]["id"], line_items=lines(100))
    assert (c["status_id"], c["balance"], c["invoice_id"]) == ("2", 100, invoice["data"]["id"])
    assert await client_money(db, client) == (0, 0, 100)
    await api.delete(f"{BASE}/{c['id']}")
    assert await client_money(db, client) == (0, 100, 0)
    await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [c["id"]]})
    assert await client_money(db, client) == (0, 0, 100)
    other = await make_client(api, "Other")
    r = await api.post(BASE, json={"client_id": other["id"], "invoice_id": invoice["data"]["id"]})
    assert r.status_code == 422 and "invoice_id" in r.json()["errors"]
    r = await api.put(f"{BASE}/{c['id']}", json={"invoice_id": "", "po_number": "x"})
    assert r.status_code == 422 and "invoice_id" in r.json()["errors"]
    r = await api.put(f"{BASE}/{c['id']}", json={"invoice_id": invoice["data"]["id"], "po_number": "y"})
    assert r.status_code == 200 and r.json()["data"]["po_number"] == "y"


async def test_email_and_unknown_action(api, db):
    client = await make_client(api)
    c = await make_credit(api, client["id"], line_items=lines(5))
    assert await act(api, c, "email") == {
        "message": "Marked as sent. No e-mail was sent: this server does not send mail yet."
    }
    shown = (await api.get(f"{BASE}/{c['id']}")).json()["data"]
    assert shown["status_id"] == "2" and shown["last_sent_date"] != "" and shown["invitations"][0]["sent_date"]
    assert await client_money(db, client) == (0, 0, 5)
    r = await api.get(f"{BASE}/{c['id']}/approve")
    assert r.status_code == 400 and r.json() == {
        "message": "The requested action approve is not available.",
        "errors": {},
    }
    r = await api.post(f"{BASE}/bulk", json={"action": "convert", "ids": [c["id"]]})
    assert r.status_code == 422


# ---- apply_credit: the contract POST /payments uses --------------------------------------------------
def principal(tenant: Any) -> Principal:
    return Principal(
        company_id=ids.decode(tenant.company_id),
        user_id=ids.decode(tenant.user_id),
        account_id=0,
        token_id=0,
        is_admin=True,
        is_owner=True,
        permissions=frozenset(),
    )


async def test_apply_credit(api, db, tenant_a):
    who = principal(tenant_a)
    client = await make_client(api)
    client_id = ids.decode(client["id"])
    invoice = (await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": lines(80)})).json()
    invoice_id = ids.decode(invoice["data"]["id"])
    c = await make_credit(api, client["id"], line_items=lines(50))
    await act(api, c, "mark_sent")
    await db.execute("UPDATE clients SET balance = 80 WHERE id = $1", client_id)

    async def apply(amount: Any, credit: dict[str, Any] = c) -> None:
        async with db.transaction():
            await lock_client(db, who.company_id, client_id)
            [row] = await lock_credits(db, who.company_id, [ids.decode(credit["id"])])
            await apply_credit(db, who, row, Decimal(amount), invoice_id)

    await apply("20")
    shown = (await api.get(f"{BASE}/{c['id']}")).json()["data"]
    assert (shown["balance"], shown["paid_to_date"], shown["status_id"], shown["amount"]) == (30, 20, "3", 50)
    assert shown["line_items"][-1]["notes"].endswith(f"Credit applied to Invoice {invoice['data']['number']} 20")
    assert shown["line_items"][-1]["quantity"] == 0 and len(shown["line_items"]) == 2
    assert await client_money(db, client) == (80, 0, 30)  # client balance/paid_to_date are the payment's job
    ledger = await db.fetchrow("SELECT ledgerable_type, adjustment, balance, notes, activity_id FROM company_ledgers")
    assert tuple(ledger) == ("credit", 0, 80, f"Credit payment applied to Invoice {invoice['data']['number']}", 15)
    activity = await db.fetchrow(
        "SELECT activity_type_id, invoice_id, client_id FROM activities WHERE credit_id = $1 ORDER BY id DESC LIMIT 1",
        ids.decode(c["id"]),
    )
    assert tuple(activity) == (15, invoice_id, client_id)
    for bad in ("30.01", "0", "-5"):
        with pytest.raises(Invalid) as caught:
            await apply(bad)
        assert "credits" in caught.value.errors
    async with db.transaction():  # a stale row (the same credit twice in one payment) is re-read
        await lock_client(db, who.company_id, client_id)
        [row] = await lock_credits(db, who.company_id, [ids.decode(c["id"])])
        await apply_credit(db, who, row, Decimal("10"), invoice_id)
        with pytest.raises(Invalid):
            await apply_credit(db, who, row, Decimal("25"), invoice_id)
        await apply_credit(db, who, row, Decimal("20"), invoice_id)
    shown = (await api.get(f"{BASE}/{c['id']}")).json()["data"]
    assert (shown["balance"], shown["paid_to_date"], shown["status_id"]) == (0, 50, "4")
    assert await client_money(db, client) == (80, 0, 0)
    # a draft credit is marked sent first, then applied
    draft = await make_credit(api, client["id"], line_items=lines(10))
    await apply("4", draft)
    shown = (await api.get(f"{BASE}/{draft['id']}")).json()["data"]
    assert (shown["balance"], shown["status_id"]) == (6, "3") and await client_money(db, client) == (80, 0, 6)
    await api.delete(f"{BASE}/{draft['id']}")
    with pytest.raises(Invalid):
        await apply("1", draft)
    other = await make_client(api, "Other")
    foreign = await make_credit(api, other["id"], line_items=lines(10))
    async with db.transaction():
        [row] = await lock_credits(db, who.company_id, [ids.decode(foreign["id"])])
        with pytest.raises(Invalid):  # the invoice is another client's
            await apply_credit(db, who, row, Decimal(1), invoice_id)
    assert (await api.get(f"{BASE}/{foreign['id']}")).json()["data"]["status_id"] == "1"
    assert await client_money(db, client) == (80, 0, 0)


# ---- filters, tenancy, hostile input ---------------------------------------------------------------
async def listed(api: Any, query: str) -> list[str]:
    r = await api.get(f"{BASE}?{query}")
    assert r.status_code == 200, r.text
    return [row["number"] for row in r.json()["data"]]


async def test_filters(api, db, tenant_a):
    acme, zeta = await make_client(api, "Acme"), await make_client(api, "Zeta")
    draft = await make_credit(api, acme["id"], line_items=lines(10), po_number="PO-1")
    partial = await make_credit(api, zeta["id"], line_items=lines(20), date="2024-02-01")
    applied = await make_credit(api, zeta["id"], line_items=lines(30), custom_value3="green")
    await db.execute("UPDATE credits SET status_id = 3 WHERE id = $1", ids.decode(partial["id"]))
    await db.execute("UPDATE credits SET status_id = 4 WHERE id = $1", ids.decode(applied["id"]))
    n = [draft["number"], partial["number"], applied["number"]]
    assert await listed(api, "client_status=draft") == [n[0]]
    assert await listed(api, "client_status=partial") == [n[1]]
    assert await listed(api, "client_status=applied") == [n[2]]
    assert await listed(api, "client_status=partial,applied&sort=id|asc") == n[1:]
    assert await listed(api, "status_id=1,4&sort=id|asc") == [n[0], n[2]]
    assert await listed(api, f"number={n[1]}") == [n[1]]
    assert await listed(api, f"client_id={zeta['id']}&sort=id|asc") == n[1:]
    assert await listed(api, "date_range=2024-01-01,2024-02-28") == [n[1]]
    assert await listed(api, "filter=green") == [n[2]] and await listed(api, "filter=PO-1") == [n[0]]
    assert await listed(api, "sort=amount|asc") == n
    assert await listed(api, "sort=number|desc") == n[::-1]


async def test_tenant_isolation(api, api_b, db, tenant_b):
    mine = await make_client(api)
    theirs = await make_client(api_b, "Other")
    their_credit = await make_credit(api_b, theirs["id"], line_items=lines(5))
    their_invoice = (await api_b.post("/api/v1/invoices", json={"client_id": theirs["id"]})).json()["data"]
    before = await client_money(db, theirs)
    snapshot = await db.fetchrow("SELECT * FROM credits WHERE id = $1", ids.decode(their_credit["id"]))
    for credit_id in (their_credit["id"], ids.encode(10**9)):
        for method, path in (
            ("get", ""),
            ("delete", ""),
            ("get", "/mark_sent"),
            ("get", "/email"),
            ("get", "/delete"),
            ("get", "/nope"),
        ):
            r = await getattr(api, method)(f"{BASE}/{credit_id}{path}")
            assert r.status_code == 404 and r.json() == {"message": "Credit not found", "errors": {}}, path
        r = await api.put(f"{BASE}/{credit_id}", json={"po_number": "x"})
        assert r.status_code == 404
    r = await api.post(BASE, json={"client_id": theirs["id"], "line_items": lines(1)})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    r = await api.post(BASE, json={"client_id": mine["id"], "invoice_id": their_invoice["id"]})
    assert r.status_code == 422 and "invoice_id" in r.json()["errors"]
    for action in ("mark_sent", "delete", "email"):
        r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [their_credit["id"]]})
        assert r.status_code == 422 and "ids" in r.json()["errors"]
    assert await listed(api, "") == []
    assert await db.fetchrow("SELECT * FROM credits WHERE id = $1", ids.decode(their_credit["id"])) == snapshot
    assert await client_money(db, theirs) == before
    assert await count(db, "credits") == 1


async def test_hostile_input(api, db):
    client = await make_client(api)
    c = await make_credit(api, client["id"], line_items=lines(1))
    await act(api, c, "mark_sent")
    before = (
        await count(db, "credits"),
        await client_money(db, client),
        await db.fetchval("SELECT settings FROM companies"),
    )
    cases = [
        {"line_items": lines(1) * 501},
        {"line_items": [{"quantity": "NaN", "cost": 1}]},
        {"line_items": lines(10**20)},
        {"line_items": [{"quantity": 1, "cost": "-Infinity"}]},
        {"discount": "NaN"},
        {"exchange_rate": "Infinity"},
        {"line_items": lines(6 * 10**13) * 2},
        {"invoice_id": "garbage"},
        {"tax_rate1": 10**14},
    ]
    for body in cases:
        r = await api.post(BASE, json={"client_id": client["id"], **body})
        assert r.status_code == 422, (body, r.text)
        r = await api.put(f"{BASE}/{c['id']}", json=body)
        assert r.status_code == 422, (body, r.text)
    raw = '{{"client_id": "{}", "line_items": [{{"quantity": 1, "cost": NaN}}]}}'.format(client["id"])
    r = await api.post(BASE, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    after = (
        await count(db, "credits"),
        await client_money(db, client),
        await db.fetchval("SELECT settings FROM companies"),
    )
    assert after == before
    shown = (await api.get(f"{BASE}/{c['id']}")).json()["data"]
    assert shown["amount"] == 1 and shown["balance"] == 1


async def test_graphql_credit_bulk_mark_sent(api, db):
    client = await make_client(api)
    c = await make_credit(api, client["id"], line_items=lines(12))
    query = 'mutation($ids: [HashID!]!) { bulkCredits(action: "mark_sent", ids: $ids) { id statusId balance } }'
    r = await api.post("/graphql", json={"query": query, "variables": {"ids": [c["id"]]}})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert r.json()["data"]["bulkCredits"] == [{"id": c["id"], "statusId": "2", "balance": 12}]
    assert await client_money(db, client) == (0, 0, 12)
