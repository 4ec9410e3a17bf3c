"""Client gateway tokens over REST: upstream's ClientGatewayTokenTransformer fields (no client, no routing number),
the rows stored as sent and no gateway called, the required fields, one default token per client, admins only,
and the client and company gateway of the body tenant-checked."""

from __future__ import annotations

from typing import Any

from members import add_member
from test_invoices import make_client
from test_registry_matrix import company_snapshot

from app import ids

BASE = "/api/v1/client_gateway_tokens"
KEYS = {
    "id",
    "token",
    "gateway_customer_reference",
    "gateway_type_id",
    "company_gateway_id",
    "is_default",
    "meta",
    "created_at",
    "updated_at",
    "archived_at",
    "is_deleted",
}


async def gateway(api: Any) -> str:
    r = await api.post("/api/v1/company_gateways", json={"gateway_key": "d14dd26a37cecc30fdd65700bfb55b23"})
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["id"])


async def test_crud_and_one_default_per_client(api, db):
    client = await make_client(api)
    gw = await gateway(api)
    meta = {"exp_month": "12", "exp_year": "2030", "brand": "visa", "last4": "4242", "type": 1}
    body = {"client_id": client["id"], "company_gateway_id": gw, "gateway_type_id": "1", "meta": meta}
    r = await api.post(BASE, json={**body, "token": "pm_1", "routing_number": "021000021", "is_default": True})
    assert r.status_code == 200, r.text
    first = r.json()["data"]
    assert set(first) == KEYS and first["token"] == "pm_1" and first["meta"] == meta and first["is_default"] is True
    assert first["company_gateway_id"] == gw
    stored = await db.fetchrow(
        "SELECT client_id, routing_number FROM client_gateway_tokens WHERE id = $1", ids.decode(first["id"])
    )
    assert stored["client_id"] == ids.decode(client["id"]) and stored["routing_number"] == "021000021"
    second = (await api.post(BASE, json={**body, "token": "pm_2", "is_default": True})).json()["data"]
    assert (await api.get(f"{BASE}/{first['id']}")).json()["data"]["is_default"] is False
    assert second["is_default"] is True
    listed = (await api.get(f"/api/v1/clients/{client['id']}")).json()["data"]["gateway_tokens"]
    assert {t["token"] for t in listed} == {"pm_1", "pm_2"}
    r = await api.put(f"{BASE}/{first['id']}", json={"gateway_customer_reference": "cus_9"})
    assert r.json()["data"]["gateway_customer_reference"] == "cus_9"
    assert (await api.delete(f"{BASE}/{first['id']}")).json()["data"]["is_deleted"] is True
    assert len((await api.get(f"{BASE}?client_id={client['id']}&status=active")).json()["data"]) == 1


async def test_validation(api):
    client = await make_client(api)
    gw = await gateway(api)
    full = {"client_id": client["id"], "company_gateway_id": gw, "gateway_type_id": "1", "meta": {}}
    for missing, text in (
        ("client_id", "The client id field is required."),
        ("company_gateway_id", "The company gateway id field is required."),
        ("gateway_type_id", "The gateway type id field is required."),
        ("meta", "The meta field is required."),
    ):
        body = {k: v for k, v in full.items() if k != missing}
        r = await api.post(BASE, json=body)
        assert r.status_code == 422 and r.json()["errors"] == {missing: [text]}, r.text
    r = await api.post(BASE, json={**full, "gateway_type_id": "card"})
    assert r.status_code == 422 and r.json()["errors"] == {
        "gateway_type_id": ["The gateway type id must be an integer."]
    }
    assert (await api.get(BASE)).json()["data"] == []


async def test_foreign_ids_and_permissions(api, api_b, db, tenant_a, tenant_b):
    mine, gw = await make_client(api), await gateway(api)
    theirs, their_gw = await make_client(api_b, "Theirs"), await gateway(api_b)
    before = await company_snapshot(db, ids.decode(tenant_b.company_id))
    good = {"client_id": mine["id"], "company_gateway_id": gw, "gateway_type_id": "1", "meta": {}}
    for field, value in (("client_id", theirs["id"]), ("company_gateway_id", their_gw)):
        r = await api.post(BASE, json={**good, field: value})
        assert r.status_code == 422 and r.json()["errors"] == {
            field: [f"The selected {field.replace('_', ' ')} is invalid."]
        }
    own = (await api.post(BASE, json=good)).json()["data"]
    r = await api.put(f"{BASE}/{own['id']}", json={"client_id": theirs["id"]})
    assert r.status_code == 422
    _, token = await add_member(db, tenant_a.company_id, "staff@example.com", "view_all,edit_all,create_all")
    assert (await api.get(BASE, headers={"X-API-TOKEN": token})).status_code == 200
    assert (await api.post(BASE, json=good, headers={"X-API-TOKEN": token})).status_code == 403
    assert (
        await api.put(f"{BASE}/{own['id']}", json={"token": "x"}, headers={"X-API-TOKEN": token})
    ).status_code == 403
    assert await company_snapshot(db, ids.decode(tenant_b.company_id)) == before
    assert await db.fetchval("SELECT count(*) FROM client_gateway_tokens") == 1
