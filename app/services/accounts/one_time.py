"""One-time tokens (upstream POST /one_time_token): a random hash handed to a flow that leaves the API,
such as a gateway's onboarding page, which brings it back to name the user and company it started from.

Upstream caches the hash for an hour and most consumers never delete it. Here it is stored as a digest,
expires after an hour, and is redeemed once: `redeem` deletes it in the same statement that reads it.
"""

from __future__ import annotations

from typing import Any

from ...auth import Principal, digest, new_token
from ...crud.validate import clean_text, message
from ...db import Db
from ...errors import invalid

LIFETIME_SECONDS = 3600


async def issue(db: Db, who: Principal, data: dict[str, Any], is_react: bool) -> str:
    """-> the hash (64 characters), shown once."""
    try:
        context = clean_text(data.get("context"), 191)
    except ValueError as exc:
        raise invalid("context", message("context", exc)) from None
    if not context:
        raise invalid("context", "The context field is required.")
    token = new_token()
    # expired hashes are cleared as new ones are issued, so the table stays small without a job
    await db.execute("DELETE FROM one_time_tokens WHERE expires_at < now()")
    await db.execute(
        "INSERT INTO one_time_tokens (token_hash, company_id, user_id, context, is_react, expires_at) "
        "VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))",
        digest(token),
        who.company_id,
        who.user_id,
        context,
        is_react,
        float(LIFETIME_SECONDS),
    )
    return token


async def redeem(db: Db, token: str, context: str) -> dict[str, Any] | None:
    """The (company_id, user_id, is_react) a live hash of `context` was issued for, once; else None."""
    if not token or len(token) > 128:
        return None
    row = await db.fetchrow(
        "DELETE FROM one_time_tokens WHERE token_hash = $1 AND context = $2 AND expires_at > now() "
        "RETURNING company_id, user_id, is_react",
        digest(token),
        context,
    )
    return dict(row) if row is not None else None
