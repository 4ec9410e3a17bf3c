"""Expenses and expense categories over REST: upstream's transformer fields never null, numbering, currency and
tax defaults, list filters (the client_status vocabulary, vendor, client, category), sorts and includes, bulk
archive/categorize/invoice, the taxes of the dashboard and of the invoice made from expenses, exact to the
cent, and tenant isolation inside bodies."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from clock import company_today
from invariants import assert_invariants
from live_server import Session, codes
from test_invoices import make_client

from app import ids, reference

BASE = "/api/v1/expenses"
TOTALS = "/api/v1/charts/totals_v2"
TRANSFORMER_KEYS = {
    "id",
    "user_id",
    "assigned_user_id",
    "vendor_id",
    "invoice_id",
    "client_id",
    "category_id",
    "recurring_expense_id",
    "transaction_id",
    "project_id",
    "bank_id",
    "invoice_currency_id",
    "currency_id",
    "expense_currency_id",
    "payment_type_id",
    "is_deleted",
    "should_be_invoiced",
    "invoice_documents",
    "uses_inclusive_taxes",
    "calculate_tax_by_amount",
    "amount",
    "foreign_amount",
    "exchange_rate",
    *(f"tax_{k}{i}" for k in ("name", "rate", "amount") for i in (1, 2, 3)),
    "private_notes",
    "public_notes",
    "transaction_reference",
    "date",
    "number",
    "payment_date",
    *(f"custom_value{i}" for i in (1, 2, 3, 4)),
    "created_at",
    "updated_at",
    "archived_at",
    "entity_type",
    "e_invoice",
    "documents",
}


async def expense(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def category(api: Any, name: str) -> str:
    r = await api.post("/api/v1/expense_categories", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()["data"]["id"]  # type: ignore[no-any-return]


async def vendor(api: Any, name: str) -> str:
    r = await api.post("/api/v1/vendors", json={"name": name})
    assert r.status_code == 200, r.text
    return r.json()["data"]["id"]  # type: ignore[no-any-return]


async def listed(api: Any, query: str) -> list[str]:
    r = await api.get(f"{BASE}?{query}")
    assert r.status_code == 200, r.text
    return [e["public_notes"] for e in r.json()["data"]]


async def set_attributes(db: Any, company_id: str, **flags: bool) -> None:
    await db.execute(
        "UPDATE companies SET attributes = attributes || $2::jsonb WHERE id = $1",
        ids.decode(company_id),
        flags,
    )


# ---- create / show / update ------------------------------------------------------------------------------
async def test_create_has_upstreams_fields_and_defaults(api, db):
    made = await expense(api, amount=12.5)
    assert set(made) == TRANSFORMER_KEYS
    assert made["number"] == "0001" and made["entity_type"] == "expense"
    assert (made["currency_id"], made["invoice_currency_id"], made["exchange_rate"]) == ("1", "1", 1)
    assert made["date"] == company_today().isoformat()
    assert made["invoice_documents"] is True and made["should_be_invoiced"] is False
    assert made["client_id"] == "" and made["vendor_id"] == "" and made["payment_date"] == ""
    assert made["expense_currency_id"] == "" and made["documents"] == []
    assert all(v is not None for v in made.values())
    second = await expense(api, amount=1)
    assert second["number"] == "0002"
    kinds = await db.fetch("SELECT activity_type_id FROM activities WHERE expense_id = $1", ids.decode(made["id"]))
    assert [k["activity_type_id"] for k in kinds] == [34]
    shown = (await api.get(f"{BASE}/{made['id']}")).json()["data"]
    assert shown["amount"] == 12.5 and shown["id"] == made["id"]
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) == TRANSFORMER_KEYS and blank["entity_type"] == "expense"


async def test_currency_follows_the_client_else_the_company(api):
    other = next(c for c in reference.CURRENCIES if c not in ("1",))
    foreign = await make_client(api, "EuroCo", settings={"currency_id": other})
    made = await expense(api, amount=5, client_id=foreign["id"])
    assert (made["currency_id"], made["invoice_currency_id"]) == (other, other)
    plain = await expense(api, amount=5)
    assert plain["currency_id"] == "1"
    chosen = await expense(api, amount=5, client_id=foreign["id"], currency_id="1", exchange_rate=0)
    assert (chosen["currency_id"], chosen["invoice_currency_id"], chosen["exchange_rate"]) == ("1", "1", 1)


async def test_numbers_are_unique_in_the_company(api, api_b):
    await expense(api, amount=1, number="EXP-1")
    r = await api.post(BASE, json={"amount": 1, "number": "EXP-1"})
    assert r.status_code == 422
    assert r.json()["errors"] == {"number": ["The number has already been taken."]}
    other = await expense(api, amount=1)
    r = await api.put(f"{BASE}/{other['id']}", json={"number": "EXP-1"})
    assert r.status_code == 422 and "number" in r.json()["errors"]
    kept = (await api.put(f"{BASE}/{other['id']}", json={"number": "", "public_notes": "x"})).json()["data"]
    assert kept["number"] == other["number"] and kept["public_notes"] == "x"
    assert (await expense(api_b, amount=1, number="EXP-1"))["number"] == "EXP-1"  # another company's own


async def test_update_changes_fields_and_logs_47(api, db):
    cat = await category(api, "Travel")
    made = await expense(api, amount=10)
    r = await api.put(
        f"{BASE}/{made['id']}",
        json={"amount": "20.123456789", "category_id": cat, "payment_date": "2026-01-02", "should_be_invoiced": True},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["amount"], data["category_id"], data["payment_date"]) == (20.123457, cat, "2026-01-02")
    stored = await db.fetchval("SELECT amount FROM expenses WHERE id = $1", ids.decode(made["id"]))
    assert stored == Decimal("20.123457")
    kinds = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE expense_id = $1 ORDER BY id", ids.decode(made["id"])
    )
    assert [k["activity_type_id"] for k in kinds] == [34, 47]


# ---- filters, sorts, includes --------------------------------------------------------------------------
async def test_list_filters_statuses_and_links(api):
    acme = await make_client(api, "Acme")
    bolt = await make_client(api, "Bolt")
    travel = await category(api, "Travel")
    shop = await vendor(api, "Shop")
    await expense(api, amount=1, public_notes="logged")
    await expense(api, amount=2, public_notes="pending", should_be_invoiced=True, client_id=acme["id"])
    await expense(api, amount=3, public_notes="paid", payment_date="2026-01-05", vendor_id=shop, category_id=travel)
    await expense(api, amount=4, public_notes="bolt", client_id=bolt["id"], category_id=travel)
    assert await listed(api, "client_status=logged") == ["logged", "bolt"]
    assert await listed(api, "client_status=pending") == ["pending"]
    assert await listed(api, "client_status=paid") == ["paid"]
    assert await listed(api, "client_status=unpaid") == ["logged", "pending", "bolt"]
    assert await listed(api, "client_status=uncategorized") == ["logged", "pending"]
    assert await listed(api, "client_status=paid,pending") == ["pending", "paid"]
    assert len(await listed(api, "client_status=all")) == 4
    assert await listed(api, f"vendor_id={shop}") == ["paid"]
    assert await listed(api, f"client_id={acme['id']}") == ["pending"]
    assert await listed(api, f"category_id={travel}") == ["paid", "bolt"]
    assert await listed(api, "filter=travel") == ["paid", "bolt"]  # the category's name
    assert await listed(api, "filter=acm") == ["pending"]  # the client's name
    assert await listed(api, "sort=amount|desc") == ["bolt", "paid", "pending", "logged"]
    assert (await listed(api, "sort=client_id|asc"))[-2:] == ["pending", "bolt"]  # by name; none lowest
    r = await api.get(f"{BASE}?include=client,vendor,category&vendor_id={shop}")
    row = r.json()["data"][0]
    assert row["vendor"]["name"] == "Shop" and row["category"]["name"] == "Travel" and not row.get("client")


async def test_foreign_links_in_bodies_answer_like_missing(api, api_b):
    theirs_client = (await make_client(api_b, "Theirs"))["id"]
    theirs_category = await category(api_b, "Theirs")
    theirs_vendor = await vendor(api_b, "Theirs")
    theirs_invoice = (await api_b.post("/api/v1/invoices", json={"client_id": theirs_client})).json()["data"]["id"]
    missing = ids.encode(987_654)
    for name, foreign in (
        ("client_id", theirs_client),
        ("category_id", theirs_category),
        ("vendor_id", theirs_vendor),
        ("invoice_id", theirs_invoice),
    ):
        a = await api.post(BASE, json={"amount": 1, name: foreign})
        b = await api.post(BASE, json={"amount": 1, name: missing})
        assert a.status_code == b.status_code == 422, (name, a.text)
        assert a.json() == b.json(), name
    assert (await api.get(BASE)).json()["data"] == []
    mine = await expense(api, amount=1)
    r = await api.put(f"{BASE}/{mine['id']}", json={"category_id": theirs_category})
    assert r.status_code == 422 and "category_id" in r.json()["errors"]
    r = await api.post(
        f"{BASE}/bulk", json={"action": "bulk_categorize", "ids": [mine["id"]], "category_id": theirs_category}
    )
    assert r.status_code == 422 and "category_id" in r.json()["errors"]
    assert (await api.get(f"{BASE}/{mine['id']}")).json()["data"]["category_id"] == ""


async def test_an_invoice_must_be_the_expenses_clients(api):
    acme = await make_client(api, "Acme")
    bolt = await make_client(api, "Bolt")
    inv = (await api.post("/api/v1/invoices", json={"client_id": acme["id"]})).json()["data"]["id"]
    r = await api.post(BASE, json={"amount": 1, "client_id": bolt["id"], "invoice_id": inv})
    assert r.status_code == 422 and r.json()["errors"] == {"invoice_id": ["The selected invoice id is invalid."]}
    linked = await expense(api, amount=1, client_id=acme["id"], invoice_id=inv)
    assert linked["invoice_id"] == inv


# ---- bulk ------------------------------------------------------------------------------------------------
async def test_bulk_archive_restore_delete_and_categorize(api, db):
    one = await expense(api, amount=1)
    two = await expense(api, amount=2)
    both = [one["id"], two["id"]]
    r = await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": both})
    assert r.status_code == 200 and all(e["archived_at"] > 0 for e in r.json()["data"])
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": both})
    assert all(e["archived_at"] == 0 for e in r.json()["data"])
    travel = await category(api, "Travel")
    r = await api.post(f"{BASE}/bulk", json={"action": "bulk_categorize", "ids": both, "category_id": travel})
    assert r.status_code == 200 and {e["category_id"] for e in r.json()["data"]} == {travel}
    r = await api.post(f"{BASE}/bulk", json={"action": "bulk_categorize", "ids": both})
    assert r.status_code == 422 and "category_id" in r.json()["errors"]
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [one["id"]]})
    assert r.json()["data"][0]["is_deleted"] is True
    kinds = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE expense_id = $1 ORDER BY id", ids.decode(one["id"])
    )
    assert [k["activity_type_id"] for k in kinds] == [34, 35, 37, 47, 36]
    r = await api.put(f"{BASE}/{one['id']}", json={"amount": 5})
    assert r.status_code == 400


# ---- taxes: the dashboard's totals and the invoice's lines ----------------------------------------------
TAX_CASES = [
    # (company tax mode, body, what the expense costs with its taxes)
    ({}, {"amount": 100, "tax_name1": "VAT", "tax_rate1": 10, "tax_name2": "GST", "tax_rate2": 5}, "115.00"),
    ({}, {"amount": 110, "uses_inclusive_taxes": True, "tax_name1": "VAT", "tax_rate1": 10}, "110.00"),
    ({"calculate_expense_tax_by_amount": True}, {"amount": 80, "tax_name1": "VAT", "tax_amount1": 6.4}, "86.40"),
    (
        {"calculate_expense_tax_by_amount": True, "expense_inclusive_taxes": True},
        {"amount": 107, "tax_name1": "VAT", "tax_amount1": 7},
        "107.00",
    ),
]


async def test_taxes_by_rate_and_by_amount_inclusive_and_exclusive(api, db, tenant_a):
    client = await make_client(api, "Taxed")
    total = Decimal(0)
    for flags, body, gross in TAX_CASES:
        modes = {"calculate_expense_tax_by_amount": False, "expense_inclusive_taxes": False, **flags}
        await set_attributes(db, tenant_a.company_id, **modes)
        made = await expense(api, client_id=client["id"], **body)
        assert made["calculate_tax_by_amount"] is bool(flags.get("calculate_expense_tax_by_amount"))
        assert made["uses_inclusive_taxes"] is bool(
            body.get("uses_inclusive_taxes") or flags.get("expense_inclusive_taxes")
        )
        total += Decimal(gross)
        r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [made["id"]]})
        assert r.status_code == 200, r.text
        invoice_id = r.json()["data"][0]["invoice_id"]
        inv = (await api.get(f"/api/v1/invoices/{invoice_id}")).json()["data"]
        # the invoice made from the expense costs what the expense did, taxes included, to the cent
        assert Decimal(str(inv["amount"])) == Decimal(gross), (body, inv["amount"])
    totals = (await api.post(TOTALS, json={"date_range": "this_month"})).json()
    assert Decimal(str(totals["1"]["expenses"]["amount"])) == total  # 418.40


async def test_dashboard_counts_expenses_with_taxes_per_currency(api, api_b):
    other = next(c for c in reference.CURRENCIES if c != "1")
    await expense(api, amount=100, tax_name1="VAT", tax_rate1=20)
    await expense(api, amount=50, currency_id=other)
    gone = await expense(api, amount=1000)
    await api.delete(f"{BASE}/{gone['id']}")
    await expense(api_b, amount=999)
    totals = (await api.post(TOTALS, json={"date_range": "this_month"})).json()
    assert totals["1"]["expenses"]["amount"] == 120
    assert totals[other]["expenses"]["amount"] == 50
    summary = (await api.post("/api/v1/charts/chart_summary_v2", json={"date_range": "this_month"})).json()
    today = company_today().isoformat()
    assert summary["1"]["expenses"] == [{"date": today, "total": 120, "currency_id": "1"}]


# ---- bulk invoice ---------------------------------------------------------------------------------------
async def test_bulk_invoice_makes_one_draft_with_a_line_per_expense(api, db):
    client = await make_client(api, "Billable")
    travel = await category(api, "Travel")
    first = await expense(
        api,
        amount=40,
        client_id=client["id"],
        category_id=travel,
        public_notes="Train",
        tax_name1="VAT",
        tax_rate1=10,
        custom_value1="c1",
        date="2026-02-03",
    )
    second = await expense(api, amount=25, foreign_amount=30, client_id=client["id"], public_notes="Hotel")
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [second["id"], first["id"]]})
    assert r.status_code == 200, r.text
    linked = {e["invoice_id"] for e in r.json()["data"]}
    assert len(linked) == 1 and "" not in linked
    inv = (await api.get(f"/api/v1/invoices/{linked.pop()}")).json()["data"]
    assert (inv["status_id"], inv["client_id"], inv["date"]) == ("1", client["id"], "2026-02-03")
    assert inv["amount"] == 74  # 40 + 10% + 30 (the foreign amount)
    lines = inv["line_items"]
    assert [(x["expense_id"], x["notes"], x["cost"], x["quantity"], x["type_id"]) for x in lines] == [
        (first["id"], "Train", 40, 1, "1"),
        (second["id"], "Hotel", 30, 1, "1"),
    ]
    assert (lines[0]["product_key"], lines[0]["tax_name1"], lines[0]["tax_rate1"]) == ("Travel", "VAT", 10)
    assert lines[0]["custom_value1"] == "c1"
    balance = await db.fetchval("SELECT balance FROM clients WHERE id = $1", ids.decode(client["id"]))
    assert balance == 0  # a draft moves no money
    assert await listed(api, "client_status=invoiced") == ["Train", "Hotel"]


async def test_bulk_invoice_refusals_change_nothing(api, db):
    acme = await make_client(api, "Acme")
    bolt = await make_client(api, "Bolt")
    a = await expense(api, amount=1, client_id=acme["id"])
    b = await expense(api, amount=2, client_id=bolt["id"])
    loose = await expense(api, amount=3)
    count = "SELECT count(*) FROM invoices WHERE company_id = (SELECT company_id FROM expenses WHERE id = $1)"
    for chosen, words in (
        ([a["id"], b["id"]], "different clients"),
        ([a["id"], loose["id"]], "has no client"),
    ):
        r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": chosen})
        assert r.status_code == 422 and words in r.json()["errors"]["ids"][0], r.text
    assert await db.fetchval(count, ids.decode(a["id"])) == 0
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [a["id"]]})
    assert r.status_code == 200
    again = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [a["id"]]})
    assert again.status_code == 422 and "already been invoiced" in again.json()["errors"]["ids"][0]
    assert await db.fetchval(count, ids.decode(a["id"])) == 1
    r = await api.post(f"{BASE}/bulk", json={"action": "nope", "ids": [a["id"]]})
    assert r.status_code == 422


async def test_bulk_invoice_of_another_companys_expenses_is_refused(api, api_b, db):
    theirs = await expense(api_b, amount=5, client_id=(await make_client(api_b, "Theirs"))["id"])
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [theirs["id"]]})
    assert r.status_code == 422 and r.json()["errors"] == {"ids": ["The selected ids is invalid."]}
    assert await db.fetchval("SELECT invoice_id FROM expenses WHERE id = $1", ids.decode(theirs["id"])) is None


async def test_an_invoice_saved_with_expense_lines_invoices_them_and_deleting_it_frees_them(api, api_b):
    """The web app invoices expenses itself: it posts an invoice whose lines carry `expense_id`."""
    client = await make_client(api, "WebApp")
    mine = await expense(api, amount=12, client_id=client["id"], public_notes="Taxi")
    elsewhere = await expense(api, amount=5, client_id=(await make_client(api, "Other"))["id"])
    theirs = await expense(api_b, amount=7)
    lines = [{"cost": 12, "quantity": 1, "expense_id": e["id"]} for e in (mine, elsewhere, theirs)]
    r = await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": lines})
    assert r.status_code == 200, r.text
    invoice_id = r.json()["data"]["id"]
    assert (await api.get(f"{BASE}/{mine['id']}")).json()["data"]["invoice_id"] == invoice_id
    assert (await api.get(f"{BASE}/{elsewhere['id']}")).json()["data"]["invoice_id"] == ""  # another client's
    assert (await api_b.get(f"{BASE}/{theirs['id']}")).json()["data"]["invoice_id"] == ""  # another company's
    refused = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [mine["id"]]})
    assert refused.status_code == 422
    await api.delete(f"/api/v1/invoices/{invoice_id}")
    assert (await api.get(f"{BASE}/{mine['id']}")).json()["data"]["invoice_id"] == ""
    again = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [mine["id"]]})
    assert again.status_code == 200 and again.json()["data"][0]["invoice_id"] not in ("", invoice_id)


# ---- race ------------------------------------------------------------------------------------------------
async def test_ten_racing_bulk_invoices_make_one_invoice(live):
    async with Session(live) as s:
        client = await s.client()
        made = [
            (await s.http.post(BASE, json={"amount": 10 + n, "client_id": client})).json()["data"]["id"]
            for n in range(3)
        ]
        responses = await asyncio.gather(
            *(s.http.post(f"{BASE}/bulk", json={"action": "invoice", "ids": made}) for _ in range(10))
        )
        assert codes(responses) == [200] + [422] * 9, [r.text for r in responses]
        company = ids.decode(s.company_id)
        assert await s.db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", company) == 1
        invoice_id = await s.db.fetchval("SELECT id FROM invoices WHERE company_id = $1", company)
        linked = await s.db.fetch("SELECT DISTINCT invoice_id FROM expenses WHERE company_id = $1", company)
        assert [r["invoice_id"] for r in linked] == [invoice_id]
        amount = await s.db.fetchval("SELECT amount FROM invoices WHERE id = $1", invoice_id)
        assert amount == 33
        await assert_invariants(s.db, s.company_id)
