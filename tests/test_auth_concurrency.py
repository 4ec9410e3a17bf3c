"""Authentication under attack, against LIVE servers on a committed database: concurrent wrong-password logins
stay within the throttle."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import httpx
import pytest

from app import ids
from app.auth import Principal, TokenCache, digest
from app.db import Db
from conftest import HEADERS
from live import Live, live_database, serve
from test_auth import add_member

LOGIN_ATTEMPTS = 5
CACHE_SECONDS = 5.0     # long enough that only a notification (not expiry) can explain a prompt refusal
PROMISE_SECONDS = 1.0   # revocation reaches every process within this


@pytest.fixture(scope="module")
def live_url(database_url: str) -> str:
    return live_database(database_url)


@pytest.fixture(scope="module")
def pair(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Live, Live]]:
    """Two app instances on one database, as two uvicorn workers would be."""
    upload: Path = tmp_path_factory.mktemp("live-auth")
    with serve(live_url, upload, token_cache_seconds=CACHE_SECONDS, login_attempts=LOGIN_ATTEMPTS) as a, \
            serve(live_url, upload, token_cache_seconds=CACHE_SECONDS, login_attempts=LOGIN_ATTEMPTS) as b:
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
    return httpx.AsyncClient(base_url=live.base, timeout=60, headers=headers,
                             limits=httpx.Limits(max_connections=60))


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
        results = await asyncio.gather(*(http.post("/api/v1/login", json={"email": email, "password": f"bad-{i}"})
                                         for i in range(40)))
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(401) == LOGIN_ATTEMPTS, statuses
    assert statuses.count(429) == 40 - LOGIN_ATTEMPTS, statuses
    assert all(1 <= int(r.headers["Retry-After"]) <= 60 for r in results if r.status_code == 429)
    # the right password is refused too while the window lasts
    async with client(a) as http:
        right = await http.post("/api/v1/login", json={"email": email, "password": "secret-password"})
    assert right.status_code == 429
