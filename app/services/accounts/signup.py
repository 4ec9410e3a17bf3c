"""A new account from the command line: one company with upstream's defaults, its owner and an API token."""

from __future__ import annotations

from typing import Any

from ... import ids, reference
from ...auth import hash_password, random_key
from ...db import Db
from ..projects.statuses import add_defaults as add_task_statuses
from .tokens import mint_token

# Every new company starts with upstream's payment terms (days).
DEFAULT_PAYMENT_TERMS = (0, 7, 10, 14, 15, 30, 60, 90)


async def create_account(db: Db, email: str, password: str, company_name: str = "") -> dict[str, Any]:
    """A new account with one company, its owner and an API token (printed once by the CLI)."""
    async with db.transaction():
        account_id = await db.fetchval("INSERT INTO accounts (key) VALUES ($1) RETURNING id", random_key(32))
        user_id = await db.fetchval(
            "INSERT INTO users (account_id, email, password_hash, language_id, email_verified_at) "
            "VALUES ($1, $2, $3, 1, now()) RETURNING id",
            account_id,
            email.strip(),
            hash_password(password),
        )
        company_id = await add_company(db, account_id, user_id, company_name)
        await db.execute("UPDATE accounts SET default_company_id = $2 WHERE id = $1", account_id, company_id)
        token, _ = await mint_token(db, company_id, user_id, account_id, "API token", is_system=False)
    return {
        "account_id": ids.encode(account_id),
        "company_id": ids.encode(company_id),
        "user_id": ids.encode(user_id),
        "token": token,
    }


async def add_company(db: Db, account_id: int, owner_id: int, name: str) -> int:
    """A company of `account_id` with upstream's defaults (settings, payment terms, task statuses), `owner_id` its owner
    and admin. Sign-up and POST /companies both make companies here. Runs in the caller's transaction."""
    settings = reference.default_company_settings(name=name)
    company_id = int(
        await db.fetchval(
            "INSERT INTO companies (account_id, company_key, settings) VALUES ($1, $2, $3) RETURNING id",
            account_id,
            random_key(32),
            settings,
        )
    )
    await db.execute(
        "INSERT INTO company_users (company_id, user_id, account_id, is_owner, is_admin) "
        "VALUES ($1, $2, $3, true, true)",
        company_id,
        owner_id,
        account_id,
    )
    await db.execute(
        "INSERT INTO payment_terms (company_id, user_id, num_days) SELECT $1, $2, unnest($3::int[])",
        company_id,
        owner_id,
        list(DEFAULT_PAYMENT_TERMS),
    )
    await add_task_statuses(db, company_id, owner_id)
    return company_id
