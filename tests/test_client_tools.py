"""The client tools over REST: purge (everything of the client gone, nothing else changed), merge (everything of
the other client moved, balances exact, the ledger in step), both password-confirmed and admin-only; the
statement's data; the answers of the routes that need an outside provider. Foreign ids answer like missing ones
and change nothing."""

from __future__ import annotations

import base64
from typing import Any

from invariants import assert_invariants
from members import add_member
from test_invoices import make_client, web_line
from test_payments import client_row, pay, sent_invoice
from test_registry_matrix import company_snapshot

from app import ids
from app.services.crm.client_rows import LINKED, OWNED

PASSWORD = {"X-API-PASSWORD": "secret-password"}
MISSING = ids.encode(2**40)


async def credit(api: Any, client_id: str, cost: float) -> dict[str, Any]:
    r = await api.post(
        "/api/v1/credits?mark_sent=true", json={"client_id": client_id, "line_items": [web_line(quantity=1, cost=cost)]}
    )
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def busy_client(api: Any, name: str) -> dict[str, Any]:
    """A client with a sent invoice part-paid, a paid one, a credit, a quote, a recurring invoice, a gateway token,
    an uploaded document and a ledger."""
    client = await make_client(api, name)
    first = await sent_invoice(api, client["id"], 100)
    second = await sent_invoice(api, client["id"], 40)
    assert (await pay(api, client["id"], (first["id"], 30), (second["id"], 40))).status_code == 200
    await credit(api, client["id"], 15)
    r = await api.post("/api/v1/quotes", json={"client_id": client["id"], "line_items": [web_line()]})
    assert r.status_code == 200, r.text
    r = await api.post("/api/v1/recurring_invoices", json={"client_id": client["id"], "frequency_id": 5})
    assert r.status_code == 200, r.text
    r = await api.put(
        f"/api/v1/clients/{client['id']}/upload", files={"documents[]": (f"{name}.txt", b"notes", "text/plain")}
    )
    assert r.status_code == 200, r.text
    r = await api.put(f"/api/v1/invoices/{first['id']}/upload", files={"documents[]": ("i.txt", b"inv", "text/plain")})
    assert r.status_code == 200, r.text
    return await client_row(api, client["id"])


async def rows_of(db: Any, company: int, client: int) -> dict[str, int]:
    out = {}
    for table in (
        "invoices",
        "quotes",
        "credits",
        "payments",
        "recurring_invoices",
        "client_contacts",
        "activities",
        "company_ledgers",
        "client_gateway_tokens",
    ):
        out[table] = await db.fetchval(
            f"SELECT count(*) FROM {table} WHERE company_id = $1 AND client_id = $2", company, client
        )
    return out


# ---- purge ----------------------------------------------------------------------------------------


async def test_purge_removes_the_client_and_everything_of_it_only(api, db, tenant_a, upload_dir):
    company = ids.decode(tenant_a.company_id)
    keep = await busy_client(api, "Keep")
    gone = await busy_client(api, "Gone")
    gone_id = ids.decode(gone["id"])
    files_before = sorted(p.name for p in upload_dir.rglob("*") if p.is_file())
    assert len(files_before) == 4
    # the other client's rows, byte for byte, before
    keep_rows = await rows_of(db, company, ids.decode(keep["id"]))
    before = await company_snapshot(db, company)
    r = await api.post(f"/api/v1/clients/{gone['id']}/purge", headers=PASSWORD)
    assert r.status_code == 200, r.text
    assert r.json() == {"message": "Success"}
    assert await db.fetchval("SELECT count(*) FROM clients WHERE id = $1", gone_id) == 0
    assert set((await rows_of(db, company, gone_id)).values()) == {0}
    for kind in ("invoice", "quote", "credit", "recurring_invoice"):
        orphans = await db.fetchval(
            f"SELECT count(*) FROM {kind}_invitations i WHERE company_id = $1 AND NOT EXISTS "
            f"(SELECT 1 FROM {kind}s d WHERE d.company_id = i.company_id AND d.id = i.{kind}_id)",
            company,
        )
        assert orphans == 0
    assert await db.fetchval("SELECT count(*) FROM documents WHERE company_id = $1", company) == 2
    assert len([p for p in upload_dir.rglob("*") if p.is_file()]) == 2
    # nothing else changed: every row left is byte-identical to one before, and the other client has all of its own
    after = await company_snapshot(db, company)
    for table, text in before.items():
        if table != "company_tokens":  # the token's password window restarted: the confirmation it made
            assert set(after[table].split("\n")) <= set(text.split("\n")), table
    assert await rows_of(db, company, ids.decode(keep["id"])) == keep_rows
    assert await client_row(api, keep["id"]) == keep
    await assert_invariants(db, company)


