"""API tokens: minted as 64 random characters, stored as their SHA-256 digest, shown once."""

from __future__ import annotations

from typing import Any

from ... import ids
from ...auth import digest, new_token
from ...db import Db


async def mint_token(
    db: Db, company_id: int, user_id: int, account_id: int, name: str, is_system: bool
) -> tuple[str, dict[str, Any]]:
    token = new_token()
    row = await db.fetchrow_one(
        "INSERT INTO company_tokens (company_id, user_id, account_id, token_hash, token_hint, name, is_system) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, EXTRACT(EPOCH FROM created_at)::bigint AS created_at",
        company_id,
        user_id,
        account_id,
        digest(token),
        token[:10],
        name,
        is_system,
    )
    shown = {
        "id": ids.encode(row["id"]),
        "user_id": ids.encode(user_id),
        "token": token,
        "name": name,
        "is_system": is_system,
        "is_deleted": False,
        "created_at": row["created_at"],
        "updated_at": row["created_at"],
        "archived_at": 0,
    }
    return token, shown
