"""A user's membership of the current company: its preferences (settings, notifications, react_settings)
and, for admins, its permissions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import revocation
from ...auth import Principal
from ...crud.validate import clean_bool, clean_text
from ...db import Db
from ...errors import Invalid, NotFound

SHOW_SQL = """
SELECT permissions, notifications, settings, react_settings, is_owner, is_admin, is_locked,
       EXTRACT(EPOCH FROM created_at)::bigint AS created_at, EXTRACT(EPOCH FROM updated_at)::bigint AS updated_at,
       COALESCE(EXTRACT(EPOCH FROM deleted_at)::bigint, 0) AS archived_at,
       COALESCE(EXTRACT(EPOCH FROM permissions_updated_at)::bigint, 0) AS permissions_updated_at
FROM company_users WHERE company_id = $1 AND user_id = $2
"""
OBJECTS = ("settings", "notifications", "react_settings")
RIGHTS = {"permissions", "is_admin"}  # the columns a cached Principal is built from


async def get(db: Db, who: Principal, user_id: int) -> dict[str, Any]:
    row = await db.fetchrow(SHOW_SQL, who.company_id, user_id)
    if row is None:
        raise NotFound("Company user not found")
    return {**dict(row), "ninja_portal_url": ""}


async def update(db: Db, who: Principal, user_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """Anyone may change their own preferences; admins may change another member's and permissions.
    One transaction: a change of rights is announced to every process when it commits."""
    async with db.transaction():
        return await _update(db, who, user_id, data)


async def _update(db: Db, who: Principal, user_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    if user_id != who.user_id and not (who.is_admin or who.is_owner):
        raise NotFound("Company user not found")
    await get(db, who, user_id)
    given = data.get("company_user", data)
    if not isinstance(given, dict):
        raise Invalid({"company_user": ["The company user must be an object."]})
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in OBJECTS:
        if key in given:
            if isinstance(given[key], dict) or given[key] == []:
                values[key] = given[key] or {}
            else:
                errors[f"company_user.{key}"] = [f"The {key.replace('_', ' ')} must be an object."]
    if who.is_admin or who.is_owner:
        try:
            if "permissions" in given:
                values["permissions"] = clean_text(given["permissions"], 65535)
            if "is_admin" in given and user_id != who.user_id:
                values["is_admin"] = clean_bool(given["is_admin"])
        except ValueError as exc:
            errors["company_user"] = [str(exc)]
    if errors:
        raise Invalid(errors)
    if values:
        cols = list(values)
        sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=3))
        extra = ", permissions_updated_at = now()" if "permissions" in values else ""
        await db.execute(
            f"UPDATE company_users SET {sets}{extra}, updated_at = now() WHERE company_id = $1 AND user_id = $2",
            who.company_id,
            user_id,
            *values.values(),
        )
        if values.keys() & RIGHTS:
            # Cached tokens of that user carry the old rights: every process drops them on commit.
            await revocation.announce_user(db, user_id)
    return await get(db, who, user_id)
