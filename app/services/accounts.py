"""Accounts, users and tokens: sign-up from the command line, login, refresh, logout."""
from __future__ import annotations

from typing import Any

from .. import ids, reference, revocation
from ..auth import (DUMMY_HASH, Principal, TokenCache, check_password, digest, hash_password, new_token,
                    random_key)
from ..crud.shape import shape
from ..crud.sql import select_one
from ..db import Db
from ..entities import REGISTRY
from ..errors import BadRequest, Unauthorized
from . import companies

USER = REGISTRY["user"]
# Every new company starts with upstream's payment terms (days).
DEFAULT_PAYMENT_TERMS = (0, 7, 10, 14, 15, 30, 60, 90)

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


async def create_account(db: Db, email: str, password: str, company_name: str = "") -> dict[str, Any]:
    """A new account with one company, its owner and an API token (printed once by the CLI)."""
    async with db.transaction():
        account_id = await db.fetchval("INSERT INTO accounts (key) VALUES ($1) RETURNING id", random_key(32))
        settings = reference.default_company_settings(name=company_name)
        company_id = await db.fetchval(
            "INSERT INTO companies (account_id, company_key, settings) VALUES ($1, $2, $3) RETURNING id",
            account_id, random_key(32), settings)
        await db.execute("UPDATE accounts SET default_company_id = $2 WHERE id = $1", account_id, company_id)
        user_id = await db.fetchval(
            "INSERT INTO users (account_id, email, password_hash, language_id, email_verified_at) "
            "VALUES ($1, $2, $3, 1, now()) RETURNING id", account_id, email.strip(), hash_password(password))
        await db.execute("INSERT INTO company_users (company_id, user_id, account_id, is_owner, is_admin) "
                         "VALUES ($1, $2, $3, true, true)", company_id, user_id, account_id)
        await db.execute("INSERT INTO payment_terms (company_id, user_id, num_days) "
                         "SELECT $1, $2, unnest($3::int[])", company_id, user_id, list(DEFAULT_PAYMENT_TERMS))
        token, _ = await mint_token(db, company_id, user_id, account_id, "API token", is_system=False)
    return {"account_id": ids.encode(account_id), "company_id": ids.encode(company_id),
            "user_id": ids.encode(user_id), "token": token}


async def mint_token(db: Db, company_id: int, user_id: int, account_id: int, name: str,
                     is_system: bool) -> tuple[str, dict[str, Any]]:
    token = new_token()
    row = await db.fetchrow(
        "INSERT INTO company_tokens (company_id, user_id, account_id, token_hash, token_hint, name, is_system) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, EXTRACT(EPOCH FROM created_at)::bigint AS created_at",
        company_id, user_id, account_id, digest(token), token[:10], name, is_system)
    shown = {"id": ids.encode(row["id"]), "user_id": ids.encode(user_id), "token": token, "name": name,
             "is_system": is_system, "is_deleted": False, "created_at": row["created_at"],
             "updated_at": row["created_at"], "archived_at": 0}
    return token, shown


async def verify_login(db: Db, email: str, password: str) -> int:
    """-> user id, or upstream's 401. An unknown e-mail costs the same bcrypt work as a wrong password."""
    row = await db.fetchrow("SELECT id, password_hash, is_deleted OR deleted_at IS NOT NULL AS inactive "
                            "FROM users WHERE lower(email) = lower($1)", email)
    ok = check_password(password, row["password_hash"] if row else DUMMY_HASH)
    if row is None or not ok or row["inactive"]:
        raise Unauthorized("These credentials do not match our records")
    return int(row["id"])


async def company_users(db: Db, user_id: int, only_company: int | None = None,
                        token: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The CompanyUser list login and refresh answer with: user, company, account and token each."""
    memberships = await db.fetch(MEMBERSHIPS_SQL, user_id, only_company)
    if not memberships:
        raise BadRequest("User found, but not attached to any companies, please see your administrator")
    user_row = await db.fetchrow(select_one(USER, ()), memberships[0]["company_id"], user_id)
    user = shape(USER, user_row)
    loaded = await companies.load(db, [m["company_id"] for m in memberships])
    out = []
    for m in memberships:
        company_user = {
            "permissions": m["permissions"], "notifications": m["notifications"] or {},
            "settings": m["settings"] or {}, "react_settings": m["react_settings"] or {},
            "is_owner": m["is_owner"], "is_admin": m["is_admin"], "is_locked": m["is_locked"],
            "updated_at": m["updated_at"], "archived_at": m["archived_at"], "created_at": m["created_at"],
            "permissions_updated_at": m["permissions_updated_at"], "ninja_portal_url": "",
        }
        account = {"id": ids.encode(m["account_id"]), "key": m["account_key"],
                   "default_company_id": ids.encode_ref(m["default_company_id"]), "plan": m["plan"],
                   "is_docker": False, "is_hosted": False, "is_scheduler_running": True,
                   "trial_days_left": 0, "created_at": m["account_created_at"]}
        entry = {**company_user, "account": account, "user": {**user, "company_user": company_user},
                 "company": loaded[m["company_id"]]}
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
            _, token = await mint_token(db, m["company_id"], user_id, m["account_id"], "Login", is_system=True)
            out += await company_users(db, user_id, m["company_id"], token)
    return out


async def refresh(db: Db, who: Principal, current_company_only: bool) -> list[dict[str, Any]]:
    return await company_users(db, who.user_id, who.company_id if current_company_only else None)


async def logout(db: Db, who: Principal, raw_token: str, cache: TokenCache) -> None:
    """Revokes only the token the call was made with (upstream rotates every token of the company).
    Other processes hear of it when the revocation commits; this one forgets it at once."""
    async with db.transaction():
        key = await db.fetchval("UPDATE company_tokens SET is_deleted = true, deleted_at = now() "
                                "WHERE company_id = $1 AND id = $2 RETURNING token_hash", who.company_id,
                                who.token_id)
        if key is not None:
            await revocation.announce_token(db, bytes(key))
    cache.forget(digest(raw_token))
