"""An account's companies: list, create one more (a token to switch to it), current, default, update,
upload, delete (owner and password; the last one closes the account). Each company is its own tenant."""

from __future__ import annotations

from typing import Any

import httpx
from members import PASSWORD, add_member
from test_registry_matrix import png

from app import ids
from app.db import Db

CONFIRMED = {"X-API-PASSWORD": PASSWORD}


async def new_company(api: httpx.AsyncClient, name: str = "Second Co") -> dict[str, Any]:
    r = await api.post("/api/v1/companies?include=company,company.tokens,token", json={"name": name})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["meta"]["pagination"]["total"] == 1 and len(body["data"]) == 1
    entry: dict[str, Any] = body["data"][0]
    return entry


async def test_create_returns_a_company_user_with_a_token_to_switch_to(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    entry = await new_company(api)
    assert entry["is_owner"] is True and entry["is_admin"] is True
    company = entry["company"]
    assert company["settings"]["name"] == "Second Co" and company["id"] != tenant_a.company_id
    token = company["tokens"][0]["token"]
    assert token == entry["token"]["token"] and len(token) == 64
    # the PHP SDK's way: switch with data[0].company.tokens[0].token
    switched = {"X-API-TOKEN": token}
    r = await anon.post("/api/v1/clients", json={"name": "In the new one"}, headers=switched)
    assert r.status_code == 200
    assert await db.fetchval(
        "SELECT company_id FROM clients WHERE id = $1", ids.decode(r.json()["data"]["id"])
    ) == ids.decode(company["id"])
    # the defaults sign-up gives
    terms = await db.fetchval("SELECT count(*) FROM payment_terms WHERE company_id = $1", ids.decode(company["id"]))
    assert terms == 8
    # nothing of company A is visible from it
    assert (await anon.get("/api/v1/clients", headers=switched)).json()["data"][0]["name"] == "In the new one"
    listed = (await api.get("/api/v1/companies")).json()
    assert [c["id"] for c in listed["data"]] == [tenant_a.company_id, company["id"]]
    current = (await anon.post("/api/v1/companies/current", headers=switched)).json()["data"]
    assert current["id"] == company["id"]
    refreshed = (await api.post("/api/v1/refresh")).json()["data"]
    assert [cu["company"]["id"] for cu in refreshed] == [tenant_a.company_id, company["id"]]


async def test_create_is_for_admins_and_limited(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    _, token = await add_member(db, tenant_a.company_id, "m@example.com", permissions="create_all")
    r = await anon.post("/api/v1/companies", json={"name": "Mine"}, headers={"X-API-TOKEN": token})
    assert r.status_code == 403
    for i in range(9):
        await new_company(api, f"Co {i}")
    r = await api.post("/api/v1/companies", json={"name": "Eleventh"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["name"]
    account = await db.fetchval("SELECT account_id FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    assert await db.fetchval("SELECT count(*) FROM companies WHERE account_id = $1", account) == 10
    r = await api.post("/api/v1/companies", json={"name": "x", "settings": {"currency_id": ""}})
    assert r.status_code == 422  # the limit first: still 422, nothing made


async def test_create_applies_the_given_settings_in_one_transaction(api: httpx.AsyncClient, db: Db) -> None:
    r = await api.post("/api/v1/companies", json={"name": "Bad", "settings": {"currency_id": ""}})
    assert r.status_code == 422 and "settings.currency_id" in r.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM companies WHERE settings->>'name' = 'Bad'") == 0
    entry = await new_company(api, "Good")
    assert entry["company"]["settings"]["currency_id"] == "1"


async def test_default_blank_edit_and_upload(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    other = (await new_company(api))["company"]["id"]
    r = await api.post(f"/api/v1/companies/{other}/default")
    assert r.status_code == 200 and r.json()["data"]["id"] == other
    assert await db.fetchval(
        "SELECT default_company_id FROM accounts a JOIN companies c ON c.account_id = a.id WHERE c.id = $1",
        ids.decode(other),
    ) == ids.decode(other)
    blank = (await api.get("/api/v1/companies/create")).json()["data"]
    assert blank["id"] == "" and blank["settings"]["currency_id"] == "1"
    r = await api.get(f"/api/v1/companies/{tenant_a.company_id}/edit")
    assert r.status_code == 200 and r.json()["data"]["id"] == tenant_a.company_id
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}/upload", files={"documents[]": ("logo.png", png(), "image/png")}
    )
    assert r.status_code == 200, r.text
    assert [d["name"] for d in r.json()["data"]["documents"]] == ["logo.png"]
    shown = (await api.get(f"/api/v1/companies/{tenant_a.company_id}")).json()["data"]
    assert len(shown["documents"]) == 1


async def test_delete_needs_the_owner_and_the_password(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    entry = await new_company(api)
    other, other_token = entry["company"]["id"], entry["token"]["token"]
    r = await api.delete(f"/api/v1/companies/{other}")
    assert r.status_code == 412
    _, admin = await add_member(db, tenant_a.company_id, "a@example.com", is_admin=True)
    r = await anon.delete(f"/api/v1/companies/{tenant_a.company_id}", headers={"X-API-TOKEN": admin, **CONFIRMED})
    assert r.status_code == 403
    r = await api.delete(f"/api/v1/companies/{other}", headers=CONFIRMED)
    assert r.status_code == 200 and r.json() == {"message": "Success"}
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": other_token})).status_code == 403
    assert [c["id"] for c in (await api.get("/api/v1/companies")).json()["data"]] == [tenant_a.company_id]
    assert (await api.get("/api/v1/ping")).status_code == 200


async def test_deleting_the_last_company_closes_the_account(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    r = await api.delete(f"/api/v1/companies/{tenant_a.company_id}", headers=CONFIRMED)
    assert r.status_code == 200
    assert (await api.get("/api/v1/ping")).status_code == 403
    login = await anon.post("/api/v1/login", json={"email": "owner-a@example.com", "password": PASSWORD})
    assert login.status_code == 401
    assert await db.fetchval("SELECT is_deleted FROM users WHERE id = $1", ids.decode(tenant_a.user_id)) is True


async def test_other_accounts_companies_answer_like_missing_ones(
    api: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db
) -> None:
    missing = ids.encode(999_999)
    for method, path in (
        ("GET", "companies/{}"),
        ("GET", "companies/{}/edit"),
        ("PUT", "companies/{}"),
        ("POST", "companies/{}/default"),
        ("DELETE", "companies/{}"),
    ):
        foreign = await api.request(method, f"/api/v1/{path.format(tenant_b.company_id)}", json={}, headers=CONFIRMED)
        absent = await api.request(method, f"/api/v1/{path.format(missing)}", json={}, headers=CONFIRMED)
        assert foreign.status_code == absent.status_code == 404, (path, foreign.text)
        assert foreign.json() == absent.json()
    r = await api.put(
        f"/api/v1/companies/{tenant_b.company_id}/upload", files={"documents[]": ("a.png", png(), "image/png")}
    )
    assert r.status_code == 404
    assert [c["id"] for c in (await api.get("/api/v1/companies")).json()["data"]] == [tenant_a.company_id]
    assert await db.fetchval("SELECT is_deleted FROM companies WHERE id = $1", ids.decode(tenant_b.company_id)) is False


async def test_one_time_token_is_redeemed_once(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    from app.services.accounts import one_time

    r = await api.post("/api/v1/one_time_token", json={})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["context"]
    r = await api.post("/api/v1/one_time_token", json={"context": "stripe_connect"}, headers={"X-React": "true"})
    assert r.status_code == 200
    token = r.json()["hash"]
    assert len(token) == 64
    assert await one_time.redeem(db, token, "wepay") is None
    redeemed = await one_time.redeem(db, token, "stripe_connect")
    assert redeemed == {
        "company_id": ids.decode(tenant_a.company_id),
        "user_id": ids.decode(tenant_a.user_id),
        "is_react": True,
    }
    assert await one_time.redeem(db, token, "stripe_connect") is None
