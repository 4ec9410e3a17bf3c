"""The contacts of a party (a client's or a vendor's): a body's `contacts` list replaces the stored ones,
as upstream's ClientContactRepository / VendorContactRepository do. Contacts sent with an id of this party
are updated, the others inserted, the missing soft-deleted; at least one always remains and exactly one is
primary. Passwords follow upstream's contact rule and are stored hashed ("**********" keeps the old one)."""

from __future__ import annotations

import re
from typing import Any

from .. import ids
from ..auth import Principal, hash_password, random_key
from ..crud.service import Row
from ..crud.validate import clean
from ..db import Db
from ..entities import REGISTRY
from ..errors import Invalid, invalid

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MASKED_PASSWORD = "**********"
MAX_CONTACTS = 500
Cleaned = list[tuple[int | None, Row, str | None]]


def password_problem(password: str) -> str:
    """Upstream's contact password rule: 7+ characters with a lower-case letter, a capital and a digit."""
    if len(password) > 1000:
        return "The {field} may not be greater than 1000 characters."
    if len(password) < 7:
        return "The {field} must be at least 7 characters."
    if not (re.search(r"[a-z]", password) and re.search(r"[A-Z]", password) and re.search(r"[0-9]", password)):
        return "The {field} format is invalid."
    return ""


def clean_contacts(party: str, raw: Any, wrap_single: bool = False) -> Cleaned:
    """The `contacts` of a body, validated like the contact entity -> [(id or None, columns, new password)].
    With `wrap_single` a single contact object (not a list) is a list of one (upstream's vendors)."""
    if raw is None:
        return []
    if wrap_single and isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise invalid("contacts", "The contacts must be a list.")
    if len(raw) > MAX_CONTACTS:
        raise invalid("contacts", f"The contacts may not have more than {MAX_CONTACTS} items.")
    contact = REGISTRY[f"{party}_contact"]
    cleaned: Cleaned = []
    errors: dict[str, list[str]] = {}
    seen_emails: set[str] = set()
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"contacts.{n}"] = ["The contact must be an object."]
            continue
        try:
            values = clean(contact, item, creating=False, prefix=f"contacts.{n}.")
        except Invalid as exc:
            errors.update(exc.errors)
            continue
        if values.get("email") and not EMAIL.match(values["email"]):
            errors[f"contacts.{n}.email"] = ["The email must be a valid email address."]
        contact_id = ids.decode_or_none(item["id"]) if isinstance(item.get("id"), str) and item["id"] else None
        password = item.get("password")
        password = password if isinstance(password, str) and password and password != MASKED_PASSWORD else None
        if password is not None:
            problem = password_problem(password)
            if problem:
                errors[f"contacts.{n}.password"] = [problem.format(field=f"contacts.{n}.password")]
        email = values.get("email", "").lower()
        if email:
            if email in seen_emails:
                errors[f"contacts.{n}.email"] = [f"The contacts.{n}.email field has a duplicate value."]
            seen_emails.add(email)
        cleaned.append((contact_id, values, password))
    if errors:
        raise Invalid(errors)
    return cleaned


class ContactSync:
    """Keeps one party's contacts in step with a body. `party` is "client" or "vendor" (tables
    {party}_contacts, column {party}_id). `ensure_recipient`: the primary contact receives e-mail when no
    contact does (clients: their documents must reach someone; a vendor contact's send_email stays as sent).
    `wrap_single`: a single contact object is taken as a list of one."""

    def __init__(self, db: Db, party: str, ensure_recipient: bool, wrap_single: bool = False) -> None:
        self.db = db
        self.wrap_single = wrap_single
        self.party = party
        self.table = f"{party}_contacts"
        self.fk = f"{party}_id"
        self.ensure_recipient = ensure_recipient

    async def sync(self, who: Principal, parent_id: int, raw: Any) -> None:
        """Contacts sent replace the stored ones; at least one always remains; exactly one is primary."""
        contacts = clean_contacts(self.party, raw, self.wrap_single)
        existing = {
            r["id"]
            for r in await self.db.fetch(
                f"SELECT id FROM {self.table} WHERE company_id = $1 AND {self.fk} = $2 AND deleted_at IS NULL",
                who.company_id,
                parent_id,
            )
        }
        kept: list[int] = []
        for contact_id, values, password in contacts:
            if password is not None:
                values["password_hash"] = hash_password(password)
            if contact_id is not None and contact_id in existing and contact_id not in kept:
                if values:
                    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=4))
                    await self.db.execute(
                        f"UPDATE {self.table} SET {sets}, updated_at = now() WHERE "
                        f"company_id = $1 AND {self.fk} = $2 AND id = $3",
                        who.company_id,
                        parent_id,
                        contact_id,
                        *values.values(),
                    )
                kept.append(contact_id)
            else:
                kept.append(await self._insert(who, parent_id, values))
        if not kept:
            kept.append(await self._insert(who, parent_id, {}))
        await self.db.execute(
            f"UPDATE {self.table} SET is_deleted = true, deleted_at = now(), updated_at = now() "
            f"WHERE company_id = $1 AND {self.fk} = $2 AND deleted_at IS NULL AND NOT (id = ANY($3::bigint[]))",
            who.company_id,
            parent_id,
            kept,
        )
        await self._normalise_primary(who, parent_id)

    async def _insert(self, who: Principal, parent_id: int, values: Row) -> int:
        values = {
            **values,
            "company_id": who.company_id,
            self.fk: parent_id,
            "user_id": who.user_id,
            "contact_key": random_key(32),
        }
        contact_id: int = await self.db.fetchval(
            f"INSERT INTO {self.table} ({', '.join(values)}) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(values) + 1))}) RETURNING id",
            *values.values(),
        )
        return contact_id

    async def _normalise_primary(self, who: Principal, parent_id: int) -> None:
        """The first contact by (is_primary desc, id) is the only primary (and, with ensure_recipient,
        receives e-mail when no one does)."""
        recipient = "true" if self.ensure_recipient else "false"
        await self.db.execute(
            f"""
            WITH ranked AS (
                SELECT id, row_number() OVER (ORDER BY is_primary DESC, id) AS n,
                       bool_or(send_email) OVER () OR NOT {recipient} AS anyone
                FROM {self.table} WHERE company_id = $1 AND {self.fk} = $2 AND deleted_at IS NULL)
            UPDATE {self.table} c SET is_primary = (r.n = 1),
                   send_email = CASE WHEN r.n = 1 AND NOT r.anyone THEN true ELSE c.send_email END
            FROM ranked r WHERE c.company_id = $1 AND c.id = r.id
              AND (c.is_primary <> (r.n = 1) OR (r.n = 1 AND NOT r.anyone))
            """,
            who.company_id,
            parent_id,
        )
