"""The header contract (docs/decisions.md): every branch of app.middleware.HeaderContract
and the error envelopes around it, as a client on the wire sees them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from app import APP_VERSION, MINIMUM_CLIENT_VERSION, ids
from app.db import Db
from app.main import create_app
from app.settings import Settings

XRW = {"X-Requested-With": "XMLHttpRequest"}
INVALID_TOKEN = {"message": "Invalid token", "errors": {}}
XRW_MISSING = {"message": "Missing or invalid X-Requested-With header", "errors": {}}
NO_ROUTE = {"message": "Route does not exist", "errors": {}}


@asynccontextmanager
async def variant(settings: Settings, db: Db, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client (no default headers) for an app built with other settings over the same test DB."""
    app = create_app(dataclasses.replace(settings, **changes), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


def assert_versions(r: httpx.Response) -> None:
    assert r.headers["x-app-version"] == APP_VERSION
    assert r.headers["x-minimum-client-version"] == MINIMUM_CLIENT_VERSION


async def client_count(db: Db) -> int:
    return int(await db.fetchval("SELECT count(*) FROM clients"))


# ---- CORS preflight --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/clients", "/api/v1/login", "/api/v1/no/such/route", "/graphql"])
async def test_options_is_answered_before_any_check(settings: Settings, db: Db, path: str) -> None:
    # No X-Requested-With, no token, no secret although one is configured.
    async with variant(settings, db, api_secret="s3cret") as raw:
        r = await raw.options(path, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 200
    assert r.text == "OK"
    assert r.headers["access-control-allow-origin"] == "*"
    methods = {m.strip() for m in r.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= methods
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {
        "x-api-token",
        "x-api-secret",
        "x-requested-with",
        "content-type",
        "x-client-platform",
        "x-client-version",
        "x-api-password",
        "x-react",
    } <= allowed
    assert_versions(r)


async def test_cors_origin_is_configurable(settings: Settings, db: Db) -> None:
    async with variant(settings, db, cors_origins="https://app.example") as raw:
        pre = await raw.options("/api/v1/clients")
        r = await raw.get("/api/v1/clients", headers=XRW)
    assert pre.headers["access-control-allow-origin"] == "https://app.example"
    assert r.headers["access-control-allow-origin"] == "https://app.example"


async def test_normal_responses_carry_cors_headers(api: httpx.AsyncClient) -> None:
    r = await api.get("/api/v1/ping")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().upper() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"X-APP-VERSION", "X-MINIMUM-CLIENT-VERSION", "CONTENT-DISPOSITION"} <= exposed
    assert_versions(r)


# ---- X-Requested-With ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "fetch", "xmlhttprequest-ish"])
async def test_x_requested_with_is_enforced(tenant_a: Any, settings: Settings, db: Db, value: str | None) -> None:
    headers = {"X-API-TOKEN": tenant_a.token}
    if value is not None:
        headers["X-Requested-With"] = value
    async with variant(settings, db) as raw:
        listed = await raw.get("/api/v1/clients", headers=headers)
        created = await raw.post("/api/v1/clients", headers=headers, json={"name": "Sneaky"})
        login = await raw.post(
            "/api/v1/login", headers=headers, json={"email": "owner-a@example.com", "password": "secret-password"}
        )
        gql = await raw.post("/graphql", headers=headers, json={"query": "{ ping }"})
    for r in (listed, created, login, gql):
        assert r.status_code == 403, r.text
        assert r.json() == XRW_MISSING
        assert_versions(r)
    assert await client_count(db) == 0


async def test_x_requested_with_can_be_switched_off(tenant_a: Any, settings: Settings, db: Db) -> None:
    async with variant(settings, db, require_x_requested_with=False) as raw:
        r = await raw.post("/api/v1/clients", headers={"X-API-TOKEN": tenant_a.token}, json={"name": "Legacy"})
        assert r.status_code == 200, r.text
        listed = await raw.get("/api/v1/clients", headers={"X-API-TOKEN": tenant_a.token})
        # the other checks still apply
        no_token = await raw.get("/api/v1/clients")
    assert [c["name"] for c in listed.json()["data"]] == ["Legacy"]
    assert no_token.status_code == 403 and no_token.json() == INVALID_TOKEN


# ---- Content-Type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype,content",
    [
        ("text/plain", b'{"name": "Plain"}'),
        ("application/yaml", b"name: Form"),  # form bodies are accepted (tests/test_form_bodies.py)
        ("application/xml", b"<client><name>X</name></client>"),
        (None, b'{"name": "Untyped"}'),
    ],
)
async def test_body_with_unsupported_content_type_is_415(
    api: httpx.AsyncClient, db: Db, ctype: str | None, content: bytes
) -> None:
    created = (await api.post("/api/v1/clients", json={"name": "Existing"})).json()["data"]
    headers = {} if ctype is None else {"Content-Type": ctype}
    responses = [
        await api.post("/api/v1/clients", content=content, headers=headers),
        await api.put(f"/api/v1/clients/{created['id']}", content=content, headers=headers),
        await api.patch(f"/api/v1/clients/{created['id']}", content=content, headers=headers),
    ]
    for r in responses:
        assert r.status_code == 415, r.text
        body = r.json()
        assert body["message"].startswith("Unsupported Content-Type") and body["errors"] == {}
        assert_versions(r)
    assert await client_count(db) == 1
    assert (await db.fetchval("SELECT name FROM clients")) == "Existing"


async def test_json_content_type_with_charset_is_accepted(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/api/v1/clients", content=b'{"name": "Charset"}', headers={"Content-Type": "Application/JSON; charset=utf-8"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "Charset"


async def test_body_less_post_needs_no_content_type(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/refresh")
    assert r.status_code == 200, r.text
    assert "content-type" not in r.request.headers
    assert isinstance(r.json()["data"], list) and r.json()["data"]


async def test_body_less_bulk_needs_no_content_type(api: httpx.AsyncClient) -> None:
    # no body at all: not a 415, but the missing action is a 422
    r = await api.post("/api/v1/clients/bulk")
    assert r.status_code == 422, r.text
    assert "action" in r.json()["errors"]


# ---- X-API-SECRET ----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong", "s3cret ", "S3CRET"])
async def test_api_secret_guards_every_route(tenant_a: Any, settings: Settings, db: Db, secret: str | None) -> None:
    headers = {**XRW, "X-API-TOKEN": tenant_a.token}
    if secret is not None:
        headers["X-API-SECRET"] = secret
    async with variant(settings, db, api_secret="s3cret") as raw:
        responses = [
            await raw.get("/api/v1/clients", headers=headers),
            await raw.post("/api/v1/clients", headers=headers, json={"name": "Blocked"}),
            await raw.post(
                "/api/v1/login", headers=headers, json={"email": "owner-a@example.com", "password": "secret-password"}
            ),
            await raw.get("/api/v1/ping", headers=headers),
            await raw.post("/graphql", headers=headers, json={"query": "{ ping }"}),
        ]
    for r in responses:
        assert r.status_code == 403, r.text
        assert r.json() == {"message": "Invalid secret", "errors": {}}
        assert r.headers["X-App-Version"] == APP_VERSION
        assert r.headers["X-Minimum-Client-Version"] == MINIMUM_CLIENT_VERSION
    assert await client_count(db) == 0


@pytest.mark.parametrize("secret", [None, "wrong"])
async def test_precheck_tells_the_web_app_a_secret_is_required(settings: Settings, db: Db, secret: str | None) -> None:
    """The one exception: precheck answers without the secret, so the login form can ask for it."""
    headers = {**XRW} if secret is None else {**XRW, "X-API-SECRET": secret}
    async with variant(settings, db, api_secret="s3cret") as raw:
        r = await raw.post("/api/v1/login/precheck", headers=headers, json={"email": "owner-a@example.com"})
    assert r.status_code == 200, r.text
    assert r.json() == {"methods": ["password"], "secret_required": True}


async def test_right_api_secret_passes(tenant_a: Any, settings: Settings, db: Db) -> None:
    headers = {**XRW, "X-API-SECRET": "s3cret"}
    async with variant(settings, db, api_secret="s3cret") as raw:
        pre = await raw.post("/api/v1/login/precheck", headers=headers, json={"email": "owner-a@example.com"})
        login = await raw.post(
            "/api/v1/login", headers=headers, json={"email": "owner-a@example.com", "password": "secret-password"}
        )
        created = await raw.post(
            "/api/v1/clients", headers={**headers, "X-API-TOKEN": tenant_a.token}, json={"name": "Allowed"}
        )
    assert pre.status_code == 200 and pre.json()["secret_required"] is True
    assert login.status_code == 200, login.text
    assert created.status_code == 200 and created.json()["data"]["name"] == "Allowed"
    assert await client_count(db) == 1


# ---- X-API-TOKEN -----------------------------------------------------------------------------


def _bad_tokens(good: str) -> list[tuple[str, bytes | None]]:
    return [
        ("missing", None),
        ("empty", b""),
        ("one char", b"a"),
        ("10 KB", b"x" * 10_240),
        ("10 KB prefix of good", good.encode() + b"x" * 10_240),
        ("non-ascii", "t\u00f6ken-\u00e9\u4e2d".encode()),
        ("latin-1 bytes", b"\xff\xfe\xfd"),
        ("trailing space", good.encode() + b" "),
        ("leading space", b" " + good.encode()),
        ("truncated", good[:-1].encode()),
        ("case changed", good.swapcase().encode()),
        ("tab", good.encode() + b"\t"),
    ]


async def test_bad_tokens_are_403_invalid_token(tenant_a: Any, settings: Settings, db: Db) -> None:
    async with variant(settings, db) as raw:
        for label, token in _bad_tokens(tenant_a.token):
            headers: dict[str, Any] = dict(XRW)
            if token is not None:
                headers["X-API-TOKEN"] = token
            for method, path, body in (
                ("GET", "/api/v1/clients", None),
                ("POST", "/api/v1/clients", {"name": "x"}),
                ("GET", "/api/v1/ping", None),
                ("POST", "/api/v1/refresh", None),
            ):
                r = await raw.request(method, path, headers=headers, json=body)
                assert r.status_code == 403, (label, method, path, r.text)
                assert r.json() == INVALID_TOKEN, label
                assert_versions(r)
    assert await client_count(db) == 0


async def test_token_with_nul_byte_is_invalid(tenant_a: Any, settings: Settings, db: Db) -> None:
    """A NUL inside the header value: rejected like any other wrong token (never a 500)."""
    app = create_app(settings, db=db)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    for token in (tenant_a.token.encode() + b"\x00", b"%00", b"\x00"):
        sent.clear()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/api/v1/clients",
            "raw_path": b"/api/v1/clients",
            "query_string": b"",
            "root_path": "",
            "server": ("testserver", 80),
            "client": ("127.0.0.1", 1234),
            "headers": [(b"host", b"testserver"), (b"x-requested-with", b"XMLHttpRequest"), (b"x-api-token", token)],
        }
        await app(scope, receive, send)
        assert sent[0]["status"] == 403
        assert b"".join(m.get("body", b"") for m in sent[1:]) == b'{"message":"Invalid token","errors":{}}'


async def test_token_in_query_string_or_cookie_is_ignored(tenant_a: Any, anon: httpx.AsyncClient) -> None:
    for r in (
        await anon.get(f"/api/v1/clients?api_token={tenant_a.token}"),
        await anon.get(f"/api/v1/clients?X-API-TOKEN={tenant_a.token}"),
        await anon.get("/api/v1/clients", cookies={"X-API-TOKEN": tenant_a.token, "api_token": tenant_a.token}),
    ):
        assert r.status_code == 403
        assert r.json() == INVALID_TOKEN


async def test_token_header_name_is_case_insensitive(tenant_a: Any, anon: httpx.AsyncClient) -> None:
    # the web app sends "X-Api-Token"
    r = await anon.get("/api/v1/ping", headers={"X-Api-Token": tenant_a.token})
    assert r.status_code == 200, r.text


async def test_archived_user_is_inactive(tenant_a: Any, api: httpx.AsyncClient, db: Db) -> None:
    assert (await api.get("/api/v1/ping")).status_code == 200
    await db.execute("UPDATE users SET deleted_at = now() WHERE id = $1", ids.decode(tenant_a.user_id))
    r = await api.get("/api/v1/clients")
    assert r.status_code == 403
    assert r.json() == {"message": "User inactive", "errors": {}}
    r = await api.post("/api/v1/clients", json={"name": "Ghost"})
    assert r.json() == {"message": "User inactive", "errors": {}}
    assert await client_count(db) == 0


async def test_deleted_user_is_inactive(tenant_a: Any, api: httpx.AsyncClient, db: Db) -> None:
    await db.execute("UPDATE users SET is_deleted = true WHERE id = $1", ids.decode(tenant_a.user_id))
    r = await api.get("/api/v1/ping")
    assert r.status_code == 403
    assert r.json() == {"message": "User inactive", "errors": {}}


async def test_locked_company_user_is_refused(tenant_a: Any, api: httpx.AsyncClient, db: Db) -> None:
    await db.execute(
        "UPDATE company_users SET is_locked = true WHERE user_id = $1 AND company_id = $2",
        ids.decode(tenant_a.user_id),
        ids.decode(tenant_a.company_id),
    )
    r = await api.get("/api/v1/clients")
    assert r.status_code == 403
    assert r.json() == {"message": "User access locked", "errors": {}}
    assert_versions(r)


async def test_token_of_deleted_company_is_invalid(tenant_a: Any, api: httpx.AsyncClient, db: Db) -> None:
    await db.execute("UPDATE companies SET is_deleted = true WHERE id = $1", ids.decode(tenant_a.company_id))
    r = await api.get("/api/v1/ping")
    assert r.status_code == 403 and r.json() == INVALID_TOKEN


@pytest.mark.parametrize("cache_seconds", [0, 60])
async def test_logout_revokes_only_the_calling_token(
    tenant_a: Any, settings: Settings, db: Db, cache_seconds: float
) -> None:
    async with variant(settings, db, token_cache_seconds=cache_seconds) as raw:
        login = await raw.post(
            "/api/v1/login", headers=XRW, json={"email": "owner-a@example.com", "password": "secret-password"}
        )
        session = login.json()["data"][0]["token"]["token"]
        session_headers = {**XRW, "X-API-TOKEN": session}
        assert (await raw.get("/api/v1/ping", headers=session_headers)).status_code == 200  # now cached
        out = await raw.post("/api/v1/logout", headers=session_headers)
        assert out.status_code == 200, out.text
        after = await raw.get("/api/v1/ping", headers=session_headers)
        again = await raw.post("/api/v1/logout", headers=session_headers)
        other = await raw.get("/api/v1/ping", headers={**XRW, "X-API-TOKEN": tenant_a.token})
    assert after.status_code == 403 and after.json() == INVALID_TOKEN
    assert again.status_code == 403 and again.json() == INVALID_TOKEN
    assert other.status_code == 200  # the API token of the same user still works


# ---- versions on every response, error envelopes -----------------------------------------------


async def test_version_headers_on_every_status(
    tenant_a: Any, api: httpx.AsyncClient, anon: httpx.AsyncClient, settings: Settings, db: Db
) -> None:
    app = create_app(settings, db=db)

    async def boom(request: Any) -> Any:
        raise RuntimeError("secret internals: SELECT password_hash FROM users")

    app.router.routes.append(Route("/api/v1/boom", boom, methods=["GET"]))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={**XRW, "X-API-TOKEN": tenant_a.token},
    ) as client:
        crashed = await client.get("/api/v1/boom")
    seen = {
        200: await api.get("/api/v1/ping"),
        401: await anon.post("/api/v1/login", json={"email": "owner-a@example.com", "password": "nope"}),
        403: await anon.get("/api/v1/clients"),
        404: await api.get("/api/v1/nowhere"),
        405: await api.delete("/api/v1/clients"),
        415: await api.post("/api/v1/clients", content=b"x", headers={"Content-Type": "text/plain"}),
        422: await api.post("/api/v1/clients", json={"name": ["not", "text"]}),
        500: crashed,
    }
    for status, r in seen.items():
        assert r.status_code == status, (status, r.text)
        assert_versions(r)
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["content-type"].startswith("application/json")
        if status != 200:
            assert isinstance(r.json()["message"], str)
    assert crashed.json() == {"message": "Server Error", "errors": {}}
    assert "password_hash" not in crashed.text and "RuntimeError" not in crashed.text


async def test_unknown_paths_are_404_route_does_not_exist(api: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/v1/nowhere"),
        ("POST", "/api/v1/nowhere"),
        ("GET", "/api/v2/clients"),
        ("GET", "/api/v1/clients/VolejRejNm/nothing/here"),
        ("GET", "/nothing"),
        ("DELETE", "/api/v1/nowhere/VolejRejNm"),
    ):
        r = await api.request(method, path, json={} if method == "POST" else None)
        assert r.status_code == 404, (method, path, r.text)
        assert r.json() == NO_ROUTE
        assert_versions(r)


def _allow(r: httpx.Response) -> set[str]:
    return {m.strip() for m in r.headers["allow"].split(",")}


async def test_wrong_verb_is_405_with_complete_allow(api: httpx.AsyncClient) -> None:
    client = (await api.post("/api/v1/clients", json={"name": "Verb"})).json()["data"]
    cases = [
        ("DELETE", "/api/v1/clients", {"GET", "POST"}),
        ("PUT", "/api/v1/clients", {"GET", "POST"}),
        ("PUT", "/api/v1/ping", {"GET"}),
        ("GET", "/api/v1/refresh", {"POST"}),
        ("DELETE", "/api/v1/login", {"POST"}),
    ]
    for method, path, expected in cases:
        r = await api.request(method, path)
        assert r.status_code == 405, (method, path, r.text)
        assert r.json() == {"message": "Method not supported for this route", "errors": {}}
        allow = _allow(r)
        assert expected <= allow, (method, path, allow)
        assert method not in allow
        assert_versions(r)
    # a POST to an entity URL is only an update when overridden
    r = await api.post(f"/api/v1/clients/{client['id']}", json={"name": "Not renamed"})
    assert r.status_code == 405
    assert {"GET", "PUT", "DELETE"} <= _allow(r)
    assert (await api.get(f"/api/v1/clients/{client['id']}")).json()["data"]["name"] == "Verb"


async def test_unknown_path_without_token_is_still_403(anon: httpx.AsyncClient) -> None:
    # no route map is revealed to a caller without a token
    r = await anon.get("/api/v1/nowhere")
    assert r.status_code == 403 and r.json() == INVALID_TOKEN


# ---- method override -----------------------------------------------------------------------------


async def test_method_override_header_and_query(api: httpx.AsyncClient, db: Db) -> None:
    client = (await api.post("/api/v1/clients", json={"name": "Before"})).json()["data"]
    r = await api.post(
        f"/api/v1/clients/{client['id']}", json={"name": "Via header"}, headers={"X-HTTP-Method-Override": "PUT"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "Via header"
    r = await api.post(f"/api/v1/clients/{client['id']}?_method=PUT", json={"name": "Via query"})
    assert r.status_code == 200, r.text
    assert (await db.fetchval("SELECT name FROM clients WHERE id = $1", ids.decode(client["id"]))) == "Via query"
    r = await api.post(
        f"/api/v1/clients/{client['id']}",
        data={"_method": "PUT", "name": "Via form"},
        files={"unused": ("a.txt", b"", "text/plain")},
    )
    assert r.status_code == 200, r.text
    assert (await db.fetchval("SELECT name FROM clients WHERE id = $1", ids.decode(client["id"]))) == "Via form"
    # an override to a verb that is not a write is ignored: still a plain POST (405 here)
    r = await api.post(f"/api/v1/clients/{client['id']}", json={"name": "x"}, headers={"X-HTTP-Method-Override": "GET"})
    assert r.status_code == 405
