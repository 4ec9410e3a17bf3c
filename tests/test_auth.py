"""Sessions as the web app runs them: precheck, login, refresh, logout,
ping, health_check, statics, the company and its users."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import httpx
import pytest
from members import add_member

from app import ids
from app.db import Db
from app.main import create_app
from app.settings import Settings

XRW = {"X-Requested-With": "XMLHttpRequest"}
EMAIL_A = "owner-a@example.com"
PASSWORD = "secret-password"
BAD_CREDENTIALS = {"message": "These credentials do not match our records", "errors": {}}


async def login(anon: httpx.AsyncClient, email: str = EMAIL_A, password: str = PASSWORD) -> httpx.Response:
    return await anon.post("/api/v1/login", json={"email": email, "password": password})


def assert_company_users(body: dict[str, Any], with_token: bool) -> dict[str, Any]:
    """The CompanyUser collection login and refresh share; returns the entry of the default company."""
    assert set(body) == {"data", "meta"}
    data = body["data"]
    assert isinstance(data, list) and len(data) >= 1
    pagination = body["meta"]["pagination"]
    assert pagination["total"] == len(data) and pagination["count"] == len(data)
    assert pagination["current_page"] == 1 and pagination["total_pages"] == 1 and pagination["links"] == {}
    default = data[0]["account"]["default_company_id"]
    chosen = next(cu for cu in data if cu["company"]["id"] == default)
    for cu in data:
        assert cu["user"]["id"]  # PrivateRoute spins forever on a falsy id
        assert cu["user"]["company_user"]["is_owner"] == cu["is_owner"]
        assert isinstance(cu["permissions"], str)
        assert isinstance(cu["settings"], dict) and isinstance(cu["react_settings"], dict)
        company = cu["company"]
        assert isinstance(company["settings"]["pdf_variables"]["total_columns"], list)
        assert company["settings"]["pdf_variables"]["total_columns"]
        assert isinstance(company["enabled_modules"], int) and company["enabled_modules"] > 0
        assert company["enable_product_quantity"] is True
        assert isinstance(company["custom_fields"], dict)
        for key in ("currency_id", "country_id", "language_id", "date_format_id"):
            assert isinstance(company["settings"][key], str) and company["settings"][key]
        if with_token:
            assert len(cu["token"]["token"]) == 64 and cu["token"]["token"].isalnum()
        else:
            assert "token" not in cu
    return chosen


# ---- precheck ------------------------------------------------------------------------------------


async def test_precheck_is_unwrapped(anon: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await anon.post("/api/v1/login/precheck", json={"email": EMAIL_A})
    assert r.status_code == 200, r.text
    assert r.json() == {"methods": ["password"], "secret_required": False}
    # an unknown e-mail looks the same (no account oracle)
    r = await anon.post("/api/v1/login/precheck", json={"email": "nobody@example.com"})
    assert r.json() == {"methods": ["password"], "secret_required": False}


async def test_precheck_requires_an_email(anon: httpx.AsyncClient) -> None:
    for body in ({}, {"email": ""}, {"email": "   "}, {"email": 5}):
        r = await anon.post("/api/v1/login/precheck", json=body)
        assert r.status_code == 422, body
        assert r.json() == {
            "message": "The given data was invalid.",
            "errors": {"email": ["The email field is required."]},
        }


async def test_precheck_reports_a_configured_secret(settings: Settings, db: Db) -> None:
    app = create_app(dataclasses.replace(settings, api_secret="s3cret"), db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers={**XRW, "X-API-SECRET": "s3cret"}
    ) as raw:
        r = await raw.post("/api/v1/login/precheck", json={"email": EMAIL_A})
    assert r.json() == {"methods": ["password"], "secret_required": True}


# ---- login ---------------------------------------------------------------------------------------


async def test_login_flow_as_the_web_app_does_it(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    r = await login(anon)
    assert r.status_code == 200, r.text
    chosen = assert_company_users(r.json(), with_token=True)
    assert chosen["company"]["id"] == tenant_a.company_id
    assert chosen["account"]["default_company_id"] == chosen["company"]["id"]
    assert chosen["user"]["id"] == tenant_a.user_id
    assert chosen["user"]["email"] == EMAIL_A
    assert chosen["is_owner"] is True and chosen["is_admin"] is True
    token = chosen["token"]["token"]
    assert token != tenant_a.token
    # the token is stored only as its digest
    stored = await db.fetchrow(
        "SELECT token_hash, token_hint, is_system FROM company_tokens WHERE id = $1", ids.decode(chosen["token"]["id"])
    )
    assert bytes(stored["token_hash"]) == hashlib.sha256(token.encode()).digest()
    assert stored["is_system"] is True
    assert await db.fetchval("SELECT count(*) FROM company_tokens WHERE token_hint = $1", token) == 0
    # ... and is usable for the next call, as X-Api-Token
    async with httpx.AsyncClient(
        transport=anon._transport, base_url="http://testserver", headers={**XRW, "X-Api-Token": token}
    ) as session:
        ping = await session.get("/api/v1/ping")
        created = await session.post("/api/v1/clients", json={"name": "Made with the session token"})
    assert ping.status_code == 200
    assert created.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM clients WHERE company_id = $1", ids.decode(tenant_a.company_id)) == 1
    assert await db.fetchval("SELECT last_login IS NOT NULL FROM users WHERE id = $1", ids.decode(tenant_a.user_id))


async def test_login_email_is_case_and_space_insensitive(anon: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await login(anon, email="  OWNER-A@Example.COM ")
    assert r.status_code == 200, r.text


async def test_login_does_not_trim_the_password(anon: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await login(anon, password=PASSWORD + " ")
    assert r.status_code == 401


async def test_wrong_password_and_unknown_email_look_the_same(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    wrong = await login(anon, password="not-the-password")
    unknown = await login(anon, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == BAD_CREDENTIALS
    assert await db.fetchval("SELECT count(*) FROM company_tokens") == 1  # only the fixture's


async def test_archived_user_cannot_log_in(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    await db.execute("UPDATE users SET deleted_at = now() WHERE id = $1", ids.decode(tenant_a.user_id))
    r = await login(anon)
    assert r.status_code == 401 and r.json() == BAD_CREDENTIALS


@pytest.mark.parametrize(
    "body,field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": EMAIL_A}, "password"),
        ({"email": EMAIL_A, "password": ""}, "password"),
        ({"email": EMAIL_A, "password": "x" * 1001}, "password"),
        ({"email": ["a"], "password": PASSWORD}, "email"),
        ({"email": EMAIL_A, "password": 12345678}, "password"),
    ],
)
async def test_login_validation(anon: httpx.AsyncClient, tenant_a: Any, body: dict[str, Any], field: str) -> None:
    r = await anon.post("/api/v1/login", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "The given data was invalid."
    assert list(r.json()["errors"]) == [field]


async def test_login_is_throttled_after_five_failures(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    for attempt in range(5):
        r = await login(anon, password=f"wrong-{attempt}")
        assert r.status_code == 401, (attempt, r.text)
    sixth = await login(anon, password="wrong-again")
    assert sixth.status_code == 429
    assert sixth.json()["message"] and sixth.json()["errors"] == {}
    retry = int(sixth.headers["Retry-After"])
    assert 1 <= retry <= 60
    # the right password does not get through the lockout either, whatever the e-mail's case
    r = await login(anon, email=EMAIL_A.upper())
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert await db.fetchval("SELECT count(*) FROM company_tokens") == 1
    # the bucket is per e-mail: another account logs in fine
    other = await login(anon, email="someone-else@example.com", password="x")
    assert other.status_code == 401


async def test_successful_logins_are_not_throttled(anon: httpx.AsyncClient, tenant_a: Any) -> None:
    for _ in range(7):
        assert (await login(anon)).status_code == 200


async def test_login_window_expires(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    for attempt in range(5):
        await login(anon, password=f"wrong-{attempt}")
    assert (await login(anon)).status_code == 429
    await db.execute("UPDATE rate_limits SET reset_at = now() - interval '1 second'")
    assert (await login(anon)).status_code == 200


# ---- refresh, logout -----------------------------------------------------------------------------


async def test_refresh_has_the_login_shape_without_token(api: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await api.post("/api/v1/refresh?updated_at=0")
    assert r.status_code == 200, r.text
    chosen = assert_company_users(r.json(), with_token=False)
    assert chosen["company"]["id"] == tenant_a.company_id
    assert chosen["user"]["id"] == tenant_a.user_id
    r = await api.post("/api/v1/refresh?current_company=true")
    assert r.status_code == 200
    assert [cu["company"]["id"] for cu in r.json()["data"]] == [tenant_a.company_id]


async def test_refresh_needs_a_token(anon: httpx.AsyncClient) -> None:
    r = await anon.post("/api/v1/refresh")
    assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}


async def test_logout(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    token = (await login(anon)).json()["data"][0]["token"]
    r = await anon.post("/api/v1/logout", headers={"X-API-TOKEN": token["token"]})
    assert r.status_code == 200, r.text
    assert isinstance(r.json()["message"], str)
    revoked = await db.fetchrow(
        "SELECT is_deleted, deleted_at FROM company_tokens WHERE id = $1", ids.decode(token["id"])
    )
    assert revoked["is_deleted"] is True and revoked["deleted_at"] is not None
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": token["token"]})).status_code == 403
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": tenant_a.token})).status_code == 200


# ---- ping, health_check, statics -------------------------------------------------------------------


async def test_ping(api: httpx.AsyncClient, tenant_a: Any, db: Db, anon: httpx.AsyncClient) -> None:
    await db.execute(
        "UPDATE users SET first_name = 'Ada', last_name = 'Lovelace' WHERE id = $1", ids.decode(tenant_a.user_id)
    )
    r = await api.get("/api/v1/ping")
    assert r.status_code == 200
    assert r.json() == {"company_name": f"Company of {EMAIL_A}", "user_name": "Ada Lovelace"}
    assert (await anon.get("/api/v1/ping")).status_code == 403


async def test_health_check_really_checks_the_database(api: httpx.AsyncClient, db: Db) -> None:
    r = await api.get("/api/v1/health_check")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["system_health"] is True and body["simple_db_check"] is True
    assert body["pending_migrations"] == 0
    # the schema version is read from the database: take it away and the check notices
    await db.execute("DELETE FROM schema_migrations")
    r = await api.get("/api/v1/health_check")
    body = r.json()
    assert body["system_health"] is False
    assert body["pending_migrations"] >= 1
    assert r.status_code == 503


async def test_statics(api: httpx.AsyncClient, anon: httpx.AsyncClient) -> None:
    r = await api.get("/api/v1/statics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert "data" not in body
    for key in (
        "currencies",
        "countries",
        "languages",
        "date_formats",
        "datetime_formats",
        "timezones",
        "industries",
        "sizes",
        "payment_types",
    ):
        rows = body[key]
        assert isinstance(rows, list) and rows, key
        assert all(isinstance(row["id"], str) and row["id"] for row in rows), key
        assert len({row["id"] for row in rows}) == len(rows), key
    usd = next(c for c in body["currencies"] if c["id"] == "1")
    assert usd["code"] == "USD"
    assert isinstance(usd["precision"], int) and isinstance(usd["swap_currency_symbol"], bool)
    for key in ("name", "symbol", "thousand_separator", "decimal_separator", "exchange_rate"):
        assert key in usd
    us = next(c for c in body["countries"] if c["id"] == "840")
    for key in (
        "name",
        "iso_3166_2",
        "iso_3166_3",
        "swap_postal_code",
        "swap_currency_symbol",
        "thousand_separator",
        "decimal_separator",
    ):
        assert key in us
    english = next(lang for lang in body["languages"] if lang["id"] == "1")
    assert english["locale"] == "en"
    assert {"format", "format_moment", "format_dart"} <= set(body["date_formats"][0])
    assert {"name", "location", "utc_offset"} <= set(body["timezones"][0])
    assert body["bulk_updates"]["client"][0] == "public_notes"
    assert (await anon.get("/api/v1/statics")).status_code == 403


async def test_company_settings_ids_exist_in_statics(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any
) -> None:
    statics = (await api.get("/api/v1/statics")).json()
    settings = (await login(anon)).json()["data"][0]["company"]["settings"]
    for key, table in (
        ("currency_id", "currencies"),
        ("country_id", "countries"),
        ("language_id", "languages"),
        ("date_format_id", "date_formats"),
    ):
        assert settings[key] in {row["id"] for row in statics[table]}, key


# ---- companies, users ----------------------------------------------------------------------------


async def test_company_show_own(api: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await api.get(f"/api/v1/companies/{tenant_a.company_id}")
    assert r.status_code == 200, r.text
    company = r.json()["data"]
    assert company["id"] == tenant_a.company_id
    assert company["settings"]["name"] == f"Company of {EMAIL_A}"
    assert company["smtp_password"] == ""


async def test_company_of_someone_else_is_not_found(api: httpx.AsyncClient, tenant_b: Any, db: Db) -> None:
    missing = {"message": "Company not found", "errors": {}}
    before = await db.fetchrow(
        "SELECT settings, attributes, updated_at FROM companies WHERE id = $1", ids.decode(tenant_b.company_id)
    )
    for r in (
        await api.get(f"/api/v1/companies/{tenant_b.company_id}"),
        await api.get("/api/v1/companies/notAnId"),
        await api.get(f"/api/v1/companies/{ids.encode(999_999)}"),
        await api.put(f"/api/v1/companies/{tenant_b.company_id}", json={"settings": {"name": "Hijacked"}}),
        await api.put(f"/api/v1/companies/{ids.encode(999_999)}", json={"settings": {"name": "Hijacked"}}),
    ):
        assert r.status_code == 404, r.text
        assert r.json() == missing
    after = await db.fetchrow(
        "SELECT settings, attributes, updated_at FROM companies WHERE id = $1", ids.decode(tenant_b.company_id)
    )
    assert dict(after) == dict(before)


async def test_company_update_persists(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}",
        json={
            "settings": {"name": "Renamed Ltd", "currency_id": "2", "counter_padding": 6},
            "enabled_modules": 4096,
            "custom_fields": {"client1": "Region"},
        },
    )
    assert r.status_code == 200, r.text
    company = r.json()["data"]
    assert company["settings"]["name"] == "Renamed Ltd"
    assert company["settings"]["currency_id"] == "2"
    assert company["enabled_modules"] == 4096
    row = await db.fetchrow(
        "SELECT settings, attributes, custom_fields FROM companies WHERE id = $1", ids.decode(tenant_a.company_id)
    )
    assert row["settings"]["name"] == "Renamed Ltd" and row["settings"]["counter_padding"] == 6
    assert row["settings"]["pdf_variables"]["total_columns"]  # untouched keys are kept
    assert row["attributes"]["enabled_modules"] == 4096
    assert row["custom_fields"] == {"client1": "Region"}
    # the change is what the next GET and refresh show
    shown = (await api.get(f"/api/v1/companies/{tenant_a.company_id}")).json()["data"]
    assert shown["settings"]["name"] == "Renamed Ltd"
    refreshed = (await api.post("/api/v1/refresh")).json()["data"][0]["company"]
    assert refreshed["settings"]["name"] == "Renamed Ltd"


async def test_company_update_validation(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    before = await db.fetchval("SELECT settings FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    for body, field in (
        ({"settings": {"currency_id": "99999"}}, "settings.currency_id"),
        ({"settings": "not an object"}, "settings"),
        ({"enabled_modules": "lots"}, "enabled_modules"),
        ({"settings": {"counter_padding": "x"}}, "settings.counter_padding"),
    ):
        r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["errors"]
    after = await db.fetchval("SELECT settings FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    assert after == before


async def test_company_secrets_are_masked_and_survive_a_round_trip(
    api: httpx.AsyncClient, anon: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}",
        json={
            "smtp_password": "hunter2",
            "smtp_username": "mailer",
            "settings": {"mailgun_secret": "key-123", "postmark_secret": ""},
        },
    )
    assert r.status_code == 200, r.text
    company = r.json()["data"]
    assert company["smtp_password"] == "********" and company["smtp_username"] == "********"
    assert company["settings"]["mailgun_secret"] == "********" and company["settings"]["postmark_secret"] == ""
    for text in (
        r.text,
        (await api.post("/api/v1/refresh")).text,
        (await login(anon)).text,
        (await api.get(f"/api/v1/companies/{tenant_a.company_id}")).text,
    ):
        assert "hunter2" not in text and "key-123" not in text
    # the web app PUTs the whole company back, masks included: the secrets stay
    company["settings"]["name"] = "Round trip"
    r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json=company)
    assert r.status_code == 200, r.text
    row = await db.fetchrow("SELECT settings, attributes FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
    assert row["attributes"]["smtp_password"] == "hunter2" and row["attributes"]["smtp_username"] == "mailer"
    assert row["settings"]["mailgun_secret"] == "key-123" and row["settings"]["name"] == "Round trip"


async def test_company_update_ignores_read_only_attributes(api: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}", json={"is_large": True, "id": "x", "company_key": "stolen"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["is_large"] is False
    assert r.json()["data"]["company_key"] != "stolen"


async def test_users_list_holds_the_owner_only(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, tenant_a: Any, tenant_b: Any
) -> None:
    r = await api.get("/api/v1/users?status=active&sort=created_at|desc&filter=")
    assert r.status_code == 200, r.text
    users = r.json()["data"]
    assert [u["id"] for u in users] == [tenant_a.user_id]
    assert users[0]["email"] == EMAIL_A
    assert "password" not in users[0] and "password_hash" not in users[0]
    assert r.json()["meta"]["pagination"]["total"] == 1
    r = await api_b.get("/api/v1/users")
    assert [u["id"] for u in r.json()["data"]] == [tenant_b.user_id]


async def test_user_show_is_tenant_scoped(api: httpx.AsyncClient, tenant_a: Any, tenant_b: Any) -> None:
    r = await api.get(f"/api/v1/users/{tenant_a.user_id}")
    assert r.status_code == 200 and r.json()["data"]["email"] == EMAIL_A
    foreign = await api.get(f"/api/v1/users/{tenant_b.user_id}")
    missing = await api.get(f"/api/v1/users/{ids.encode(999_999)}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"message": "User not found", "errors": {}}


# ---- members who are not admins, members of two companies, removed members ---------------------------


async def test_member_without_permissions(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    owned = (await api.post("/api/v1/clients", json={"name": "Owner's"})).json()["data"]
    member_id, token = await add_member(db, tenant_a.company_id, "member@example.com")
    headers = {"X-API-TOKEN": token}
    denied = {"message": "This action is unauthorized.", "errors": {}}
    r = await anon.post("/api/v1/clients", json={"name": "Member's"}, headers=headers)
    assert r.status_code == 403 and r.json() == denied
    r = await anon.put(f"/api/v1/clients/{owned['id']}", json={"name": "Changed"}, headers=headers)
    assert r.status_code == 404 and r.json() == {"message": "Client not found", "errors": {}}
    # a row the member cannot see answers like a missing one, in bulk too
    r = await anon.post("/api/v1/clients/bulk", json={"action": "delete", "ids": [owned["id"]]}, headers=headers)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["ids"]
    assert await db.fetchval("SELECT is_deleted FROM clients WHERE id = $1", ids.decode(owned["id"])) is False
    r = await anon.put(
        f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"name": "Member Co"}}, headers=headers
    )
    assert r.status_code == 403 and r.json() == denied
    # lists answer with the rows the member owns (none), not a 403
    r = await anon.get("/api/v1/clients", headers=headers)
    assert r.status_code == 200 and r.json()["data"] == []
    row = await db.fetchrow("SELECT name, is_deleted FROM clients WHERE id = $1", ids.decode(owned["id"]))
    assert (row["name"], row["is_deleted"]) == ("Owner's", False)
    assert (
        await db.fetchval("SELECT settings->>'name' FROM companies WHERE id = $1", ids.decode(tenant_a.company_id))
        == f"Company of {EMAIL_A}"
    )


async def test_member_with_client_permissions(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    owned = (await api.post("/api/v1/clients", json={"name": "Owner's"})).json()["data"]
    _, token = await add_member(
        db, tenant_a.company_id, "clerk@example.com", permissions="view_client,create_client,edit_client"
    )
    headers = {"X-API-TOKEN": token}
    r = await anon.post("/api/v1/clients", json={"name": "Clerk's"}, headers=headers)
    assert r.status_code == 200, r.text
    names = [c["name"] for c in (await anon.get("/api/v1/clients", headers=headers)).json()["data"]]
    assert names == ["Owner's", "Clerk's"]
    r = await anon.put(f"/api/v1/clients/{owned['id']}", json={"name": "Edited"}, headers=headers)
    assert r.status_code == 200 and r.json()["data"]["name"] == "Edited"


async def test_login_with_two_companies(anon: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db) -> None:
    await add_member(db, tenant_b.company_id, "", user_id=ids.decode(tenant_a.user_id), is_admin=True)
    r = await login(anon)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [cu["company"]["id"] for cu in data] == [tenant_a.company_id, tenant_b.company_id]
    assert data[0]["account"]["default_company_id"] == tenant_a.company_id
    tokens = {cu["company"]["id"]: cu["token"]["token"] for cu in data}
    assert len(set(tokens.values())) == 2
    # each token acts in its own company only
    r = await anon.post(
        "/api/v1/clients", json={"name": "Made in B"}, headers={"X-API-TOKEN": tokens[tenant_b.company_id]}
    )
    assert r.status_code == 200
    assert await db.fetchval(
        "SELECT company_id FROM clients WHERE id = $1", ids.decode(r.json()["data"]["id"])
    ) == ids.decode(tenant_b.company_id)
    r = await anon.get(
        f"/api/v1/clients/{r.json()['data']['id']}", headers={"X-API-TOKEN": tokens[tenant_a.company_id]}
    )
    assert r.status_code == 404
    refreshed = await anon.post("/api/v1/refresh", headers={"X-API-TOKEN": tokens[tenant_a.company_id]})
    assert len(refreshed.json()["data"]) == 2


async def test_removed_member_token_stops_working(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    await db.execute(
        "UPDATE company_users SET deleted_at = now() WHERE company_id = $1 AND user_id = $2",
        ids.decode(tenant_a.company_id),
        ids.decode(tenant_a.user_id),
    )
    r = await api.get("/api/v1/ping")
    assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}
