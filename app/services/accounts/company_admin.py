"""An account's companies (upstream CompanyController): list, a blank, create one more, the current one,
set the default, upload documents, delete.

Every company is a tenant of its own: a caller sees and acts on the companies it is a member of, and any
other id answers like a missing one. Creating a company makes the caller its owner and admin and mints a
token for it, so a client can switch to it at once. Deleting needs the target company's owner and the
password; deleting the last company of an account closes the account, as upstream does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ... import ids, reference, revocation
from ...auth import Principal
from ...crud.service import CrudService
from ...crud.validate import clean_text, message
from ...db import Db
from ...entities import REGISTRY
from ...errors import Forbidden, NotFound, invalid
from ..files import documents
from . import companies, logo, passwords, sessions
from .signup import add_company
from .tokens import mint_token

MAX_COMPANIES = 10  # upstream's self-hosted limit per account (ValidCompanyQuantity)
DEFAULT_NAME = "Untitled Company"
DOCUMENTABLE = "companies"

MEMBER_OF_SQL = """
SELECT cu.company_id, cu.is_owner, cu.is_admin FROM company_users cu
JOIN companies c ON c.id = cu.company_id AND NOT c.is_deleted
WHERE cu.user_id = $1 AND cu.account_id = $2 AND cu.deleted_at IS NULL AND ($3::bigint IS NULL OR cu.company_id = $3)
ORDER BY cu.company_id
"""


async def _membership(db: Db, who: Principal, company_id: int) -> dict[str, Any]:
    row = await db.fetchrow(MEMBER_OF_SQL, who.user_id, who.account_id, company_id)
    if row is None:
        raise NotFound("Company not found")
    return dict(row)


async def with_documents(db: Db, who: Principal, company: dict[str, Any]) -> dict[str, Any]:
    """The company's own documents (uploaded to /companies/{id}/upload), shaped as every document is."""
    found = await db.fetch(
        "SELECT id FROM documents WHERE company_id = $1 AND documentable_type = $2 AND documentable_id = $1 "
        "AND NOT is_deleted ORDER BY id",
        who.company_id,
        DOCUMENTABLE,
    )
    if found:
        items = await CrudService(REGISTRY["document"], db).items(who, [r["id"] for r in found])
        company["documents"] = [item.data for item in items]
    return company


async def show(db: Db, who: Principal, company_id: int) -> dict[str, Any]:
    return await with_documents(db, who, await companies.get(db, who, company_id))


async def list_companies(db: Db, who: Principal) -> list[dict[str, Any]]:
    """The companies of the account the caller is a member of (upstream lists every account company)."""
    rows = await db.fetch(MEMBER_OF_SQL, who.user_id, who.account_id, None)
    loaded = await companies.load(db, [r["company_id"] for r in rows])
    return [loaded[r["company_id"]] for r in rows]


def blank() -> dict[str, Any]:
    """GET /companies/create: an unsaved company with upstream's defaults."""
    return {
        "id": "",
        "company_key": "",
        "settings": reference.default_company_settings(),
        "custom_fields": {},
        **copy.deepcopy(companies.ATTRIBUTES),
        "is_deleted": False,
        "created_at": 0,
        "updated_at": 0,
        "archived_at": 0,
        "documents": [],
    }


def require_edit(who: Principal) -> None:
    if not who.can("edit", "company"):
        raise Forbidden("This action is unauthorized.")


async def create(db: Db, who: Principal, data: Mapping[str, Any], token_name: str) -> list[dict[str, Any]]:
    """POST /companies -> upstream's list of one company user (the caller in the new company), with the
    new company, the account, the user and the caller's fresh token for it."""
    if not who.is_superuser:  # upstream also lets create_company/create_all members make (and own) one
        raise Forbidden("This action is unauthorized.")
    try:
        name = clean_text(data.get("name"), 191) or DEFAULT_NAME
    except ValueError as exc:
        raise invalid("name", message("name", exc)) from None
    async with db.transaction():
        # serialises concurrent creates of one account, so the limit holds under a race
        await db.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", who.account_id)
        count = await db.fetchval(
            "SELECT count(*) FROM companies WHERE account_id = $1 AND NOT is_deleted", who.account_id
        )
        if count >= MAX_COMPANIES:
            raise invalid("name", f"Limit of {MAX_COMPANIES} companies per account.")
        company_id = await add_company(db, who.account_id, who.user_id, name)
        raw, shown = await mint_token(
            db, company_id, who.user_id, who.account_id, token_name or "API token", is_system=True
        )
        owner = Principal(
            company_id=company_id,
            user_id=who.user_id,
            account_id=who.account_id,
            token_id=ids.decode(shown["id"]),
            is_admin=True,
            is_owner=True,
            permissions=frozenset(),
        )
        rest = {k: v for k, v in data.items() if k != "name"}
        if rest:
            await companies.update(db, owner, company_id, rest)
        entries = await sessions.company_users(db, who.user_id, company_id, shown)
    for entry in entries:
        entry["company"]["tokens"] = [shown]  # the caller's own token: the only one of the new company
    return entries


