"""Members of a company who are not its owner, for the permission tests."""

from __future__ import annotations

from app import ids
from app.auth import hash_password
from app.db import Db
from app.services import accounts

PASSWORD = "secret-password"


async def add_member(
    db: Db, company_hashed: str, email: str, permissions: str = "", is_admin: bool = False, user_id: int | None = None
) -> tuple[int, str]:
    """A user (new, or `user_id`) joined to a company; returns (user id, a fresh API token)."""
    company = ids.decode(company_hashed)
    account = await db.fetchval("SELECT account_id FROM companies WHERE id = $1", company)
    if user_id is None:
        user_id = await db.fetchval(
            "INSERT INTO users (account_id, email, password_hash, first_name) "
            "VALUES ($1, $2, $3, 'Member') RETURNING id",
            account,
            email,
            hash_password(PASSWORD),
        )
    await db.execute(
        "INSERT INTO company_users (company_id, user_id, account_id, permissions, is_admin) "
        "VALUES ($1, $2, $3, $4, $5)",
        company,
        user_id,
        account,
        permissions,
        is_admin,
    )
    token, _ = await accounts.mint_token(db, company, user_id, account, "member", is_system=False)
    return user_id, token
