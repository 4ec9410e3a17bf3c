"""Quotes end to end over REST: the invoice's shape and engine on the quotes table, numbering (own counter or
the invoice's), the lifecycle (mark_sent, approve, convert, clones, email), filters, tenancy, hostile input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clock import company_today
from test_invoices import UPSTREAM_KEYS, count, make_client

from app import ids

BASE = "/api/v1/quotes"
QUOTE_KEYS = (UPSTREAM_KEYS - {"recurring_id", "auto_bill_enabled"}) | {"invoice_id"}


async def make_quote(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"client_id": client_id, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def act(api: Any, quote: dict[str, Any], action: str, status: int = 200) -> dict[str, Any]:
    r = await api.get(f"{BASE}/{quote['id']}/{action}")
    assert r.status_code == status, r.text
    return r.json()


async def set_company(api: Any, db: Any, **settings: Any) -> None:
    company = await db.fetchval("SELECT id FROM companies ORDER BY id LIMIT 1")
    r = await api.put(f"/api/v1/companies/{ids.encode(company)}", json={"settings": settings})
    assert r.status_code == 200, r.text


async def _set(db: Any, quote: dict[str, Any], **cols: Any) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(cols, start=2))
    await db.execute(f"UPDATE quotes SET {sets} WHERE id = $1", ids.decode(quote["id"]), *cols.values())


async def test_create_shape_and_totals(api, db):
    client = await make_client(api)
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) == QUOTE_KEYS and blank["entity_type"] == "quote" and blank["status_id"] == "1"
    q = await make_quote(
        api,
        client["id"],
        line_items=[{"quantity": 2, "cost": 25}],
        tax_name1="VAT",
        tax_rate1=10,
        amount=1,
        balance=5,
        status_id="4",
        invoice_id="x",
    )
    assert set(q) == QUOTE_KEYS
    for key, value in q.items():
        assert value is not None, key
    assert (q["amount"], q["total_taxes"], q["balance"], q["status_id"]) == (55, 5, 0, "1")
    assert q["entity_type"] == "quote" and q["number"] == "0001" and q["invoice_id"] == ""
    assert q["has_tasks"] is False and q["tax_info"] == {} and q["date"] == company_today().isoformat()
    inv = q["invitations"]
    assert len(inv) == 1 and inv[0]["link"] == f"http://testserver/client/quote/{inv[0]['key']}"
    assert [
        r["activity_type_id"]
        for r in await db.fetch("SELECT activity_type_id FROM activities WHERE quote_id = $1", ids.decode(q["id"]))
    ] == [18]
    r = await api.get(f"{BASE}/{q['id']}?include=client,activities")
    shown = r.json()["data"]
    assert shown["client"]["id"] == client["id"] and [a["activity_type_id"] for a in shown["activities"]] == ["18"]
    # the upstream worked example: amount discount spread over the line taxes
    q = await make_quote(
        api,
        client["id"],
        discount=14191,
        is_amount_discount=True,
        line_items=[
            {"quantity": 1, "cost": 8000, "tax_name1": "CA", "tax_rate1": 5},
            {"quantity": 1, "cost": 9500, "tax_name1": "CA", "tax_rate1": 5},
        ],
    )
    assert q["amount"] == 3474.45 and q["total_taxes"] == 165.45
    r = await api.put(f"{BASE}/{q['id']}", json={"line_items": [{"quantity": 3, "cost": "1.5"}], "discount": 0})
    assert r.status_code == 200 and r.json()["data"]["amount"] == 4.5
    assert await db.fetchval("SELECT balance FROM clients WHERE id = $1", ids.decode(client["id"])) == 0


# ---- numbering -------------------------------------------------------------------------------------
async def test_numbering_own_counter_shared_counter_and_when_sent(api, db):
    client = await make_client(api)
    await set_company(api, db, quote_number_pattern="Q-")
    assert (await make_quote(api, client["id"]))["number"] == "Q-0001"
    inv = await api.post("/api/v1/invoices", json={"client_id": client["id"]})
    assert inv.json()["data"]["number"] == "0001"
    r = await api.post(BASE, json={"client_id": client["id"], "number": "Q-0001"})
    assert r.status_code == 422 and r.json()["errors"]["number"] == ["The number has already been taken."]
    await set_company(api, db, shared_invoice_quote_counter=True, quote_number_pattern="")
    assert (await make_quote(api, client["id"]))["number"] == "0002"  # the invoice counter, now at 2
    assert (await api.post("/api/v1/invoices", json={"client_id": client["id"]})).json()["data"]["number"] == "0003"
    settings = await db.fetchval("SELECT settings FROM companies ORDER BY id LIMIT 1")
    assert settings["invoice_number_counter"] == 4 and settings["quote_number_counter"] == 2
    await set_company(api, db, shared_invoice_quote_counter=False, counter_number_applied="when_sent")
    q = await make_quote(api, client["id"])
    assert q["number"] == ""
    sent = (await act(api, q, "mark_sent"))["data"]
    assert sent["number"] == "0003" and sent["status_id"] == "2"  # 0002 is taken: skipped


# ---- lifecycle -------------------------------------------------------------------------------------
async def test_mark_sent_valid_until_and_expiry(api, db):
    client = await make_client(api, settings={"valid_until": "10", "currency_id": "1"})
    q = await make_quote(api, client["id"], date="2024-01-01", line_items=[{"quantity": 1, "cost": 10}])
    sent = (await act(api, q, "mark_sent"))["data"]
    # sent, and valid until 2024-01-11 which has passed: emitted as expired (-1)
    assert sent["due_date"] == "2024-01-11" and sent["status_id"] == "-1"
    assert sent["invitations"][0]["sent_date"] != ""
    assert await db.fetchval("SELECT status_id FROM quotes WHERE id = $1", ids.decode(q["id"])) == 2
    assert (await act(api, q, "approve", 400)) == {
        "message": "Unable to approve this quote as it has expired.",
        "errors": {},
    }
    future = (company_today() + timedelta(days=5)).isoformat()
    fresh = await make_quote(api, client["id"], due_date=future)
    assert (await act(api, fresh, "mark_sent"))["data"]["due_date"] == future
    assert (await act(api, fresh, "mark_sent"))["data"]["status_id"] == "2"  # a second call changes nothing
    # no money moved: quotes never touch the client or the ledger
    client_row = await db.fetchrow(
        "SELECT balance, credit_balance, paid_to_date FROM clients WHERE id = $1", ids.decode(client["id"])
    )
    assert tuple(client_row) == (0, 0, 0) and await count(db, "company_ledgers") == 0


async def test_approve_without_auto_convert(api, db):
    await set_company(api, db, auto_convert_quote=False)
    client = await make_client(api)
    q = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 10}])
    approved = (await act(api, q, "approve"))["data"]
    assert approved["status_id"] == "3" and approved["invoice_id"] == ""
    assert await count(db, "invoices") == 0
    types = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE quote_id = $1 ORDER BY id", ids.decode(q["id"])
        )
    ]
    assert types == [18, 29]
    assert (await act(api, q, "approve", 400))["message"] == "Unable to approve this quote as it has expired."


async def test_approve_with_auto_convert_converts(api, db):
    client = await make_client(api)  # auto_convert_quote is on by default
    q = await make_quote(api, client["id"], line_items=[{"quantity": 2, "cost": 10}])
    approved = (await act(api, q, "approve"))["data"]
    assert approved["status_id"] == "4" and approved["invoice_id"] != ""
    invoice = (await api.get(f"/api/v1/invoices/{approved['invoice_id']}")).json()["data"]
    assert invoice["amount"] == 20 and invoice["status_id"] == "1" and invoice["client_id"] == client["id"]


async def test_convert_copies_the_quote_into_a_draft_invoice(api, db):
    await set_company(
        api, db, quote_terms="Quote terms", invoice_terms="Invoice terms", quote_footer="QF", invoice_footer="IF"
    )
    client = await make_client(
        api, contacts=[{"first_name": "A", "email": "a@x.test"}, {"first_name": "B", "email": "b@x.test"}]
    )
    lines = [
        {"quantity": 2, "cost": 10, "notes": "Widget", "tax_name1": "VAT", "tax_rate1": 10},
        {"quantity": 1, "cost": 5, "notes": "Extra"},
    ]
    q = await make_quote(
        api,
        client["id"],
        line_items=lines,
        discount=2,
        po_number="PO-9",
        public_notes="pub",
        private_notes="priv",
        custom_value1="cv",
        due_date="2099-01-01",
        invitations=[{"client_contact_id": client["contacts"][1]["id"]}],
    )
    assert q["terms"] == "Quote terms" and q["footer"] == "QF"
    r = await api.get(f"{BASE}/{q['id']}/convert")
    assert r.status_code == 200, r.text
    inv = r.json()["data"]
    assert inv["entity_type"] == "invoice" and inv["status_id"] == "1" and inv["balance"] == 0
    assert inv["amount"] == q["amount"] == 24.84 and inv["total_taxes"] == q["total_taxes"] == 1.84
    assert [li["notes"] for li in inv["line_items"]] == ["Widget", "Extra"]
    assert [li["line_total"] for li in inv["line_items"]] == [li["line_total"] for li in q["line_items"]]
    assert (inv["discount"], inv["po_number"], inv["public_notes"], inv["private_notes"], inv["custom_value1"]) == (
        2,
        "PO-9",
        "pub",
        "priv",
        "cv",
    )
    assert inv["terms"] == "Invoice terms" and inv["footer"] == "IF" and inv["due_date"] == ""
    assert inv["date"] == company_today().isoformat() and inv["number"] == "0001"
    assert [i["client_contact_id"] for i in inv["invitations"]] == [client["contacts"][1]["id"]]
    assert inv["invitations"][0]["key"] != q["invitations"][0]["key"]
    quote = (await api.get(f"{BASE}/{q['id']}")).json()["data"]
    assert quote["status_id"] == "4" and quote["invoice_id"] == inv["id"] and quote["archived_at"] == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM activities WHERE invoice_id = $1 AND activity_type_id = 4", ids.decode(inv["id"])
        )
        == 1
    )
    assert (
        await db.fetchval(
            "SELECT count(*) FROM activities WHERE quote_id = $1 AND invoice_id = $2",
            ids.decode(q["id"]),
            ids.decode(inv["id"]),
        )
        == 1
    )
    r = await api.get(f"{BASE}/{q['id']}/convert_to_invoice")
    assert r.status_code == 400 and r.json() == {"message": "This quote has already been converted.", "errors": {}}
    assert await count(db, "invoices") == 1


async def test_convert_settings_shared_number_terms_and_archive(api, db):
    await set_company(api, db, shared_invoice_quote_counter=True, auto_archive_quote=True, quote_terms="QT")
    company = await db.fetchval("SELECT id FROM companies ORDER BY id LIMIT 1")
    await api.put(f"/api/v1/companies/{ids.encode(company)}", json={"use_quote_terms_on_conversion": True})
    client = await make_client(api)
    q = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 3}])
    assert q["number"] == "0001"
    inv = (await act(api, q, "convert_to_invoice"))["data"]
    assert inv["number"] == "0001" and inv["terms"] == "QT"  # the quote's number, free among invoices
    quote = (await api.get(f"{BASE}/{q['id']}")).json()["data"]
    assert quote["archived_at"] > 0 and quote["status_id"] == "4"


async def test_bulk_convert_skips_converted_and_expired(api, db):
    await set_company(api, db, auto_convert_quote=False)
    client = await make_client(api)
    a = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 1}])
    b = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 2}], due_date="2020-01-01")
    await act(api, b, "mark_sent")  # expired
    await act(api, a, "convert")
    r = await api.post(f"{BASE}/bulk", json={"action": "convert", "ids": [a["id"], b["id"]]})
    assert r.status_code == 200, r.text
    assert await count(db, "invoices") == 1
    c = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 4}])
    r = await api.post(f"{BASE}/bulk", json={"action": "approve", "ids": [b["id"], c["id"]]})
    assert sorted(row["status_id"] for row in r.json()["data"]) == ["-1", "3"]


async def test_clones(api, db):
    client = await make_client(api)
    q = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 7}], po_number="P")
    inv = (await act(api, q, "clone_to_invoice"))["data"]
    assert inv["entity_type"] == "invoice" and inv["amount"] == 7 and inv["po_number"] == "P"
    again = (await act(api, q, "clone_to_quote"))["data"]
    assert again["entity_type"] == "quote" and again["id"] != q["id"] and again["number"] == "0002"
    assert again["amount"] == 7 and again["status_id"] == "1"
    assert (await api.get(f"{BASE}/{q['id']}")).json()["data"]["invoice_id"] == ""


async def test_email_and_unknown_action(api, db):
    client = await make_client(api)
    q = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 7}])
    assert await act(api, q, "email") == {
        "message": "Marked as sent. No e-mail was sent: this server does not send mail yet."
    }
    shown = (await api.get(f"{BASE}/{q['id']}")).json()["data"]
    assert shown["status_id"] == "2" and shown["invitations"][0]["sent_date"] != ""
    assert shown["last_sent_date"] == company_today().isoformat()
    assert (
        await db.fetchval(
            "SELECT count(*) FROM activities WHERE quote_id = $1 AND activity_type_id = 20 AND contact_id IS NOT NULL",
            ids.decode(q["id"]),
        )
        == 1
    )
    r = await api.get(f"{BASE}/{q['id']}/explode")
    assert r.status_code == 400
    assert r.json() == {"message": "The requested action explode is not available.", "errors": {}}
    r = await api.get(f"{BASE}/{ids.encode(10**9)}/explode")
    assert r.status_code == 404 and r.json()["message"] == "Quote not found"


async def test_archive_restore_delete_actions(api, db):
    client = await make_client(api)
    q = await make_quote(api, client["id"])
    assert (await act(api, q, "archive"))["data"]["archived_at"] > 0
    assert (await act(api, q, "restore"))["data"]["archived_at"] == 0
    deleted = (await act(api, q, "delete"))["data"]
    assert deleted["is_deleted"] is True and deleted["number"] == "0001"
    types = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE quote_id = $1 ORDER BY id", ids.decode(q["id"])
        )
    ]
    assert types == [18, 22, 24, 23]
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [q["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["is_deleted"] is False
    r = await api.post(f"{BASE}/bulk", json={"action": "explode", "ids": [q["id"]]})
    assert r.status_code == 422 and "action" in r.json()["errors"]


# ---- list, filters, sorts --------------------------------------------------------------------------
async def listed(api: Any, query: str) -> list[str]:
    r = await api.get(f"{BASE}?{query}")
    assert r.status_code == 200, r.text
    return [row["number"] for row in r.json()["data"]]


async def test_filters_and_sorts(api, db):
    await set_company(api, db, auto_convert_quote=False)
    today = company_today()
    acme, zeta = await make_client(api, "Acme"), await make_client(api, "Zeta")
    draft = await make_quote(api, acme["id"], line_items=[{"quantity": 1, "cost": 10}], po_number="PO-77")
    sent = await make_quote(
        api, acme["id"], line_items=[{"quantity": 1, "cost": 20}], due_date=(today + timedelta(days=10)).isoformat()
    )
    expired = await make_quote(
        api,
        zeta["id"],
        line_items=[{"quantity": 1, "cost": 30}],
        date=(today - timedelta(days=40)).isoformat(),
        due_date=(today - timedelta(days=10)).isoformat(),
        custom_value2="blue",
    )
    approved = await make_quote(api, zeta["id"], line_items=[{"quantity": 1, "cost": 40}])
    converted = await make_quote(api, zeta["id"], line_items=[{"quantity": 1, "cost": 50}])
    for q, action in ((sent, "mark_sent"), (expired, "mark_sent"), (approved, "approve"), (converted, "convert")):
        await act(api, q, action)
    n = {
        k: v["number"]
        for k, v in (
            ("draft", draft),
            ("sent", sent),
            ("expired", expired),
            ("approved", approved),
            ("converted", converted),
        )
    }
    assert await listed(api, "client_status=draft") == [n["draft"]]
    assert await listed(api, "client_status=sent") == [n["sent"]]
    assert await listed(api, "client_status=upcoming") == [n["sent"]]
    assert await listed(api, "client_status=expired") == [n["expired"]]
    assert await listed(api, "client_status=approved") == [n["approved"]]
    assert await listed(api, "client_status=converted") == [n["converted"]]
    assert len(await listed(api, "client_status=all")) == 5
    assert await listed(api, "client_status=draft,approved&sort=id|asc") == [n["draft"], n["approved"]]
    assert await listed(api, "status_id=3") == [n["approved"]]
    assert await listed(api, f"number={n['sent']}") == [n["sent"]]
    assert await listed(api, f"client_id={acme['id']}&sort=id|asc") == [n["draft"], n["sent"]]
    start = (today - timedelta(days=41)).isoformat()
    assert await listed(api, f"date_range={start},{(today - timedelta(days=39)).isoformat()}") == [n["expired"]]
    assert await listed(api, "filter=PO-77") == [n["draft"]]
    assert await listed(api, "filter=blue") == [n["expired"]]
    assert await listed(api, "filter=zeta&sort=id|asc") == [n["expired"], n["approved"], n["converted"]]
    assert await listed(api, "sort=amount|desc") == [n["converted"], n["approved"], n["expired"], n["sent"], n["draft"]]
    assert await listed(api, "sort=client_id|asc") == [
        n["draft"],
        n["sent"],
        n["expired"],
        n["approved"],
        n["converted"],
    ]
    assert await listed(api, f"client_id={ids.encode(10**9)}") == []
    r = await api.get(f"{BASE}?include=client&status=active&per_page=2&page=1&filter=")
    body = r.json()
    assert r.status_code == 200 and body["meta"]["pagination"]["total"] == 5 and len(body["data"]) == 2
    assert body["data"][0]["client"]["id"] in (acme["id"], zeta["id"])


# ---- tenant isolation ------------------------------------------------------------------------------
async def test_tenant_isolation(api, api_b, db, tenant_b):
    mine = await make_client(api)
    theirs = await make_client(api_b, "Other")
    their_quote = await make_quote(api_b, theirs["id"], line_items=[{"quantity": 1, "cost": 5}])
    missing = ids.encode(10**9)
    snapshot = await db.fetchrow(
        "SELECT status_id, invoice_id, deleted_at, is_deleted, updated_at FROM quotes WHERE id = $1",
        ids.decode(their_quote["id"]),
    )
    for quote_id in (their_quote["id"], missing):
        for method, path, extra in (
            ("get", "", {}),
            ("put", "", {"json": {"po_number": "x"}}),
            ("delete", "", {}),
            ("get", "/mark_sent", {}),
            ("get", "/approve", {}),
            ("get", "/convert", {}),
            ("get", "/email", {}),
            ("get", "/clone_to_quote", {}),
            ("get", "/bogus", {}),
        ):
            r = await getattr(api, method)(f"{BASE}/{quote_id}{path}", **extra)
            assert r.status_code == 404 and r.json() == {"message": "Quote not found", "errors": {}}, (path, r.text)
    assert await listed(api, "") == []
    r = await api.post(BASE, json={"client_id": theirs["id"], "line_items": [{"quantity": 1, "cost": 1}]})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    for action in ("archive", "delete", "convert", "approve", "mark_sent"):
        r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [their_quote["id"]]})
        assert r.status_code == 422 and "ids" in r.json()["errors"]
    mine_q = await make_quote(api, mine["id"])
    r = await api.put(
        f"{BASE}/{mine_q['id']}", json={"invitations": [{"client_contact_id": theirs["contacts"][0]["id"]}]}
    )
    assert r.status_code == 422
    after = await db.fetchrow(
        "SELECT status_id, invoice_id, deleted_at, is_deleted, updated_at FROM quotes WHERE id = $1",
        ids.decode(their_quote["id"]),
    )
    assert after == snapshot
    assert (
        await db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", ids.decode(tenant_b.company_id)) == 0
    )
    assert await db.fetchval("SELECT count(*) FROM quotes WHERE company_id = $1", ids.decode(tenant_b.company_id)) == 1


# ---- hostile input ---------------------------------------------------------------------------------
async def test_hostile_input(api, db):
    client = await make_client(api)
    q = await make_quote(api, client["id"], line_items=[{"quantity": 1, "cost": 1}])
    before = (await count(db, "quotes"), await db.fetchval("SELECT settings FROM companies"))
    raw = '{{"client_id": "{}", "discount": NaN}}'.format(client["id"])
    r = await api.post(BASE, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    cases = [
        {"line_items": [{"quantity": 1, "cost": 1}] * 501},
        {"line_items": [{"quantity": "NaN", "cost": 1}]},
        {"line_items": [{"quantity": 1, "cost": 10**20}]},
        {"discount": "1e400"},
        {"tax_rate1": 10**15},
        {"line_items": [{"quantity": 1, "cost": 6 * 10**13}] * 2},
        {"custom_surcharge1": "Infinity"},
        {"partial": -1},
        {"date": "2024-13-45"},
        {"number": "x" * 500},
    ]
    for body in cases:
        r = await api.post(BASE, json={"client_id": client["id"], **body})
        assert r.status_code == 422, (body, r.text)
        r = await api.put(f"{BASE}/{q['id']}", json=body)
        assert r.status_code == 422, (body, r.text)
    assert (await count(db, "quotes"), await db.fetchval("SELECT settings FROM companies")) == before
    shown = (await api.get(f"{BASE}/{q['id']}")).json()["data"]
    assert shown["amount"] == 1 and len(shown["line_items"]) == 1
    r = await api.post(f"{BASE}/bulk", json={"action": "convert", "ids": [q["id"], "not-an-id"]})
    assert r.status_code == 422 and await count(db, "invoices") == 0


async def test_graphql_quotes(api):
    client = await make_client(api)
    query = (
        "mutation($input: JSON!) { createQuote(input: $input) { id number amount statusId entityType "
        "invitations { link } } }"
    )
    r = await api.post(
        "/graphql",
        json={
            "query": query,
            "variables": {"input": {"client_id": client["id"], "line_items": [{"quantity": 2, "cost": 21}]}},
        },
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    made = r.json()["data"]["createQuote"]
    assert made["amount"] == 42 and made["entityType"] == "quote" and "/client/quote/" in made["invitations"][0]["link"]
    r = await api.post("/graphql", json={"query": '{ quotes(clientStatus: "draft") { items { id } } }'})
    assert r.status_code == 200 and r.json()["data"]["quotes"]["items"] == [{"id": made["id"]}], r.text


async def test_documents_on_quotes_and_credits(api):
    client = await make_client(api)
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    for path in ("quotes", "credits"):
        made = (await api.post(f"/api/v1/{path}", json={"client_id": client["id"]})).json()["data"]
        r = await api.put(
            f"/api/v1/{path}/{made['id']}/upload", files=[("documents[]", (f"{path}.pdf", pdf, "application/pdf"))]
        )
        assert r.status_code == 200, r.text
        assert [d["link"] for d in r.json()["data"]["documents"]] == [f"/{path}/{made['id']}/edit"]
        r = await api.get(f"/api/v1/{path}/{made['id']}/upload")
        assert r.status_code == 405
    r = await api.get(f"/api/v1/documents?client_id={client['id']}&sort=id|asc")
    assert [d["name"] for d in r.json()["data"]] == ["quotes.pdf", "credits.pdf"]
    r = await api.get(f"{BASE}/{ids.encode(1)}/{'x' * 300}")
    assert r.status_code in (400, 404) and len(r.text) < 400


async def test_query_flags_on_create_and_update(api, db):
    client = await make_client(api)
    r = await api.post(
        f"{BASE}?mark_sent=true", json={"client_id": client["id"], "line_items": [{"quantity": 1, "cost": 2}]}
    )
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "2", r.text
    q = await make_quote(api, client["id"])
    await set_company(api, db, auto_convert_quote=False)
    r = await api.put(f"{BASE}/{q['id']}?approve=true", json={"po_number": "A"})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "3"
    r = await api.post(f"{BASE}?send_email=true", json={"client_id": client["id"]})
    made = r.json()["data"]
    assert made["status_id"] == "2" and made["invitations"][0]["sent_date"] != ""
    r = await api.post(
        "/api/v1/credits?mark_sent=true", json={"client_id": client["id"], "line_items": [{"quantity": 1, "cost": 9}]}
    )
    assert r.status_code == 200 and (r.json()["data"]["status_id"], r.json()["data"]["balance"]) == ("2", 9)
    assert await db.fetchval("SELECT credit_balance FROM clients WHERE id = $1", ids.decode(client["id"])) == 9
    r = await api.patch(BASE, json={})
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    r = await api.get(f"{BASE}?client_status=sent")
    assert r.status_code == 200 and len(r.json()["data"]) == 2