async def current(db: Db, who: Principal) -> dict[str, Any]:
    return await show(db, who, who.company_id)


async def set_default(db: Db, who: Principal, company_id: int) -> dict[str, Any]:
    """POST /companies/{company}/default: the company login lists first and account mails come from."""
    await _membership(db, who, company_id)
    if not who.is_superuser:
        raise Forbidden("This action is unauthorized.")
    await db.execute(
        "UPDATE accounts SET default_company_id = $2, updated_at = now() WHERE id = $1", who.account_id, company_id
    )
    return (await companies.load(db, [company_id]))[company_id]


async def update(
    db: Db, who: Principal, company_id: int, data: Mapping[str, Any], logo_file: Any, files: list[Any]
) -> dict[str, Any]:
    """PUT /companies/{id}: the company's fields and settings, with a `company_logo` file its new logo and
    with `documents[]` company documents (upstream takes all three in one multipart request). A refused file
    is a 422 that changes nothing; a logo that is no longer the company's has its file removed once the
    change is committed."""
    await companies.get(db, who, company_id)
    require_edit(who)
    new_url = await logo.prepare(company_id, logo_file) if logo_file is not None else None
    try:
        async with db.transaction():
            old_url = await logo.current_url(db, company_id, lock=True)
            await companies.update(db, who, company_id, data)
            if files:
                await documents.attach(db, who, DOCUMENTABLE, company_id, files, data.get("is_public"))
            if new_url is not None:
                await logo.set_url(db, company_id, new_url)
            now_url = await logo.current_url(db, company_id)
    except BaseException:
        logo.remove(company_id, new_url)
        raise
    if old_url != now_url:
        logo.remove(company_id, old_url)
    return await show(db, who, company_id)


async def upload(db: Db, who: Principal, company_id: int, files: list[Any], is_public: Any) -> dict[str, Any]:
    """PUT/POST /companies/{id}/upload: documents of the company (upstream: not the logo)."""
    await companies.get(db, who, company_id)
    require_edit(who)
    await documents.attach(db, who, DOCUMENTABLE, company_id, files, is_public)
    return await show(db, who, company_id)


async def delete(db: Db, who: Principal, company_id: int) -> str:
    """DELETE /companies/{id}: the owner of that company, password confirmed. Its tokens stop at once on
    every process; the last company of an account takes the account's users with it."""
    membership = await _membership(db, who, company_id)
    if not membership["is_owner"]:
        raise Forbidden("This action is unauthorized.")
    await passwords.confirm(db, who)
    async with db.transaction():
        await db.execute("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", who.account_id)
        await db.execute(
            "UPDATE companies SET is_deleted = true, deleted_at = now(), updated_at = now() WHERE id = $1", company_id
        )
        await db.execute(
            "UPDATE company_tokens SET is_deleted = true, deleted_at = COALESCE(deleted_at, now()) "
            "WHERE company_id = $1",
            company_id,
        )
        remaining = await db.fetchval(
            "SELECT min(id) FROM companies WHERE account_id = $1 AND NOT is_deleted", who.account_id
        )
        if remaining is None:  # the account's last company: the account is closed
            await db.execute(
                "UPDATE users SET is_deleted = true, deleted_at = COALESCE(deleted_at, now()) WHERE account_id = $1",
                who.account_id,
            )
        await db.execute(
            "UPDATE accounts SET default_company_id = $2, updated_at = now() WHERE id = $1 "
            "AND (default_company_id = $3 OR default_company_id IS NULL)",
            who.account_id,
            remaining,
            company_id,
        )
        await revocation.announce_flush(db)
    return "Success"
