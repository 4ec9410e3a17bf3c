"""The rate_limits table: expired windows are purged in bounded batches, in the background, and live
windows stay; a reserved login attempt is given back when it does not fail."""

from __future__ import annotations

import asyncio
import time

from app.db import Db
from app.errors import TooManyRequests
from app.services.accounts import throttle


async def seed(db: Db, expired: int, live: int) -> None:
    await db.execute(
        "INSERT INTO rate_limits (key, hits, reset_at) SELECT 'old:' || n, 5, now() - interval '1 second' "
        "FROM generate_series(1, $1) n",
        expired,
    )
    await db.execute(
        "INSERT INTO rate_limits (key, hits, reset_at) SELECT 'new:' || n, 1, now() + interval '1 minute' "
        "FROM generate_series(1, $1) n",
        live,
    )


async def keys(db: Db) -> list[str]:
    return [r["key"] for r in await db.fetch("SELECT key FROM rate_limits ORDER BY key")]


async def test_purge_deletes_expired_windows_in_batches_and_keeps_live_ones(db: Db) -> None:
    await seed(db, expired=25, live=3)
    assert await throttle.purge(db, batch=10, batches=2) == 20  # bounded: two batches of ten
    assert await throttle.purge(db, batch=10) == 5
    assert await keys(db) == ["new:1", "new:2", "new:3"]
    assert await throttle.purge(db) == 0


async def test_purging_runs_in_the_background(db: Db) -> None:
    await seed(db, expired=30, live=2)
    async with throttle.purging(db, every=0.05):
        started = time.monotonic()
        while len(await keys(db)) > 2:
            assert time.monotonic() - started < 5, "expired rows were not purged"
            await asyncio.sleep(0.05)
    assert await keys(db) == ["new:1", "new:2"]


async def test_a_released_attempt_does_not_count(db: Db) -> None:
    window = await throttle.reserve(db, "login:x", limit=2, window_seconds=60)
    await throttle.release(db, window=window, key="login:x")
    assert await db.fetchval("SELECT hits FROM rate_limits WHERE key = 'login:x'") == 0
    await throttle.reserve(db, "login:x", limit=2, window_seconds=60)
    await throttle.reserve(db, "login:x", limit=2, window_seconds=60)
    for _ in range(3):  # refused attempts still count, but the counter stops at limit + 1
        try:
            await throttle.reserve(db, "login:x", limit=2, window_seconds=60)
        except TooManyRequests as exc:
            assert exc.headers and 1 <= int(exc.headers["Retry-After"]) <= 60
        else:
            raise AssertionError("a third attempt in the window was allowed")
    assert await db.fetchval("SELECT hits FROM rate_limits WHERE key = 'login:x'") == 3
