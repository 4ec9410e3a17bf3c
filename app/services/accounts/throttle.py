"""Fixed-window counters in PostgreSQL, so every worker sees the same count (login lockout).

An attempt is counted before it is made: `reserve` takes a slot with one upsert, so however many requests
race, at most `limit` of them get past it per window. A reservation that turns out not to be a failure is
given back with `release`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime

from ...db import Db
from ...errors import TooManyRequests

log = logging.getLogger("lightninja")

# Refused attempts still count, but only up to limit + 1: the counter cannot overflow under a flood.
RESERVE_SQL = """
INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES ($1, 1, now() + make_interval(secs => $3))
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE LEAST(r.hits + 1, $2 + 1) END,
    reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
RETURNING hits, reset_at, EXTRACT(EPOCH FROM reset_at - now()) AS left
"""
# Only the window the slot was taken in: a new window's count is not the reservation's to give back.
RELEASE_SQL = "UPDATE rate_limits SET hits = hits - 1 WHERE key = $1 AND reset_at = $2 AND hits > 0"
PURGE_SQL = """
DELETE FROM rate_limits WHERE key IN (
    SELECT key FROM rate_limits WHERE reset_at <= now() LIMIT $1 FOR UPDATE SKIP LOCKED)
"""
PURGE_BATCH = 1000
PURGE_BATCHES = 50  # per round, so one round never holds a connection for long
PURGE_EVERY_SECONDS = 60.0


async def reserve(db: Db, key: str, limit: int, window_seconds: int) -> datetime:
    """Count one attempt for `key`, or refuse it (429 with Retry-After) when the window is used up.
    Returns the window the attempt was counted in, for `release`."""
    row = await db.fetchrow_one(RESERVE_SQL, key, limit, float(window_seconds))
    if row["hits"] > limit:
        retry = max(1, math.ceil(float(row["left"])))
        raise TooManyRequests("Too many login attempts, you are being throttled", headers={"Retry-After": str(retry)})
    window: datetime = row["reset_at"]
    return window


async def release(db: Db, key: str, window: datetime) -> None:
    """Give back a reserved attempt that did not fail (a successful login does not count)."""
    await db.execute(RELEASE_SQL, key, window)


async def purge(db: Db, batch: int = PURGE_BATCH, batches: int = PURGE_BATCHES) -> int:
    """Delete expired windows (an expired row means the same as no row), `batch` rows per statement and
    at most `batches` statements; returns how many went."""
    gone = 0
    for _ in range(batches):
        status = await db.execute(PURGE_SQL, batch)
        count = int(status.rsplit(" ", 1)[-1])
        gone += count
        if count < batch:
            break
    return gone


@asynccontextmanager
async def purging(db: Db, every: float = PURGE_EVERY_SECONDS) -> AsyncIterator[None]:
    """Purge expired rows in the background while the block runs: unknown e-mails add a row each, so
    without it the table grows with every guessed address. Every worker may purge; SKIP LOCKED keeps
    them out of each other's way."""

    async def run() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await purge(db)
            except Exception:  # a failed round is retried next time; the app keeps serving
                log.exception("purging rate_limits failed")

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