async def test_purge_needs_the_password_and_an_admin(api, db, tenant_a):
    client = await busy_client(api, "Safe")
    url = f"/api/v1/clients/{client['id']}/purge"
    for headers in ({}, {"X-API-PASSWORD": "wrong"}, {"X-API-PASSWORD-BASE64": "!!"}):
        r = await api.post(url, headers=headers)
        assert r.status_code == 412 and r.json() == {"message": "Invalid Password", "errors": {}}, r.text
    encoded = base64.b64encode(b"secret-password").decode()
    _, token = await add_member(db, tenant_a.company_id, "staff@example.com", "edit_all,view_all,create_all")
    r = await api.post(url, headers={"X-API-TOKEN": token, "X-API-PASSWORD": "secret-password"})
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM clients WHERE id = $1", ids.decode(client["id"])) == 1
    r = await api.post(url, headers={"X-API-PASSWORD-BASE64": encoded, "X-API-PASSWORD": "wrong"})
    assert r.status_code == 200, r.text


async def test_purge_of_a_foreign_or_missing_client_is_404_and_changes_nothing(api, api_b, db, tenant_b):
    theirs = await busy_client(api_b, "Theirs")
    before = await company_snapshot(db, ids.decode(tenant_b.company_id))
    for target in (theirs["id"], MISSING):
        r = await api.post(f"/api/v1/clients/{target}/purge", headers=PASSWORD)
        assert r.status_code == 404 and r.json() == {"message": "Client not found", "errors": {}}
    assert await company_snapshot(db, ids.decode(tenant_b.company_id)) == before


# ---- merge ----------------------------------------------------------------------------------------


async def test_merge_moves_everything_and_keeps_money_exact(api, db, tenant_a):
    company = ids.decode(tenant_a.company_id)
    a = await busy_client(api, "Alpha")
    b = await busy_client(api, "Beta")
    # a contact of B with A's e-mail and one without an e-mail are de-duplicated
    r = await api.put(
        f"/api/v1/clients/{b['id']}",
        json={
            "contacts": [*b["contacts"], {"first_name": "Dup", "email": "alpha@example.test"}, {"first_name": "Nomail"}]
        },
    )
    assert r.status_code == 200, r.text
    a_id, b_id = ids.decode(a["id"]), ids.decode(b["id"])
    counts_a, counts_b = await rows_of(db, company, a_id), await rows_of(db, company, b_id)
    r = await api.post(f"/api/v1/clients/{a['id']}/{b['id']}/merge", headers=PASSWORD)
    assert r.status_code == 200, r.text
    merged = r.json()["data"]
    assert merged["id"] == a["id"]
    assert merged["balance"] == a["balance"] + b["balance"] == 140
    assert merged["paid_to_date"] == a["paid_to_date"] + b["paid_to_date"] == 140
    assert merged["credit_balance"] == a["credit_balance"] + b["credit_balance"] == 30
    assert await db.fetchval("SELECT count(*) FROM clients WHERE id = $1", b_id) == 0
    after = await rows_of(db, company, a_id)
    for table in ("invoices", "quotes", "credits", "payments", "recurring_invoices", "client_contacts"):
        assert after[table] == counts_a[table] + counts_b[table], table
    assert after["company_ledgers"] == counts_a["company_ledgers"] + counts_b["company_ledgers"] + 1
    assert set((await rows_of(db, company, b_id)).values()) == {0}
    # A's primary contact stays the only primary one; B's own contact moves; the duplicate and the one without
    # an e-mail are deleted
    live = merged["contacts"]
    assert [(c["email"], c["is_primary"]) for c in live] == [("alpha@example.test", True), ("beta@example.test", False)]
    deleted = await db.fetch(
        "SELECT first_name FROM client_contacts WHERE company_id = $1 AND client_id = $2 AND is_deleted ORDER BY id",
        company,
        a_id,
    )
    assert [r["first_name"] for r in deleted] == ["Dup", "Nomail"]
    assert {d["name"] for d in merged["documents"]} == {"Alpha.txt", "Beta.txt"}
    last = await db.fetchrow(
        "SELECT adjustment, balance, notes FROM company_ledgers WHERE company_id = $1 AND client_id = $2 "
        "ORDER BY id DESC LIMIT 1",
        company,
        a_id,
    )
    assert last["adjustment"] == 70 and last["balance"] == 140 and last["notes"] == "Balance update after merging Beta"
    await assert_invariants(db, company)
    # the moved invoices are payable as the survivor's
    inv = (await api.get(f"/api/v1/invoices?client_id={a['id']}&client_status=unpaid")).json()["data"]
    assert len(inv) == 2


