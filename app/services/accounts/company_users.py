"""A user's membership of the current company: its preferences (settings, notifications, react_settings)
and, for admins, its rights (permissions, is_admin, is_locked).

Rules upstream leaves open and this project closes: nobody changes their own rights (an admin cannot
demote, lock or promote itself, a member cannot grant itself anything), `is_owner` is never written through
the API, and only an owner changes another owner's rights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ... import revocation
from ...auth import Principal, parse_permissions
from ...crud.validate import clean_bool, clean_text, message
from ...db import Db
from ...errors import Forbidden, Invalid, NotFound

COLUMNS = """
permissions, notifications, settings, react_settings, is_owner, is_admin, is_locked,
EXTRACT(EPOCH FROM created_at)::bigint AS created_at, EXTRACT(EPOCH FROM updated_at)::bigint AS updated_at,
COALESCE(EXTRACT(EPOCH FROM deleted_at)::bigint, 0) AS archived_at,
COALESCE(EXTRACT(EPOCH FROM permissions_updated_at)::bigint, 0) AS permissions_updated_at
"""
SHOW_SQL = f"SELECT {COLUMNS} FROM company_users WHERE company_id = $1 AND user_id = $2"
MANY_SQL = f"SELECT user_id, {COLUMNS} FROM company_users WHERE company_id = $1 AND user_id = ANY($2::bigint[])"
OBJECTS = ("settings", "notifications", "react_settings")
RIGHTS = ("permissions", "is_admin", "is_locked")  # what a cached Principal is built from
# upstream's default for a new member (UserRepository): e-mailed when its own invoices are sent
NEW_MEMBER_NOTIFICATIONS = {"email": ["invoice_sent_user"]}


def _shaped(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "user_id"}
    for key in OBJECTS:
        out[key] = out[key] or {}
    return {**out, "ninja_portal_url": ""}


async def get(db: Db, who: Principal, user_id: int) -> dict[str, Any]:
    row = await db.fetchrow(SHOW_SQL, who.company_id, user_id)
    if row is None:
        raise NotFound("Company user not found")
    return _shaped(dict(row))


async def many(db: Db, who: Principal, user_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The memberships in the caller's company of many users, in one statement (list includes)."""
    rows = await db.fetch(MANY_SQL, who.company_id, list(user_ids))
    return {r["user_id"]: _shaped(dict(r)) for r in rows}


def clean_membership(who: Principal, given: Any, target_is_self: bool, target_is_owner: bool) -> dict[str, Any]:
    """-> {column: value} the caller may write: preferences always; rights only as an admin (or owner)
    about someone else, and about an owner only as an owner. Rights the caller may not write are ignored,
    as upstream ignores them for non-admins, so the web app's whole-object PUT keeps working."""
    if not isinstance(given, dict):
        raise Invalid({"company_user": ["The company user must be an object."]})
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key in OBJECTS:
        if key in given and given[key] is not None:
            if isinstance(given[key], dict) or given[key] == []:
                values[key] = given[key] or {}
            else:
                errors[f"company_user.{key}"] = [f"The {key.replace('_', ' ')} must be an object."]
    may_grant = who.is_superuser and not target_is_self and (who.is_owner or not target_is_owner)
    if may_grant:
        for key in RIGHTS:
            if key not in given or given[key] is None:
                continue
            try:
                if key == "permissions":
                    text = clean_text(given[key], 65535)
                    values[key] = ",".join(sorted(parse_permissions(text)))
                else:
                    values[key] = clean_bool(given[key])
            except ValueError as exc:
                errors[f"company_user.{key}"] = [message(key, exc)]
    if errors:
        raise Invalid(errors)
    return values


async def write(db: Db, who: Principal, user_id: int, values: Mapping[str, Any]) -> None:
    """Store cleaned membership values; a change of rights reaches every process's token cache when the
    surrounding transaction commits."""
    if not values:
        return
    cols = list(values)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=3))
    extra = ", permissions_updated_at = now()" if "permissions" in values else ""
    await db.execute(
        f"UPDATE company_users SET {sets}{extra}, updated_at = now() WHERE company_id = $1 AND user_id = $2",
        who.company_id,
        user_id,
        *values.values(),
    )
    if values.keys() & set(RIGHTS):
        await revocation.announce_user(db, user_id)


async def update(db: Db, who: Principal, user_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """PUT /company_users/{user}: one's own preferences, or (admins) another member's. One transaction."""
    async with db.transaction():
        if user_id != who.user_id and not who.is_superuser:
            raise NotFound("Company user not found")
        current = await get(db, who, user_id)
        given = data.get("company_user", data)
        values = clean_membership(who, given, user_id == who.user_id, current["is_owner"])
        await write(db, who, user_id, values)
        return await get(db, who, user_id)


def require_may_manage(who: Principal, target: Mapping[str, Any]) -> None:
    """Archive, delete, detach another member: an admin, and never an owner (upstream lets admins remove
    the owner; here the owner stays)."""
    if not who.is_superuser or target["is_owner"]:
        raise Forbidden("This action is unauthorized.")


async def save_preferences(db: Db, who: Principal, user_id: int, data: Mapping[str, Any]) -> None:
    """PUT /company_users/{user}/preferences: one's own `react_settings`, replaced whole (upstream)."""
    await get(db, who, user_id)  # missing or foreign: 404
    if user_id != who.user_id:
        raise Forbidden("This action is unauthorized.")
    given = data.get("react_settings")
    if given == []:
        given = {}
    if not isinstance(given, dict):
        raise Invalid({"react_settings": ["The react settings field is required."]})
    await db.execute(
        "UPDATE company_users SET react_settings = $3, updated_at = now() WHERE company_id = $1 AND user_id = $2",
        who.company_id,
        user_id,
        given,
    )
