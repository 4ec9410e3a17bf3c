"""Recurring invoices over REST: the transformer's fields never null, the invoice engine's totals, the schedule
rules, start/stop, the web app's dashboard list (client_status=active, sort=next_send_date_client|asc) and
tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clock import company_today
from test_invoices import make_client, web_line

BASE = "/api/v1/recurring_invoices"
TRANSFORMER_KEYS = {
    "id",
    "user_id",
    "project_id",
    "assigned_user_id",
    "amount",
    "balance",
    "client_id",
    "vendor_id",
    "status_id",
    "design_id",
    "created_at",
    "updated_at",
    "archived_at",
    "is_deleted",
    "number",
    "discount",
    "po_number",
    "date",
    "last_sent_date",
    "next_send_date",
    "next_send_datetime",
    "due_date",
    "terms",
    "public_notes",
    "private_notes",
    "uses_inclusive_taxes",
    "tax_name1",
    "tax_rate1",
    "tax_name2",
    "tax_rate2",
    "tax_name3",
    "tax_rate3",
    "total_taxes",
    "is_amount_discount",
    "footer",
    "partial",
    "partial_due_date",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "has_tasks",
    "has_expenses",
    "custom_surcharge1",
    "custom_surcharge2",
    "custom_surcharge3",
    "custom_surcharge4",
    "exchange_rate",
    "custom_surcharge_tax1",
    "custom_surcharge_tax2",
    "custom_surcharge_tax3",
    "custom_surcharge_tax4",
    "line_items",
    "entity_type",
    "frequency_id",
    "remaining_cycles",
    "recurring_dates",
    "auto_bill",
    "auto_bill_enabled",
    "due_date_days",
    "paid_to_date",
    "subscription_id",
    "invitations",
    "documents",
    "next_send_date_client",
}


async def make(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"client_id": client_id, "frequency_id": "5", **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def bulk(api: Any, action: str, *ids: str) -> Any:
    return await api.post(f"{BASE}/bulk", json={"action": action, "ids": list(ids)})


async def test_blank_has_every_field(api):
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200, r.text
    blank = r.json()["data"]
    assert set(blank) >= TRANSFORMER_KEYS
    assert blank["client_id"] == "" and blank["line_items"] == [] and blank["frequency_id"] == "5"
    assert blank["remaining_cycles"] == -1 and blank["entity_type"] == "recurringInvoice"
    assert all(v is not None for k, v in blank.items() if k != "id")


async def test_create_computes_like_an_invoice(api, db):
    client = await make_client(api)
    ri = await make(
        api, client["id"], line_items=[web_line(tax_name1="VAT", tax_rate1=10)], amount=1, balance=2, status_id="2"
    )
    assert set(ri) >= TRANSFORMER_KEYS
    for key, value in ri.items():
        assert value is not None, key
    assert ri["amount"] == 55 and ri["balance"] == 55 and ri["total_taxes"] == 5 and ri["paid_to_date"] == 0
    assert ri["status_id"] == "1" and ri["frequency_id"] == "5" and ri["remaining_cycles"] == -1
    assert ri["number"] == "0001" and ri["entity_type"] == "recurringInvoice"
    today = company_today().isoformat()
    assert ri["next_send_date"] == today and ri["next_send_date_client"] == today
    assert ri["next_send_datetime"].startswith(today) or ri["next_send_datetime"]
    assert ri["auto_bill"] == "off" and ri["auto_bill_enabled"] is False and ri["due_date_days"] == "terms"
    assert ri["recurring_dates"] == [] and ri["last_sent_date"] == ""
    assert len(ri["invitations"]) == 1
    assert ri["invitations"][0]["link"].endswith("/client/recurring_invoice/" + ri["invitations"][0]["key"])
    assert await db.fetchval("SELECT count(*) FROM activities WHERE activity_type_id = 100") == 1
    # the client balance is not touched by a recurring invoice
    assert (await api.get(f"/api/v1/clients/{client['id']}")).json()["data"]["balance"] == 0


async def test_validation(api):
    client = await make_client(api)
    r = await api.post(BASE, json={"client_id": client["id"]})
    assert r.status_code == 422 and "frequency_id" in r.json()["errors"]
    r = await api.post(BASE, json={"client_id": client["id"], "frequency_id": "13"})
    assert r.status_code == 422 and "frequency_id" in r.json()["errors"]
    yesterday = (company_today() - timedelta(days=2)).isoformat()
    r = await api.post(BASE, json={"client_id": client["id"], "frequency_id": 5, "next_send_date": yesterday})
    assert r.status_code == 422 and "next_send_date" in r.json()["errors"]
    for field, value in (("remaining_cycles", -2), ("auto_bill", "sometimes"), ("due_date_days", "32")):
        r = await api.post(BASE, json={"client_id": client["id"], "frequency_id": 5, field: value})
        assert r.status_code == 422 and field in r.json()["errors"], (field, r.text)
    r = await api.post(BASE, json={"frequency_id": 5})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]


async def test_schedule_fields_round_trip(api):
    client = await make_client(api)
    later = (company_today() + timedelta(days=10)).isoformat()
    ri = await make(
        api,
        client["id"],
        frequency_id=2,
        remaining_cycles=3,
        next_send_date=later,
        auto_bill="optout",
        due_date_days="15",
    )
    assert ri["frequency_id"] == "2" and ri["remaining_cycles"] == 3 and ri["next_send_date"] == later
    assert ri["auto_bill"] == "optout" and ri["auto_bill_enabled"] is True and ri["due_date_days"] == "15"
    r = await api.put(f"{BASE}/{ri['id']}", json={**ri, "remaining_cycles": 0, "line_items": [web_line()]})
    assert r.status_code == 200, r.text
    done = r.json()["data"]
    assert done["status_id"] == "4" and done["amount"] == 50 and done["number"] == ri["number"]
    r = await api.put(f"{BASE}/{ri['id']}", json={"remaining_cycles": 2})
    assert r.json()["data"]["status_id"] == "2"


async def test_start_and_stop(api):
    client = await make_client(api)
    ri = await make(api, client["id"])
    r = await bulk(api, "start", ri["id"])
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["status_id"] == "2"
    r = await bulk(api, "stop", ri["id"])
    assert r.json()["data"][0]["status_id"] == "3"
    r = await bulk(api, "start", ri["id"])
    assert r.json()["data"][0]["status_id"] == "2"
    # archived: start restores it; no cycles left: start does nothing
    await bulk(api, "archive", ri["id"])
    r = await bulk(api, "start", ri["id"])
    assert r.json()["data"][0]["archived_at"] == 0
    done = await make(api, client["id"], remaining_cycles=0)
    assert done["status_id"] == "4"
    r = await bulk(api, "start", done["id"])
    assert r.json()["data"][0]["status_id"] == "4"
    assert (await bulk(api, "fly", ri["id"])).status_code == 422


async def test_dashboard_list_filters_and_sorts(api):
    client = await make_client(api)
    other = await make_client(api, "Beta")
    soon, later = (company_today() + timedelta(days=3)).isoformat(), (company_today() + timedelta(days=30)).isoformat()
    a = await make(api, client["id"], next_send_date=later, po_number="PO-A")
    b = await make(api, client["id"], next_send_date=soon)
    c = await make(api, other["id"])
    await bulk(api, "start", a["id"], b["id"])
    await bulk(api, "stop", b["id"])
    await bulk(api, "start", b["id"])
    url = (
        f"{BASE}?include=client&client_status=active&without_deleted_clients=true&per_page=50&page=1"
        "&filter=&status=active&sort=next_send_date_client|asc"
    )
    r = await api.get(url)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["id"] for x in body["data"]] == [b["id"], a["id"]]
    assert body["data"][0]["client"]["id"] == client["id"]
    assert body["meta"]["pagination"]["total"] == 2
    assert [x["id"] for x in (await api.get(f"{BASE}?client_status=draft")).json()["data"]] == [c["id"]]
    assert len((await api.get(f"{BASE}?client_status=pending")).json()["data"]) == 2
    assert (await api.get(f"{BASE}?client_status=paused")).json()["data"] == []
    assert [x["id"] for x in (await api.get(f"{BASE}?client_id={other['id']}")).json()["data"]] == [c["id"]]
    assert [x["id"] for x in (await api.get(f"{BASE}?filter=PO-A")).json()["data"]] == [a["id"]]
    assert [x["id"] for x in (await api.get(f"{BASE}?filter=Beta")).json()["data"]] == [c["id"]]
    r = await api.get(f"{BASE}?sort=next_send_date_client|desc&status=active")
    assert r.json()["data"][0]["id"] == a["id"]


async def test_tenant_isolation(api, api_b):
    client = await make_client(api)
    ri = await make(api, client["id"])
    assert (await api_b.get(f"{BASE}/{ri['id']}")).status_code == 404
    assert (await api_b.get(BASE)).json()["data"] == []
    assert (await bulk(api_b, "start", ri["id"])).status_code == 422
    r = await api_b.post(BASE, json={"client_id": client["id"], "frequency_id": 5})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]


async def test_includes_documents_and_graphql(api):
    client = await make_client(api)
    ri = await make(api, client["id"])
    r = await api.get(f"{BASE}/{ri['id']}?include=client,activities")
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["client"]["id"] == client["id"] and data["activities"][0]["activity_type_id"] == "100"
    files = {"documents[]": ("notes.txt", b"hello", "text/plain")}
    r = await api.post(f"{BASE}/{ri['id']}/upload", files=files, data={"_method": "PUT"})
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]["documents"]) == 1
    q = '{ recurringInvoices(clientStatus: "draft") { items { id frequencyId nextSendDate } } }'
    r = await api.post("/graphql", json={"query": q})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    item = r.json()["data"]["recurringInvoices"]["items"][0]
    assert item == {"id": ri["id"], "frequencyId": "5", "nextSendDate": ri["next_send_date"]}


async def test_single_actions(api, api_b):
    """GET /recurring_invoices/{id}/{action}: start, stop, archive, restore, delete answer the row."""
    client = await make_client(api)
    ri = await make(api, client["id"])
    r = await api.get(f"{BASE}/{ri['id']}/start")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "2"
    r = await api.get(f"{BASE}/{ri['id']}/stop")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "3"
    r = await api.get(f"{BASE}/{ri['id']}/archive")
    assert r.status_code == 200 and r.json()["data"]["archived_at"] > 0
    r = await api.get(f"{BASE}/{ri['id']}/send_later")
    assert r.status_code == 400 and r.json()["message"] == "The requested action send_later is not available."
    r = await api_b.get(f"{BASE}/{ri['id']}/delete")
    assert r.status_code == 404
    r = await api.get(f"{BASE}/{ri['id']}/delete")
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