async def snapshot_but_tokens(db, tenant):
    """A company's rows, less its tokens: a confirmed password restarts the token's window, nothing else."""
    rows = await company_snapshot(db, ids.decode(tenant.company_id))
    return {table: text for table, text in rows.items() if table != "company_tokens"}


async def test_merge_refusals_change_nothing(api, api_b, db, tenant_a, tenant_b):
    a = await busy_client(api, "Alpha")
    b = await busy_client(api, "Beta")
    theirs = await busy_client(api_b, "Theirs")
    before = {t: await snapshot_but_tokens(db, t) for t in (tenant_a, tenant_b)}
    for other in (theirs["id"], MISSING, "not-an-id"):
        r = await api.post(f"/api/v1/clients/{a['id']}/{other}/merge", headers=PASSWORD)
        assert r.status_code == 400 and r.json() == {"message": "Client not found", "errors": {}}, r.text
    r = await api.post(f"/api/v1/clients/{a['id']}/{a['id']}/merge", headers=PASSWORD)
    assert r.status_code == 400 and r.json()["message"] == "Attempting to merge the same client is not possible."
    for survivor in (theirs["id"], MISSING):
        r = await api.post(f"/api/v1/clients/{survivor}/{b['id']}/merge", headers=PASSWORD)
        assert r.status_code == 404 and r.json() == {"message": "Client not found", "errors": {}}
    r = await api.post(f"/api/v1/clients/{a['id']}/{b['id']}/merge", headers={"X-API-PASSWORD": "wrong"})
    assert r.status_code == 412
    assert {t: await snapshot_but_tokens(db, t) for t in (tenant_a, tenant_b)} == before


# ---- statement, providers -------------------------------------------------------------------------


async def test_statement_data(api, api_b):
    client = await busy_client(api, "Stated")
    theirs = await make_client(api_b, "Theirs")
    body = {"client_id": client["id"], "start_date": "2000-01-01", "end_date": "2999-12-31"}
    r = await api.post(
        "/api/v1/client_statement",
        json={**body, "show_payments_table": True, "show_aging_table": True, "show_credits_table": True},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert sorted(i["balance"] for i in data["invoices"]) == [0.0, 70.0]
    assert len(data["payments"]) == 1 and data["payments"][0]["amount"] == 70
    assert len(data["credits"]) == 1 and data["credits"][0]["balance"] == 15
    assert sum(data["aging"].values()) == 70 and set(data["aging"]) == {
        "Current",
        "0-30",
        "30-60",
        "60-90",
        "90-120",
        "120+",
    }
    r = await api.post("/api/v1/client_statement", json={**body, "status": "paid"})
    assert [i["balance"] for i in r.json()["data"]["invoices"]] == [0.0] and "payments" not in r.json()["data"]
    r = await api.post("/api/v1/client_statement", json={**body, "client_id": theirs["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"client_id": ["The selected client id is invalid."]}
    r = await api.post(
        "/api/v1/client_statement", json={"client_id": client["id"], "start_date": "01/01/2020", "status": "some"}
    )
    assert r.status_code == 422 and r.json()["errors"] == {
        "start_date": ["The start date does not match the format Y-m-d."],
        "end_date": ["The end date field is required."],
        "status": ["The selected status is invalid."],
    }
    r = await api.post("/api/v1/client_statement", json={**body, "send_email": True})
    assert r.status_code == 400 and "no mail service" in r.json()["message"]


async def test_provider_routes_answer_clearly(api, api_b, db, tenant_a):
    client = await make_client(api)
    theirs = await make_client(api_b, "Theirs")
    r = await api.post(f"/api/v1/clients/{client['id']}/updateTaxData")
    assert r.status_code == 400 and r.json()["message"] == (
        "Tax data cannot be updated: no tax rate provider is configured on this server."
    )
    for target in (theirs["id"], MISSING):
        r = await api.post(f"/api/v1/clients/{target}/updateTaxData")
        assert r.status_code == 404
    _, token = await add_member(db, tenant_a.company_id, "staff@example.com", "edit_all,view_all")
    assert (
        await api.post(f"/api/v1/clients/{client['id']}/updateTaxData", headers={"X-API-TOKEN": token})
    ).status_code == 403
    r = await api.post("/api/v1/reactivate_email/1234-abcd")
    assert r.status_code == 400 and r.json()["message"] == (
        "E-mail reactivation is not available: no mail provider is configured on this server."
    )


async def test_every_table_with_a_client_is_known_to_purge_and_merge(db):
    tables = {
        r["table_name"]
        for r in await db.fetch(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'client_id'"
        )
    }
    assert tables - set(OWNED) - set(LINKED) == set()
