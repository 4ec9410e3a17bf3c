"""POST /search and the dashboard charts (totals_v2, chart_summary_v2) from real data, per currency and tenant."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clock import company_today
from test_invoices import make_client, make_invoice, web_line

from app import reference

TOTALS = "/api/v1/charts/totals_v2?include_drafts=false"
SUMMARY = "/api/v1/charts/chart_summary_v2?include_drafts=false"
PARTS = ("invoices", "outstanding", "payments", "expenses")


async def sent(db: Any, invoice: dict[str, Any], balance: float | None = None) -> None:
    from app import ids

    await db.execute(
        "UPDATE invoices SET status_id = 2, balance = COALESCE($2::numeric, amount) WHERE id = $1",
        ids.decode(invoice["id"]),
        balance,
    )


# ---- search --------------------------------------------------------------------------------------------
async def test_search_finds_clients_contacts_and_invoices(api, api_b):
    client = await make_client(api, "ZephyrWorks", id_number="ZW-77")
    inv = await make_invoice(api, client["id"], po_number="PO-ZEBRA", line_items=[web_line()])
    await make_client(api_b, "ZephyrForeign")
    r = await api.post("/api/v1/search", json={"search": "zephyr"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"clients", "client_contacts", "invoices", "settings"}
    assert body["clients"] == [
        {
            "name": "ZephyrWorks",
            "type": "/client",
            "id": client["id"],
            "path": f"/clients/{client['id']}",
            "heading": "Clients",
        }
    ]
    assert [h["id"] for h in body["client_contacts"]] == [client["id"]]  # zephyrworks@example.test
    assert body["invoices"] == []
    by_po = (await api.post("/api/v1/search", json={"search": "ZEBRA"})).json()
    assert by_po["invoices"] == [
        {
            "name": f"ZephyrWorks - {inv['number']}",
            "type": "/invoice",
            "id": inv["id"],
            "path": f"/invoices/{inv['id']}/edit",
            "heading": "Invoices",
        }
    ]
    assert (await api.post("/api/v1/search", json={"search": "ZW-77"})).json()["clients"][0]["id"] == client["id"]
    contact = (await api.post("/api/v1/search", json={"search": "Wile"})).json()["client_contacts"]
    assert contact and all(h["type"] == "/client" and h["heading"] == "Contacts" for h in contact)
    assert (await api.post("/api/v1/search", json={"search": "tax rates"})).json()["settings"][0][
        "path"
    ] == "/settings/tax_rates"


async def test_search_without_text_is_empty(api):
    await make_client(api, "Anyone")
    for body in ({}, {"search": ""}, {"search": "   "}):
        r = await api.post("/api/v1/search", json=body)
        assert r.status_code == 200
        assert r.json() == {"clients": [], "client_contacts": [], "invoices": [], "settings": []}
    r = await api.post("/api/v1/search")  # the web app's prefetch: no body at all
    assert r.status_code == 200 and r.json()["clients"] == []
    r = await api.post("/api/v1/search", json={"search": "%_\\"})
    assert r.status_code == 200 and r.json()["clients"] == []


# ---- charts --------------------------------------------------------------------------------------------
async def test_charts_without_data_have_every_part(api):
    for url in (TOTALS, SUMMARY):
        r = await api.post(url, json={"start_date": "2026-01-01", "end_date": "2026-01-31", "date_range": "custom"})
        assert r.status_code == 200, r.text
    totals = (await api.post(TOTALS, json={"date_range": "this_month"})).json()
    assert totals["currencies"] == {"1": "USD"}
    assert totals["1"]["invoices"]["invoiced_amount"] == 0
    assert totals["1"]["revenue"]["paid_to_date"] == 0
    assert totals["1"]["outstanding"] == {"amount": 0, "outstanding_count": 0, "currency_id": "1", "code": "USD"}
    assert totals["1"]["expenses"]["amount"] == 0
    summary = (await api.post(SUMMARY, json={"date_range": "this_month"})).json()
    assert summary["1"] == {part: [] for part in PARTS}
    assert summary["start_date"] <= company_today().isoformat() <= summary["end_date"]


async def test_charts_from_real_invoices_per_currency(api, api_b, db):
    usd = await make_client(api, "DollarCo")
    other_id = next(c for c in reference.CURRENCIES if c != "1")
    foreign = await make_client(api, "ForeignCo", settings={"currency_id": other_id})
    today = company_today()
    a = await make_invoice(api, usd["id"], line_items=[web_line()], date=today.isoformat())  # 50
    b = await make_invoice(api, usd["id"], line_items=[web_line(cost=10)], date=today.isoformat())  # 20
    await make_invoice(api, usd["id"], line_items=[web_line(cost=100)], date=today.isoformat())  # draft 200
    c = await make_invoice(api, foreign["id"], line_items=[web_line(cost=5)], date=today.isoformat())  # 10
    old = await make_invoice(api, usd["id"], line_items=[web_line()], date=(today - timedelta(days=400)).isoformat())
    for inv in (a, c, old):
        await sent(db, inv)
    await sent(db, b, balance=0)
    await db.execute("UPDATE invoices SET status_id = 4 WHERE balance = 0 AND status_id = 2")
    b_client = await make_client(api_b, "OtherTenant")
    await sent(db, await make_invoice(api_b, b_client["id"], line_items=[web_line(cost=1000)]))

    body = {"start_date": (today - timedelta(days=5)).isoformat(), "end_date": today.isoformat()}
    totals = (await api.post(TOTALS, json=body)).json()
    assert set(totals["currencies"]) == {"1", other_id}
    assert totals["1"]["invoices"]["invoiced_amount"] == 70
    assert totals["1"]["outstanding"]["amount"] == 50 and totals["1"]["outstanding"]["outstanding_count"] == 1
    assert totals[other_id]["invoices"]["invoiced_amount"] == 10
    with_drafts = (await api.post(TOTALS.replace("false", "true"), json=body)).json()
    assert with_drafts["1"]["invoices"]["invoiced_amount"] == 270

    summary = (await api.post(SUMMARY, json=body)).json()
    assert summary["start_date"] == body["start_date"] and summary["end_date"] == body["end_date"]
    assert summary["1"]["invoices"] == [{"date": today.isoformat(), "total": 70, "currency_id": "1"}]
    assert summary["1"]["outstanding"] == [{"date": today.isoformat(), "total": 50, "currency_id": "1"}]
    assert summary[other_id]["invoices"][0]["total"] == 10
    for cid in ("1", other_id):
        assert all(isinstance(summary[cid][p], list) for p in PARTS)
    every = (await api.post(TOTALS, json={"date_range": "all_time"})).json()
    assert every["1"]["invoices"]["invoiced_amount"] == 120


async def test_charts_count_payments(api, db):
    client = await make_client(api, "Payer")
    from app import ids

    company = await db.fetchval("SELECT company_id FROM clients WHERE id = $1", ids.decode(client["id"]))
    await db.execute(
        "INSERT INTO payments (company_id, client_id, amount, refunded, date, status_id) VALUES ($1, $2, 30, 5, $3, 4)",
        company,
        ids.decode(client["id"]),
        company_today(),
    )
    totals = (await api.post(TOTALS, json={"date_range": "last7_days"})).json()
    assert totals["1"]["revenue"]["paid_to_date"] == 25
    summary = (await api.post(SUMMARY, json={"date_range": "last7_days"})).json()
    assert summary["1"]["payments"][0]["total"] == 25


async def test_chart_input_errors(api):
    r = await api.post(TOTALS, json={"date_range": "next_century"})
    assert r.status_code == 422 and "date_range" in r.json()["errors"]
    r = await api.post(SUMMARY, json={"start_date": "yesterday-ish"})
    assert r.status_code == 422 and "start_date" in r.json()["errors"]
