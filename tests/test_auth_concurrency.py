"""Authentication under attack, against LIVE servers on a committed database: concurrent wrong-password logins
stay within the throttle, a token revoked through one process stops working on another within a second, and
a process whose revocation listener is cut off stops trusting its token cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import HEADERS
from live import Live, live_database, serve
from test_auth import add_member

from app import ids
from app.auth import Principal, TokenCache, digest
from app.db import Db

LOGIN_ATTEMPTS = 5
CACHE_SECONDS = 5.0  # long enough that only a notification (not expiry) can explain a prompt refusal
PROMISE_SECONDS = 1.0  # revocation reaches every process within this


@pytest.fixture(scope="module")
def live_url(database_url: str) -> str:
    return live_database(database_url)


@pytest.fixture(scope="module")
def pair(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    """Two app instances on one database, as two uvicorn workers would be."""
    upload: Path = tmp_path_factory.mktemp("live-auth")
    with (
        serve(live_url, upload, token_cache_seconds=CACHE_SECONDS, login_attempts=LOGIN_ATTEMPTS) as a,
        serve(live_url, upload, token_cache_seconds=CACHE_SECONDS, login_attempts=LOGIN_ATTEMPTS) as b,
    ):
        yield a, b


@pytest.fixture
async def raw(live_url: str) -> AsyncIterator[Db]:
    db = Db(live_url, min_size=1, max_size=2)
    await db.connect()
    try:
        yield db
    finally:
        await db.disconnect()


def client(live: Live, token: str = "") -> httpx.AsyncClient:
    headers = {**HEADERS, **({"X-API-TOKEN": token} if token else {})}
    return httpx.AsyncClient(base_url=live.base, timeout=60, headers=headers, limits=httpx.Limits(max_connections=60))


async def refused_after(http: httpx.AsyncClient, limit: float = 10.0) -> float:
    """Seconds until the token is refused (403), polling every 20 ms; `limit` if it never is."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if (await http.get("/api/v1/ping")).status_code == 403:
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    return limit


async def cache_on(live: Live, http: httpx.AsyncClient, token: str) -> None:
    """Use the token on `live` until its cache holds it (a busy loop may briefly pause the cache)."""
    started = time.monotonic()
    while True:
        assert (await http.get("/api/v1/ping")).status_code == 200
        if live.app.state.tokens.get(digest(token)) is not None:
            return
        assert time.monotonic() - started < 10, "the token was never cached"
        await asyncio.sleep(0.05)


async def test_concurrent_wrong_logins_check_the_password_only_up_to_the_limit(pair: Any) -> None:
    a, _ = pair
    email = "throttled@example.com"
    a.company(email)
    async with client(a) as http:
        results = await asyncio.gather(
            *(http.post("/api/v1/login", json={"email": email, "password": f"bad-{i}"}) for i in range(40))
        )
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(401) == LOGIN_ATTEMPTS, statuses
    assert statuses.count(429) == 40 - LOGIN_ATTEMPTS, statuses
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in results if r.status_code == 429)
    # the right password is refused too while the window lasts
    async with client(a) as http:
        right = await http.post("/api/v1/login", json={"email": email, "password": "secret-password"})
    assert right.status_code == 429


async def test_revocation_reaches_the_other_process_within_a_second(pair: Any) -> None:
    a, b = pair
    a.company("revoked@example.com")
    async with client(a) as on_a:
        login = await on_a.post("/api/v1/login", json={"email": "revoked@example.com", "password": "secret-password"})
        session = login.json()["data"][0]["token"]["token"]
    async with client(a) as on_a, client(b, session) as on_b:
        await cache_on(b, on_b, session)
        assert (await on_a.post("/api/v1/logout", headers={"X-API-TOKEN": session})).status_code == 200
        assert await refused_after(on_b) < PROMISE_SECONDS


async def test_changed_rights_reach_the_other_process_within_a_second(pair: Any, raw: Db) -> None:
    a, b = pair
    owner = a.company("admin@example.com")
    member, clerk = await add_member(
        raw, owner["company_id"], "clerk@example.com", permissions="view_client,create_client"
    )
    async with client(a, owner["token"]) as on_a, client(b, clerk) as on_b:
        await cache_on(b, on_b, clerk)
        assert (await on_b.post("/api/v1/clients", json={"name": "Before"})).status_code == 200
        demoted = await on_a.put(
            f"/api/v1/company_users/{ids.encode(member)}", json={"company_user": {"permissions": "view_client"}}
        )
        assert demoted.status_code == 200, demoted.text
        started = time.monotonic()
        while (await on_b.post("/api/v1/clients", json={"name": "After"})).status_code != 403:
            assert time.monotonic() - started < PROMISE_SECONDS, "B still uses the old rights"
            await asyncio.sleep(0.02)


async def test_a_dropped_listener_stops_the_cache_until_it_reconnects(pair: Any, raw: Db) -> None:
    a, b = pair
    token = a.company()["token"]
    listener, tokens = b.app.state.revocation, b.app.state.tokens
    async with client(b, token) as on_b:
        await cache_on(b, on_b, token)
        dropped = listener.pid
        assert dropped
        assert await raw.fetchval("SELECT pg_terminate_backend($1, 5000)", dropped)
        # Revoked with no notification, as if one had been missed while the listener was gone: B must not
        # answer from its cache (5 s) any more.
        await raw.execute("UPDATE company_tokens SET is_deleted = true WHERE token_hash = $1", digest(token))
        assert await refused_after(on_b) < PROMISE_SECONDS
    # ... and the listener comes back on a new connection, trusted again, evicting again
    started = time.monotonic()
    while not (listener.pid not in (None, dropped) and tokens.trusted):
        assert time.monotonic() - started < 10, "the listener did not reconnect"
        await asyncio.sleep(0.05)
    fresh = a.company()["token"]
    async with client(a, fresh) as on_a, client(b, fresh) as on_b:
        await cache_on(b, on_b, fresh)
        assert (await on_a.post("/api/v1/logout")).status_code == 200
        assert await refused_after(on_b) < PROMISE_SECONDS


def test_a_lookup_that_raced_an_eviction_is_not_cached() -> None:
    cache = TokenCache(60)
    cache.trust(time.monotonic() + 60)
    who = Principal(
        company_id=1, user_id=2, account_id=3, token_id=4, is_admin=False, is_owner=False, permissions=frozenset()
    )
    epoch = cache.epoch  # the lookup reads the database ...
    cache.forget(b"other")  # ... a revocation is heard meanwhile ...
    cache.put(b"key", who, epoch)  # ... so what it read may be stale
    assert cache.get(b"key") is None
    cache.put(b"key", who, cache.epoch)
    assert cache.get(b"key") == who
    cache.forget_user(2)
    assert cache.get(b"key") is None
    cache.put(b"key", who, cache.epoch)
    cache.distrust()  # the listener is gone: nothing is served or stored
    assert cache.get(b"key") is None
    cache.put(b"key", who, cache.epoch)
    cache.trust(time.monotonic() + 60)
    assert cache.get(b"key") is None
