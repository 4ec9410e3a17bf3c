"""Bank transactions over REST: create/show/list filters and sorts, `POST /bank_transactions/match`
(a deposit paying invoices through the payment service, a payment linked, expenses linked or made),
bulk convert_matched and unlink, another company's ids inside match bodies, and a race of 10 matches of
one transaction on a live server. The money invariants are checked after every money test."""

from __future__ import annotations

import asyncio
from typing import Any

from invariants import assert_invariants
from live_server import Session, codes
from members import add_member
from test_invoices import make_client
from test_payments import client_row, sent_invoice

from app import ids

TX = "/api/v1/bank_transactions"


async def bank(api: Any, name: str = "Main account") -> str:
    r = await api.post("/api/v1/bank_integrations", json={"bank_account_name": name})
    assert r.status_code == 200, r.text
    return r.json()["data"]["id"]  # type: ignore[no-any-return]


async def transaction(api: Any, integration: str, amount: float = 100, **body: Any) -> dict[str, Any]:
    r = await api.post(TX, json={"bank_integration_id": integration, "amount": amount, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def match(api: Any, *entries: dict[str, Any]) -> Any:
    return await api.post(f"{TX}/match", json={"transactions": list(entries)})


async def ledger_balance(db: Any, client_id: str) -> Any:
    return await db.fetchval(
        "SELECT balance FROM company_ledgers WHERE client_id = $1 ORDER BY id DESC LIMIT 1", ids.decode(client_id)
    )


async def test_create_show_and_blank(api):
    integration = await bank(api)
    tx = await transaction(api, integration, 12.5, description="Coffee beans", base_type="DEBIT", date="2026-01-02")
    assert tx["status_id"] == "1" and tx["base_type"] == "DEBIT" and tx["amount"] == 12.5
    assert tx["bank_integration_id"] == integration and tx["date"] == "2026-01-02"
    assert tx["invoice_ids"] == "" and tx["expense_id"] == "" and tx["payment_id"] == "" and tx["vendor_id"] == ""
    assert tx["currency_id"] == "1" and tx["transaction_id"] == 0
    assert all(v is not None for v in tx.values())
    r = await api.get(f"{TX}/{tx['id']}")
    assert r.status_code == 200 and r.json()["data"] == tx
    blank = (await api.get(f"{TX}/create")).json()["data"]
    assert blank["id"] == "" and blank["base_type"] == "CREDIT"
    # upstream's alias on write
    r = await api.put(f"{TX}/{tx['id']}", json={"baseType": "CREDIT"})
    assert r.status_code == 200 and r.json()["data"]["base_type"] == "CREDIT"


async def test_bank_integration_is_required_and_checked(api, api_b, db):
    r = await api.post(TX, json={"amount": 5})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["bank_integration_id"]
    foreign = await bank(api_b)
    r = await api.post(TX, json={"amount": 5, "bank_integration_id": foreign})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["bank_integration_id"]
    r = await api.post(TX, json={"amount": 5, "bank_integration_id": await bank(api), "base_type": "SIDEWAYS"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["base_type"]
    assert await db.fetchval("SELECT count(*) FROM bank_transactions") == 0


async def test_filters_and_sorts(api):
    one, two = await bank(api, "One"), await bank(api, "Two")
    d1 = await transaction(api, one, 30, base_type="DEBIT", description="Rent March")
    c1 = await transaction(api, one, 50, description="Deposit A")
    c2 = await transaction(api, two, 10, description="Deposit B")
    await api.post(f"{TX}/bulk", json={"action": "archive", "ids": [c2["id"]]})

    async def listed(query: str) -> list[str]:
        r = await api.get(f"{TX}?{query}")
        assert r.status_code == 200, r.text
        return [t["id"] for t in r.json()["data"]]

    assert await listed("client_status=withdrawals") == [d1["id"]]
    assert await listed("client_status=deposits") == [c1["id"], c2["id"]]
    assert await listed("client_status=unmatched") == [d1["id"], c1["id"], c2["id"]]
    assert await listed("client_status=converted") == []
    assert await listed(f"bank_integration_id={two}") == [c2["id"]]
    assert await listed(f"bank_integration_ids={one},{two}") == [d1["id"], c1["id"], c2["id"]]
    assert await listed("filter=rent") == [d1["id"]]
    assert await listed("status=active") == [d1["id"], c1["id"]]
    assert await listed("sort=amount|asc") == [c2["id"], d1["id"], c1["id"]]
    assert await listed("sort=deposit|desc") == [c1["id"], c2["id"], d1["id"]]
    assert (await listed("sort=withdrawal|desc"))[0] == d1["id"]


async def test_match_credit_pays_invoices_through_the_payment_service(api, db, tenant_a):
    client = await make_client(api)
    a = await sent_invoice(api, client["id"], 60)
    b = await sent_invoice(api, client["id"], 60)
    tx = await transaction(api, await bank(api), 100, description="Transfer ref 42", date="2026-02-03")
    r = await match(api, {"id": tx["id"], "invoice_ids": f"{a['id']},{b['id']}"})
    assert r.status_code == 200, r.text
    [done] = r.json()["data"]
    assert done["status_id"] == "3" and done["invoice_ids"] == f"{a['id']},{b['id']}" and done["payment_id"]
    payment = (await api.get(f"/api/v1/payments/{done['payment_id']}?include=paymentables")).json()["data"]
    assert payment["amount"] == 100 and payment["applied"] == 100 and payment["client_id"] == client["id"]
    assert payment["transaction_reference"] == "Transfer ref 42" and payment["date"] == "2026-02-03"
    assert payment["transaction_id"] == tx["id"]
    assert sorted((p["invoice_id"], p["amount"]) for p in payment["paymentables"]) == sorted(
        [(a["id"], 60.0), (b["id"], 40.0)]
    )
    inv_a = (await api.get(f"/api/v1/invoices/{a['id']}")).json()["data"]
    inv_b = (await api.get(f"/api/v1/invoices/{b['id']}")).json()["data"]
    assert (inv_a["balance"], inv_a["status_id"]) == (0, "4")
    assert (inv_b["balance"], inv_b["paid_to_date"], inv_b["status_id"]) == (20, 40, "3")
    c = await client_row(api, client["id"])
    assert c["balance"] == 20 and c["paid_to_date"] == 100
    assert await ledger_balance(db, client["id"]) == 20
    await assert_invariants(db, tenant_a.company_id)
    # matching it again changes nothing: no second payment
    r = await match(api, {"id": tx["id"], "invoice_ids": b["id"]})
    assert r.status_code == 200 and r.json()["data"] == []
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    await assert_invariants(db, tenant_a.company_id)


async def test_match_credit_more_than_owed_leaves_the_rest_unapplied(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 40)
    tx = await transaction(api, await bank(api), 100)
    r = await match(api, {"id": tx["id"], "invoice_ids": inv["id"]})
    assert r.status_code == 200, r.text
    payment = (await api.get(f"/api/v1/payments/{r.json()['data'][0]['payment_id']}")).json()["data"]
    assert payment["amount"] == 100 and payment["applied"] == 40
    assert (await client_row(api, client["id"]))["paid_to_date"] == 100
    await assert_invariants(db, tenant_a.company_id)


async def test_match_refuses_what_cannot_be_paid_and_changes_nothing(api, db, tenant_a):
    one, two = await make_client(api, "One"), await make_client(api, "Two")
    a, b = await sent_invoice(api, one["id"], 10), await sent_invoice(api, two["id"], 10)
    integration = await bank(api)
    tx = await transaction(api, integration, 20)
    debit = await transaction(api, integration, 20, base_type="DEBIT")
    before = await db.fetchval("SELECT string_agg(row_to_json(i)::text, ',' ORDER BY id) FROM invoices i")
    for entry, field in (
        ({"id": tx["id"], "invoice_ids": f"{a['id']},{b['id']}"}, "transactions.0.invoice_ids"),  # two clients
        ({"id": debit["id"], "invoice_ids": a["id"]}, "transactions.0.invoice_ids"),  # a withdrawal
        ({"id": tx["id"], "invoice_ids": "garbage"}, "transactions.0.invoice_ids"),
        ({"id": tx["id"]}, "transactions.0"),
        ({"id": "garbage", "invoice_ids": a["id"]}, "transactions.0.id"),
    ):
        r = await match(api, entry)
        assert r.status_code == 422 and field in r.json()["errors"], (entry, r.text)
    r = await api.post(f"{TX}/match", json={"transactions": "x"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["transactions"]
    # a valid first entry is undone with the second one, refused when its turn comes
    r = await match(api, {"id": tx["id"], "invoice_ids": a["id"]}, {"id": debit["id"], "invoice_ids": b["id"]})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["transactions.1.invoice_ids"]
    assert await db.fetchval("SELECT string_agg(row_to_json(i)::text, ',' ORDER BY id) FROM invoices i") == before
    assert await db.fetchval("SELECT count(*) FROM payments") == 0
    assert await db.fetchval("SELECT count(*) FROM bank_transactions WHERE status_id <> 1") == 0
    await assert_invariants(db, tenant_a.company_id)


async def test_another_companys_ids_in_a_match_answer_like_missing_ones(api, api_b, db, tenant_a, tenant_b):
    client_b = await make_client(api_b, "Theirs")
    theirs = {
        "invoice_ids": (await sent_invoice(api_b, client_b["id"], 10))["id"],
        "payment_id": (await api_b.post("/api/v1/payments", json={"client_id": client_b["id"], "amount": 5})).json()[
            "data"
        ]["id"],
        "expense_id": (await api_b.post("/api/v1/expenses", json={"amount": 3})).json()["data"]["id"],
        "vendor_id": (await api_b.post("/api/v1/vendors", json={"name": "V"})).json()["data"]["id"],
        "ninja_category_id": (await api_b.post("/api/v1/expense_categories", json={"name": "C"})).json()["data"]["id"],
    }
    their_tx = await transaction(api_b, await bank(api_b), 10)
    snapshot = "SELECT md5(string_agg(row_to_json(t)::text, ',' ORDER BY id)) FROM {} t WHERE company_id = $1"
    tables = ("invoices", "payments", "expenses", "bank_transactions", "clients")
    company_b = ids.decode(tenant_b.company_id)
    before = [await db.fetchval(snapshot.format(t), company_b) for t in tables]
    own = await transaction(api, await bank(api), 10)
    missing = ids.encode(2**40)
    for key, foreign in theirs.items():
        answers = []
        for value in (foreign, missing):
            r = await match(api, {"id": own["id"], key: value})
            answers.append((r.status_code, r.json()))
        assert answers[0] == answers[1], (key, answers)
        assert answers[0][0] == 422 and list(answers[0][1]["errors"]) == [f"transactions.0.{key}"], answers
    answers = [(await match(api, {"id": v, "vendor_id": ""})).json() for v in (their_tx["id"], missing)]
    assert answers[0] == answers[1] and "transactions.0.id" in answers[0]["errors"]
    assert [await db.fetchval(snapshot.format(t), company_b) for t in tables] == before
    assert (await api.get(f"{TX}/{own['id']}")).json()["data"]["status_id"] == "1"
    await assert_invariants(db, tenant_a.company_id)


async def test_link_an_existing_payment(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 30)
    r = await api.post(
        "/api/v1/payments", json={"client_id": client["id"], "invoices": [{"invoice_id": inv["id"], "amount": 30}]}
    )
    payment = r.json()["data"]
    integration = await bank(api)
    tx = await transaction(api, integration, 30)
    r = await match(api, {"id": tx["id"], "payment_id": payment["id"]})
    assert r.status_code == 200, r.text
    [done] = r.json()["data"]
    assert done["status_id"] == "3" and done["payment_id"] == payment["id"] and done["invoice_ids"] == inv["id"]
    assert (await api.get(f"/api/v1/payments/{payment['id']}")).json()["data"]["transaction_id"] == tx["id"]
    other = await transaction(api, integration, 30)
    r = await match(api, {"id": other["id"], "payment_id": payment["id"]})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["transactions.0.payment_id"]
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    await assert_invariants(db, tenant_a.company_id)


async def test_match_debit_creates_or_links_expenses(api, db):
    vendor = (await api.post("/api/v1/vendors", json={"name": "Office Supplies"})).json()["data"]["id"]
    category = (await api.post("/api/v1/expense_categories", json={"name": "Office"})).json()["data"]["id"]
    integration = await bank(api)
    tx = await transaction(api, integration, 45.5, base_type="DEBIT", description="Paper", date="2026-03-04")
    r = await match(api, {"id": tx["id"], "vendor_id": vendor, "ninja_category_id": category})
    assert r.status_code == 200, r.text
    [done] = r.json()["data"]
    assert done["status_id"] == "3" and done["vendor_id"] == vendor and done["ninja_category_id"] == category
    expense = (await api.get(f"/api/v1/expenses/{done['expense_id']}")).json()["data"]
    assert expense["amount"] == 45.5 and expense["vendor_id"] == vendor and expense["category_id"] == category
    assert expense["date"] == "2026-03-04" and expense["transaction_reference"] == "Paper"
    assert expense["transaction_id"] == tx["id"] and expense["number"]
    # linking two recorded expenses
    e1 = (await api.post("/api/v1/expenses", json={"amount": 1, "vendor_id": vendor})).json()["data"]["id"]
    e2 = (await api.post("/api/v1/expenses", json={"amount": 2})).json()["data"]["id"]
    other = await transaction(api, integration, 3, base_type="DEBIT")
    r = await match(api, {"id": other["id"], "expense_id": f"{e1},{e2}"})
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["expense_id"] == f"{e1},{e2}" and r.json()["data"][0]["status_id"] == "3"
    linked = await db.fetch(
        "SELECT transaction_id FROM expenses WHERE id = ANY($1::bigint[])", [ids.decode(e1), ids.decode(e2)]
    )
    assert {r["transaction_id"] for r in linked} == {ids.decode(other["id"])}
    # an expense linked to another transaction is refused
    third = await transaction(api, integration, 3, base_type="DEBIT")
    r = await match(api, {"id": third["id"], "expense_id": e1})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["transactions.0.expense_id"]


async def test_unlink_keeps_the_payment_and_the_balances(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 50)
    tx = await transaction(api, await bank(api), 50)
    done = (await match(api, {"id": tx["id"], "invoice_ids": inv["id"]})).json()["data"][0]
    r = await api.post(f"{TX}/bulk", json={"action": "unlink", "ids": [tx["id"]]})
    assert r.status_code == 200, r.text
    [back] = r.json()["data"]
    assert back["status_id"] == "1" and back["payment_id"] == "" and back["invoice_ids"] == ""
    payment = (await api.get(f"/api/v1/payments/{done['payment_id']}")).json()["data"]
    assert payment["transaction_id"] == "" and payment["amount"] == 50 and not payment["is_deleted"]
    assert (await api.get(f"/api/v1/invoices/{inv['id']}")).json()["data"]["balance"] == 0
    await assert_invariants(db, tenant_a.company_id)


async def test_convert_matched_pays_the_matched_invoice(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 80)
    integration = await bank(api)
    # the description names the invoice number: matched on create, nothing paid yet
    tx = await transaction(api, integration, 80, description=f"Payment for invoice {inv['number']}")
    assert tx["status_id"] == "2" and tx["invoice_ids"] == inv["id"] and tx["payment_id"] == ""
    assert (await client_row(api, client["id"]))["balance"] == 80
    plain = await transaction(api, integration, 5, description="nothing to match")
    r = await api.post(f"{TX}/bulk", json={"action": "convert_matched", "ids": [tx["id"], plain["id"]]})
    assert r.status_code == 200, r.text
    status = {t["id"]: t["status_id"] for t in r.json()["data"]}
    assert status == {tx["id"]: "3", plain["id"]: "1"}
    assert (await api.get(f"/api/v1/invoices/{inv['id']}")).json()["data"]["status_id"] == "4"
    c = await client_row(api, client["id"])
    assert c["balance"] == 0 and c["paid_to_date"] == 80
    await assert_invariants(db, tenant_a.company_id)
    # again: already converted, no second payment
    await api.post(f"{TX}/bulk", json={"action": "convert_matched", "ids": [tx["id"]]})
    assert await db.fetchval("SELECT count(*) FROM payments") == 1
    await assert_invariants(db, tenant_a.company_id)


async def test_archive_restore_delete_and_unknown_action(api):
    tx = await transaction(api, await bank(api), 1)
    for action, deleted, archived in (("archive", False, True), ("restore", False, False), ("delete", True, True)):
        r = await api.post(f"{TX}/bulk", json={"action": action, "ids": [tx["id"]]})
        assert r.status_code == 200, r.text
        row = r.json()["data"][0]
        assert row["is_deleted"] is deleted and (row["archived_at"] > 0) is archived, action
    r = await api.post(f"{TX}/bulk", json={"action": "explode", "ids": [tx["id"]]})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["action"]


async def test_ten_racing_matches_make_one_payment(live):
    async with Session(live) as s:
        client = await s.client()
        inv = await s.invoice(client, 100)
        r = await s.http.post("/api/v1/bank_integrations", json={"bank_account_name": "Race"})
        r = await s.http.post(TX, json={"bank_integration_id": r.json()["data"]["id"], "amount": 100})
        tx = r.json()["data"]["id"]
        body = {"transactions": [{"id": tx, "invoice_ids": inv}]}
        results = await asyncio.gather(*(s.http.post(f"{TX}/match", json=body) for _ in range(10)))
        assert codes(results) == [200] * 10, [r.text for r in results if r.status_code != 200]
        assert sum(len(r.json()["data"]) for r in results) == 1
        company = ids.decode(s.company_id)
        assert await s.db.fetchval("SELECT count(*) FROM payments WHERE company_id = $1", company) == 1
        assert await s.balance(inv) == 0
        await assert_invariants(s.db, s.company_id)


async def test_graphql_match_answers_the_changed_transactions(api, db, tenant_a):
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 25)
    tx = await transaction(api, await bank(api), 25)
    query = "mutation($input: JSON!) { matchBankTransactions(input: $input) { id statusId invoiceIds paymentId } }"
    body = {"transactions": [{"id": tx["id"], "invoice_ids": inv["id"]}]}
    r = await api.post("/graphql", json={"query": query, "variables": {"input": body}})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    [done] = r.json()["data"]["matchBankTransactions"]
    assert done["id"] == tx["id"] and done["statusId"] == "3" and done["invoiceIds"] == inv["id"] and done["paymentId"]
    await assert_invariants(db, tenant_a.company_id)


async def test_hostile_match_bodies_are_422s_that_change_nothing(api, db):
    tx = await transaction(api, await bank(api), 10)
    many = ",".join(ids.encode(n) for n in range(1, 150))
    for body in (
        {"transactions": [{"id": tx["id"], "invoice_ids": many}]},
        {"transactions": [{"id": tx["id"], "invoice_ids": {"$ne": 1}}]},
        {"transactions": [{"id": [tx["id"]], "vendor_id": 1}]},
        {"transactions": [{"id": tx["id"], "expense_id": "\u0000"}]},
        {"transactions": [{"id": tx["id"], "vendor_id": ""}, {"id": tx["id"], "vendor_id": ""}]},
        {"transactions": [None]},
        {"transactions": [{}] * 501},
        {},
    ):
        r = (
            await match(api, *body["transactions"])
            if body.get("transactions")
            else await api.post(f"{TX}/match", json=body)
        )
        assert r.status_code == 422, (body, r.text)
    assert (await api.get(f"{TX}/{tx['id']}")).json()["data"]["status_id"] == "1"
    assert await db.fetchval("SELECT count(*) FROM expenses") == 0


async def test_permissions_for_matching(api, anon, db, tenant_a):
    """Matching edits the transaction; paying invoices also creates a payment. A clerk who may edit
    transactions but not create payments gets a 403 and nothing changes; one who may not see the owner's
    transaction is told it does not exist."""
    client = await make_client(api)
    inv = await sent_invoice(api, client["id"], 10)
    tx = await transaction(api, await bank(api), 10)
    body = {"transactions": [{"id": tx["id"], "invoice_ids": inv["id"]}]}
    _, viewer = await add_member(db, tenant_a.company_id, "viewer@example.test", "view_bank_transaction")
    r = await anon.post(f"{TX}/match", json=body, headers={"X-API-TOKEN": viewer})
    assert r.status_code == 403, r.text
    _, clerk = await add_member(
        db, tenant_a.company_id, "clerk@example.test", "view_bank_transaction,edit_bank_transaction"
    )
    r = await anon.post(f"{TX}/match", json=body, headers={"X-API-TOKEN": clerk})
    assert r.status_code == 403, r.text
    # edit_bank_transaction would also grant the view (upstream's hasPermission): only create_payment here
    _, blind = await add_member(db, tenant_a.company_id, "blind@example.test", "create_payment")
    r = await anon.post(f"{TX}/match", json=body, headers={"X-API-TOKEN": blind})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["transactions.0.id"], r.text
    assert await db.fetchval("SELECT count(*) FROM payments") == 0
    assert (await api.get(f"{TX}/{tx['id']}")).json()["data"]["status_id"] == "1"
    await assert_invariants(db, tenant_a.company_id)
