"""Fixed-window counters in PostgreSQL, so every worker sees the same count (login lockout)."""
from __future__ import annotations

import math

from ..db import Db
from ..errors import TooManyRequests


async def check(db: Db, key: str, limit: int) -> None:
    """429 with Retry-After while `key` has used up its window."""
    row = await db.fetchrow("SELECT hits, EXTRACT(EPOCH FROM reset_at - now()) AS left FROM rate_limits "
                            "WHERE key = $1 AND reset_at > now()", key)
    if row is not None and row["hits"] >= limit:
        retry = max(1, math.ceil(float(row["left"])))
        raise TooManyRequests("Too many login attempts, you are being throttled",
                              headers={"Retry-After": str(retry)})


async def hit(db: Db, key: str, window_seconds: int) -> None:
    await db.execute(
        """
        INSERT INTO rate_limits AS r (key, hits, reset_at) VALUES ($1, 1, now() + make_interval(secs => $2))
        ON CONFLICT (key) DO UPDATE SET
            hits = CASE WHEN r.reset_at <= now() THEN 1 ELSE r.hits + 1 END,
            reset_at = CASE WHEN r.reset_at <= now() THEN EXCLUDED.reset_at ELSE r.reset_at END
        """, key, float(window_seconds))
