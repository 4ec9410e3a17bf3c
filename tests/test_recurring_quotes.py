"""Recurring quotes over REST: the recurring invoice's schedule and engine with the quote's defaults, numbered with
the recurring quote counter, invitations like a quote's, start/stop (bulk and GET /{id}/{action}), activities
110..114 and tenant isolation of the client inside the body."""

from __future__ import annotations

from typing import Any

from test_invoices import make_client, web_line
from test_recurring_invoices import TRANSFORMER_KEYS
from test_registry_matrix import company_snapshot

from app import ids

BASE = "/api/v1/recurring_quotes"


async def make(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"client_id": client_id, "frequency_id": "5", **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_create_computes_numbers_and_invites(api, db, tenant_a):
    await db.execute(
        'UPDATE companies SET settings = settings || \'{"quote_terms": "Quote terms", '
        '"recurring_quote_number_pattern": "RQ-{$counter}"}\'::jsonb WHERE id = $1',
        ids.decode(tenant_a.company_id),
    )
    client = await make_client(api)
    rq = await make(api, client["id"], line_items=[web_line(tax_name1="VAT", tax_rate1=10)], amount=1, status_id="2")
    assert set(rq) >= TRANSFORMER_KEYS and all(v is not None for v in rq.values())
    assert rq["entity_type"] == "recurringQuote" and rq["status_id"] == "1" and rq["frequency_id"] == "5"
    assert rq["amount"] == 55 and rq["balance"] == 55 and rq["total_taxes"] == 5
    assert rq["number"] == "RQ-0001" and rq["terms"] == "Quote terms"
    second = await make(api, client["id"])
    assert second["number"] == "RQ-0002"
    assert len(rq["invitations"]) == 1
    assert rq["invitations"][0]["link"].endswith("/client/recurring_quote/" + rq["invitations"][0]["key"])
    assert await db.fetchval("SELECT count(*) FROM recurring_quote_invitations") == 2
    # activity 110 names the recurring quote and its client; no recurring invoice counter moved
    row = await db.fetchrow("SELECT client_id, recurring_quote_id FROM activities WHERE activity_type_id = 110 LIMIT 1")
    assert row["client_id"] == ids.decode(client["id"]) and row["recurring_quote_id"] is not None
    settings = await db.fetchval("SELECT settings FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    assert settings["recurring_quote_number_counter"] == 3
    assert int(settings.get("recurring_invoice_number_counter", 1)) == 1
    # the client's balance is not touched
    assert (await api.get(f"/api/v1/clients/{client['id']}")).json()["data"]["balance"] == 0
    r = await api.get(f"{BASE}/{rq['id']}?include=activities")
    assert [a["activity_type_id"] for a in r.json()["data"]["activities"]] == ["110"]


async def test_validation_and_schedule(api):
    client = await make_client(api)
    r = await api.post(BASE, json={"client_id": client["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"frequency_id": ["The frequency id field is required."]}
    r = await api.post(BASE, json={"client_id": client["id"], "frequency_id": "13"})
    assert r.status_code == 422 and r.json()["errors"] == {"frequency_id": ["The selected frequency id is invalid."]}
    r = await api.post(BASE, json={"frequency_id": 5})
    assert r.status_code == 422 and r.json()["errors"] == {"client_id": ["The client id field is required."]}
    rq = await make(api, client["id"], remaining_cycles=0, auto_bill="always")
    assert rq["status_id"] == "4" and rq["auto_bill_enabled"] is True


async def test_start_stop_bulk_and_single_actions(api, db):
    client = await make_client(api)
    rq = await make(api, client["id"])
    r = await api.post(f"{BASE}/bulk", json={"action": "start", "ids": [rq["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["status_id"] == "2"
    r = await api.get(f"{BASE}/{rq['id']}/stop")
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "3"
    r = await api.get(f"{BASE}/{rq['id']}/start")
    assert r.json()["data"]["status_id"] == "2"
    r = await api.get(f"{BASE}/{rq['id']}/fly")
    assert r.status_code == 400
    r = await api.get(f"{BASE}/{rq['id']}/archive")
    assert r.json()["data"]["archived_at"] > 0
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [rq["id"]]})
    assert r.json()["data"][0]["is_deleted"] is True
    logged = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE recurring_quote_id = $1 ORDER BY id", ids.decode(rq["id"])
    )
    assert [r["activity_type_id"] for r in logged] == [110, 112, 113]


async def test_another_companys_client_is_invalid_and_changes_nothing(api, api_b, db, tenant_b):
    theirs = await make_client(api_b, "Theirs")
    their_rq = await make(api_b, theirs["id"])
    before = await company_snapshot(db, ids.decode(tenant_b.company_id))
    r = await api.post(BASE, json={"client_id": theirs["id"], "frequency_id": 5})
    assert r.status_code == 422 and r.json()["errors"] == {"client_id": ["The selected client id is invalid."]}
    for path in (f"{BASE}/{their_rq['id']}", f"{BASE}/{their_rq['id']}/start"):
        r = await api.get(path)
        assert r.status_code == 404 and r.json()["message"] == "Recurring Quote not found"
    assert await company_snapshot(db, ids.decode(tenant_b.company_id)) == before
    assert await db.fetchval("SELECT count(*) FROM recurring_quotes") == 1
