"""`POST /clients/{id}/{other}/merge`: every row of the other client moves to the client `{id}` (its
documents, payments, expenses, contacts, gateway tokens, ledger rows, activities, documents attached to it,
rows that only point at it), then the other client is removed. An admin confirms with the password.

Money: the survivor's balance, paid_to_date and credit_balance become the sums of both clients' (each is a
sum over the client's documents, so the sum is the survivor's over all of them, exactly), payment_balance is
recomputed from the payments, and a ledger row records the other's balance arriving, so the survivor's last
ledger row carries its new balance. Contacts: the survivor keeps its primary contact; a moved contact
without an e-mail, or with the e-mail of one of the survivor's contacts, is archived and deleted, as
upstream de-duplicates them. Both client rows are locked, in id order, before anything moves."""

from __future__ import annotations

from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...errors import BadRequest
from .. import money
from ..accounts import passwords
from .client_rows import LINKED, OWNED
from .purge import require_admin

UPDATE_CLIENT = 61  # the activity type the merge's ledger row names, as upstream's


async def merge(db: Db, who: Principal, survivor: int, other_hid: Any) -> None:
    """The caller has found the survivor (404 before this). The other client must be one of the company's,
    archived or deleted ones included (else upstream's 400 "Client not found")."""
    require_admin(who)
    await passwords.confirm(db, who)
    company = who.company_id
    other = ids.decode_or_none(other_hid) if isinstance(other_hid, str) else None
    found = (
        None
        if other is None
        else await db.fetchval("SELECT id FROM clients WHERE company_id = $1 AND id = $2", company, other)
    )
    if found is None or other is None:
        raise BadRequest("Client not found")
    if other == survivor:
        raise BadRequest("Attempting to merge the same client is not possible.")
    async with db.transaction():
        locked = await money.lock_clients(db, company, [survivor, other])
        gone = locked[other]
        await _move_contacts(db, company, survivor, other)
        for table in (*OWNED, *LINKED):
            if table != "client_contacts":
                await db.execute(
                    f"UPDATE {table} SET client_id = $3 WHERE company_id = $1 AND client_id = $2",
                    company,
                    other,
                    survivor,
                )
        await db.execute(
            "UPDATE documents SET documentable_id = $3, updated_at = now() WHERE company_id = $1 "
            "AND documentable_type = 'clients' AND documentable_id = $2",
            company,
            other,
            survivor,
        )
        await db.execute(
            "UPDATE clients SET balance = balance + $3, paid_to_date = paid_to_date + $4, "
            "credit_balance = credit_balance + $5, updated_at = now() WHERE company_id = $1 AND id = $2",
            company,
            survivor,
            gone["balance"],
            gone["paid_to_date"],
            gone["credit_balance"],
        )
        await money.refresh_payment_balance(db, company, survivor)
        name = gone["name"] or gone["number"] or ids.encode(other)
        note = f"Balance update after merging {name}"
        await money.ledger(db, who, survivor, "clients", survivor, gone["balance"], note, UPDATE_CLIENT)
        await db.execute("DELETE FROM clients WHERE company_id = $1 AND id = $2", company, other)


async def _move_contacts(db: Db, company: int, survivor: int, other: int) -> None:
    await db.execute(
        "UPDATE client_contacts m SET client_id = $3, is_primary = false, updated_at = now(), "
        "deleted_at = CASE WHEN dup THEN COALESCE(m.deleted_at, now()) ELSE m.deleted_at END, "
        "is_deleted = m.is_deleted OR dup "
        "FROM (SELECT c.id, (c.email = '' OR EXISTS (SELECT 1 FROM client_contacts s WHERE s.company_id = $1 "
        "AND s.client_id = $3 AND s.deleted_at IS NULL AND lower(s.email) = lower(c.email))) AS dup "
        "FROM client_contacts c WHERE c.company_id = $1 AND c.client_id = $2) d "
        "WHERE m.company_id = $1 AND m.id = d.id",
        company,
        other,
        survivor,
    )
