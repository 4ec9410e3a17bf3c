"""Sessions: login (a token minted per company), refresh, logout, ping, and the CompanyUser list login and
refresh answer with."""

from __future__ import annotations

from typing import Any

from ... import ids, revocation
from ...auth import DUMMY_HASH, Principal, TokenCache, check_password, digest
from ...crud.shape import shape
from ...crud.sql import select_one
from ...db import Db
from ...entities import REGISTRY
from ...errors import BadRequest, Unauthorized
from . import companies
from .tokens import mint_token

USER = REGISTRY["user"]

MEMBERSHIPS_SQL = """
SELECT cu.company_id, cu.user_id, cu.account_id, cu.permissions, cu.notifications, cu.settings,
       cu.react_settings, cu.is_owner, cu.is_admin, cu.is_locked,
       EXTRACT(EPOCH FROM cu.created_at)::bigint AS created_at, EXTRACT(EPOCH FROM cu.updated_at)::bigint AS updated_at,
       COALESCE(EXTRACT(EPOCH FROM cu.deleted_at)::bigint, 0) AS archived_at,
       COALESCE(EXTRACT(EPOCH FROM cu.permissions_updated_at)::bigint, 0) AS permissions_updated_at,
       a.key AS account_key, a.default_company_id, a.plan,
       EXTRACT(EPOCH FROM a.created_at)::bigint AS account_created_at
FROM company_users cu
JOIN accounts a ON a.id = cu.account_id
JOIN companies c ON c.id = cu.company_id AND NOT c.is_deleted
WHERE cu.user_id = $1 AND cu.deleted_at IS NULL AND ($2::bigint IS NULL OR cu.company_id = $2)
ORDER BY cu.company_id
"""


async def verify_login(db: Db, email: str, password: str) -> int:
    """-> user id, or upstream's 401. An unknown e-mail costs the same bcrypt work as a wrong password."""
    row = await db.fetchrow(
        "SELECT id, password_hash, is_deleted OR deleted_at IS NOT NULL AS inactive "
        "FROM users WHERE lower(email) = lower($1)",
        email,
    )
    ok = check_password(password, row["password_hash"] if row else DUMMY_HASH)
    if row is None or not ok or row["inactive"]:
        raise Unauthorized("These credentials do not match our records")
    return int(row["id"])


async def company_users(
    db: Db, user_id: int, only_company: int | None = None, token: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The CompanyUser list login and refresh answer with: user, company, account and token each."""
    memberships = await db.fetch(MEMBERSHIPS_SQL, user_id, only_company)
    if not memberships:
        raise BadRequest("User found, but not attached to any companies, please see your administrator")
    user_row = await db.fetchrow_one(select_one(USER, ()), memberships[0]["company_id"], user_id)
    user = shape(USER, user_row)
    loaded = await companies.load(db, [m["company_id"] for m in memberships])
    out = []
    for m in memberships:
        company_user = {
            "permissions": m["permissions"],
            "notifications": m["notifications"] or {},
            "settings": m["settings"] or {},
            "react_settings": m["react_settings"] or {},
            "is_owner": m["is_owner"],
            "is_admin": m["is_admin"],
            "is_locked": m["is_locked"],
            "updated_at": m["updated_at"],
            "archived_at": m["archived_at"],
            "created_at": m["created_at"],
            "permissions_updated_at": m["permissions_updated_at"],
            "ninja_portal_url": "",
        }
        account = {
            "id": ids.encode(m["account_id"]),
            "key": m["account_key"],
            "default_company_id": ids.encode_ref(m["default_company_id"]),
            "plan": m["plan"],
            "is_docker": False,
            "is_hosted": False,
            "is_scheduler_running": True,
            "trial_days_left": 0,
            "created_at": m["account_created_at"],
        }
        entry = {
            **company_user,
            "account": account,
            "user": {**user, "company_user": company_user},
            "company": loaded[m["company_id"]],
        }
        if token is not None and (only_company is None or m["company_id"] == only_company):
            entry["token"] = token
        out.append(entry)
    return out


async def login(db: Db, email: str, password: str) -> list[dict[str, Any]]:
    """Verify the password, then mint a session token per company (shown only in this response)."""
    user_id = await verify_login(db, email, password)
    memberships = await db.fetch(MEMBERSHIPS_SQL, user_id, None)
    if not memberships:
        raise BadRequest("User found, but not attached to any companies, please see your administrator")
    out = []
    async with db.transaction():
        await db.execute("UPDATE users SET last_login = now() WHERE id = $1", user_id)
        for m in memberships:
            _, token = await mint_token(
                db, m["company_id"], user_id, m["account_id"], "Login", is_system=True, confirmed=True
            )
            out += await company_users(db, user_id, m["company_id"], token)
    return out


async def refresh(db: Db, who: Principal, current_company_only: bool) -> list[dict[str, Any]]:
    return await company_users(db, who.user_id, who.company_id if current_company_only else None)


async def logout(db: Db, who: Principal, raw_token: str, cache: TokenCache) -> None:
    """Revokes only the token the call was made with (upstream rotates every token of the company).
    Other processes hear of it when the revocation commits; this one forgets it at once."""
    async with db.transaction():
        key = await db.fetchval(
            "UPDATE company_tokens SET is_deleted = true, deleted_at = now() "
            "WHERE company_id = $1 AND id = $2 RETURNING token_hash",
            who.company_id,
            who.token_id,
        )
        if key is not None:
            await revocation.announce_token(db, bytes(key))
    cache.forget(digest(raw_token))


async def ping(db: Db, who: Principal) -> dict[str, str]:
    """The names the web app shows for the caller's company and user."""
    row = await db.fetchrow_one(
        "SELECT c.settings->>'name' AS company, btrim(u.first_name || ' ' || u.last_name) AS "
        "user_name FROM companies c, users u WHERE c.id = $1 AND u.id = $2",
        who.company_id,
        who.user_id,
    )
    return {"company_name": row["company"] or "", "user_name": row["user_name"] or ""}
