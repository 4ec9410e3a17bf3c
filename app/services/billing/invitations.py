"""Invitations of a billing document (invoices, quotes, credits and recurring invoices share the shape; a
purchase order's go to vendor contacts): one per contact that receives it, with a 32-character portal key."""

from __future__ import annotations

from typing import Any

from ... import ids
from ...auth import Principal, random_key
from ...db import Db
from ...errors import Invalid

MAX_INVITATIONS = 500


async def sync(
    db: Db, who: Principal, kind: str, document_id: int, raw: Any, creating: bool, party: str = "client"
) -> None:
    """`kind` is the document table's singular ("invoice" -> invoices, invoice_invitations.invoice_id);
    `party` names whose contacts are invited ("client" -> client_contacts, "vendor" -> vendor_contacts).
    Invitations sent name their contacts (each must be a live contact of the document's party, else 422);
    the others are soft-deleted and new ones created. Without a list, a new document invites every contact
    that receives e-mail (else the primary one)."""
    column = f"{party}_contact_id"
    contacts = await db.fetch(
        f"SELECT cc.id, cc.send_email FROM {party}_contacts cc JOIN {kind}s d ON d.company_id = cc.company_id "
        f"AND d.id = $2 AND cc.{party}_id = d.{party}_id WHERE cc.company_id = $1 AND cc.deleted_at IS NULL "
        "ORDER BY cc.is_primary DESC, cc.id",
        who.company_id,
        document_id,
    )
    known = {r["id"] for r in contacts}
    wanted: list[int] = []
    if isinstance(raw, list) and raw:
        if len(raw) > MAX_INVITATIONS:
            raise Invalid({"invitations": [f"The invitations may not have more than {MAX_INVITATIONS} items."]})
        errors: dict[str, list[str]] = {}
        for n, item in enumerate(raw):
            ref = item.get(column) if isinstance(item, dict) else None
            contact = ids.decode_or_none(ref) if isinstance(ref, str) and ref else None
            if contact is None or contact not in known:
                errors[f"invitations.{n}.{column}"] = [f"The selected {party} contact id is invalid."]
            elif contact not in wanted:
                wanted.append(contact)
        if errors:
            raise Invalid(errors)
    else:
        wanted = [r["id"] for r in contacts if r["send_email"]] or [r["id"] for r in contacts[:1]]
    table, fk = f"{kind}_invitations", f"{kind}_id"
    existing = {
        r["contact_id"]
        for r in await db.fetch(
            f"SELECT {column} AS contact_id FROM {table} WHERE company_id = $1 AND {fk} = $2 AND deleted_at IS NULL",
            who.company_id,
            document_id,
        )
    }
    if not creating:
        await db.execute(
            f"UPDATE {table} SET deleted_at = now(), updated_at = now() WHERE company_id = $1 AND {fk} = $2 "
            f"AND deleted_at IS NULL AND NOT ({column} = ANY($3::bigint[]))",
            who.company_id,
            document_id,
            wanted,
        )
    new = [c for c in wanted if c not in existing]
    if new:
        await db.executemany(
            f"INSERT INTO {table} (company_id, user_id, {fk}, {column}, key) VALUES ($1, $2, $3, $4, $5)",
            [(who.company_id, who.user_id, document_id, c, random_key(32)) for c in new],
        )
