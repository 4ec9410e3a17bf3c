"""Company API tokens: listed masked, created by admins with the raw value shown once, renamed, removed
(alone or in bulk), and revoked on every server process within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import HEADERS
from live import Live, live_database, serve
from members import PASSWORD, add_member

from app import ids
from app.auth import digest
from app.db import Db

CONFIRMED = {"X-API-PASSWORD": PASSWORD}
MASK = "xxxxxxxxxxx"


async def make_token(api: httpx.AsyncClient, name: str = "Zapier") -> dict[str, Any]:
    r = await api.post("/api/v1/tokens", json={"name": name}, headers=CONFIRMED)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def test_create_shows_the_raw_token_once(anon: httpx.AsyncClient, api: httpx.AsyncClient, db: Db) -> None:
    made = await make_token(api)
    raw = made["token"]
    assert len(raw) == 64 and MASK not in raw
    assert (made["name"], made["is_system"], made["is_deleted"]) == ("Zapier", False, False)
    assert await db.fetchval("SELECT count(*) FROM company_tokens WHERE token_hash = $1", digest(raw)) == 1
    # the new token works, and is never shown raw again
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": raw})).status_code == 200
    shown = (await api.get(f"/api/v1/tokens/{made['id']}")).json()["data"]
    assert shown["token"] == raw[:10] + MASK
    listed = (await api.get("/api/v1/tokens?is_system=false")).json()["data"]
    assert [t["token"] for t in listed if t["id"] == made["id"]] == [raw[:10] + MASK]
    assert all(t["token"].endswith(MASK) for t in listed)


async def test_create_needs_a_name_an_admin_and_the_password(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    before = await db.fetchval("SELECT count(*) FROM company_tokens")
    r = await api.post("/api/v1/tokens", json={"name": "x"})
    assert r.status_code == 412 and r.json()["message"] == "Invalid Password"
    r = await api.post("/api/v1/tokens", json={}, headers=CONFIRMED)
    assert r.status_code == 422 and r.json()["errors"] == {"name": ["The name field is required."]}
    _, token = await add_member(db, tenant_a.company_id, "m@example.com", permissions="create_all,edit_all,view_all")
    r = await anon.post("/api/v1/tokens", json={"name": "mine"}, headers={"X-API-TOKEN": token, **CONFIRMED})
    assert r.status_code == 403
    assert await db.fetchval("SELECT count(*) FROM company_tokens") == before + 1  # the member's own


async def test_rename_keeps_the_token_and_its_kind(anon: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    made = await make_token(api)
    r = await api.put(f"/api/v1/tokens/{made['id']}", json={"name": "Renamed", "is_system": True, "token": "x"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Renamed"  # the window from the create
    assert r.json()["data"]["is_system"] is False
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": made["token"]})).status_code == 200
    edit = await api.get(f"/api/v1/tokens/{made['id']}/edit")
    assert edit.status_code == 200 and edit.json()["data"]["token"].endswith(MASK)
    blank = (await api.get("/api/v1/tokens/create")).json()["data"]
    assert blank["id"] == "" and blank["token"] == ""


async def test_delete_and_bulk_revoke(anon: httpx.AsyncClient, api: httpx.AsyncClient) -> None:
    one, two, three = [await make_token(api, n) for n in ("one", "two", "three")]
    r = await api.delete(f"/api/v1/tokens/{one['id']}")
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
    r = await api.post("/api/v1/tokens/bulk", json={"action": "archive", "ids": [two["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["archived_at"] > 0
    for gone in (one, two):
        r = await anon.get("/api/v1/ping", headers={"X-API-TOKEN": gone["token"]})
        assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": three["token"]})).status_code == 200
    r = await api.put(f"/api/v1/tokens/{one['id']}", json={"name": "back"})
    assert r.status_code == 400


async def test_members_see_and_remove_only_their_own(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    owners = await make_token(api)
    member, token = await add_member(db, tenant_a.company_id, "m@example.com")
    headers = {"X-API-TOKEN": token}
    listed = (await anon.get("/api/v1/tokens", headers=headers)).json()["data"]
    assert {t["user_id"] for t in listed} == {ids.encode(member)}
    r = await anon.get(f"/api/v1/tokens/{owners['id']}", headers=headers)
    assert r.status_code == 404
    r = await anon.post("/api/v1/tokens/bulk", json={"action": "delete", "ids": [owners["id"]]}, headers=headers)
    assert r.status_code == 422
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": owners["token"]})).status_code == 200
    mine = listed[0]["id"]
    r = await anon.delete(f"/api/v1/tokens/{mine}", headers=headers)
    assert r.status_code == 200
    assert (await anon.get("/api/v1/ping", headers=headers)).status_code == 403


async def test_other_companies_tokens_answer_like_missing_ones(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient
) -> None:
    theirs = await make_token(api_b)
    missing = ids.encode(999_999)
    for method in ("GET", "PUT", "DELETE"):
        foreign = await api.request(method, f"/api/v1/tokens/{theirs['id']}", json={"name": "x"}, headers=CONFIRMED)
        absent = await api.request(method, f"/api/v1/tokens/{missing}", json={"name": "x"}, headers=CONFIRMED)
        assert foreign.status_code == absent.status_code == 404 and foreign.json() == absent.json()
    r = await api.post("/api/v1/tokens/bulk", json={"action": "delete", "ids": [theirs["id"]]})
    assert r.status_code == 422
    assert (await api_b.get("/api/v1/ping", headers={"X-API-TOKEN": theirs["token"]})).status_code == 200
    assert theirs["id"] not in [t["id"] for t in (await api.get("/api/v1/tokens")).json()["data"]]


# ---- two live server processes on one database, each caching tokens -----------------------------------
CACHE_SECONDS = 5.0


@pytest.fixture(scope="module")
def pair(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    url = live_database(database_url)
    upload: Path = tmp_path_factory.mktemp("live-tokens")
    with (
        serve(url, upload, token_cache_seconds=CACHE_SECONDS) as a,
        serve(url, upload, token_cache_seconds=CACHE_SECONDS) as b,
    ):
        yield a, b


async def test_deleting_a_token_on_one_process_stops_it_on_the_other_within_a_second(pair: Any) -> None:
    a, b = pair
    owner = a.company()
    on_a = httpx.AsyncClient(base_url=a.base, headers={**HEADERS, "X-API-TOKEN": owner["token"]}, timeout=30)
    async with on_a:
        made = (await on_a.post("/api/v1/tokens", json={"name": "live"}, headers=CONFIRMED)).json()["data"]
        async with httpx.AsyncClient(base_url=b.base, headers={**HEADERS, "X-API-TOKEN": made["token"]}) as on_b:
            started = time.monotonic()
            while b.app.state.tokens.get(digest(made["token"])) is None:  # B answers from its cache
                assert (await on_b.get("/api/v1/ping")).status_code == 200
                assert time.monotonic() - started < 10, "the token was never cached"
                await asyncio.sleep(0.05)
            assert (await on_a.delete(f"/api/v1/tokens/{made['id']}")).status_code == 200
            revoked = time.monotonic()
            while (await on_b.get("/api/v1/ping")).status_code != 403:
                assert time.monotonic() - revoked < 1.0, "the revoked token still works on the other process"
                await asyncio.sleep(0.02)


async def test_graphql_create_needs_the_password_and_shows_the_token_once(api: httpx.AsyncClient) -> None:
    query = {"query": 'mutation { createCompanyToken(input: {name: "graph"}) { id token name } }'}
    refused = (await api.post("/graphql", json=query)).json()
    assert refused["errors"][0]["extensions"]["status"] == 412
    made = (await api.post("/graphql", json=query, headers=CONFIRMED)).json()["data"]["createCompanyToken"]
    assert len(made["token"]) == 64 and made["name"] == "graph"
    listed = (await api.post("/graphql", json={"query": "{ tokens { items { id token } } }"})).json()
    tokens = {t["id"]: t["token"] for t in listed["data"]["tokens"]["items"]}
    assert tokens[made["id"]] == made["token"][:10] + MASK
    assert (await api.get("/api/v1/ping", headers={"X-API-TOKEN": made["token"]})).status_code == 200
