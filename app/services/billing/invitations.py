"""Invitations of a billing document (invoices, quotes, credits and recurring invoices share the shape): one
per contact that receives it, with a 32-character portal key."""

from __future__ import annotations

from typing import Any

from ... import ids
from ...auth import Principal, random_key
from ...db import Db
from ...errors import Invalid

MAX_INVITATIONS = 500


async def sync(db: Db, who: Principal, kind: str, document_id: int, raw: Any, creating: bool) -> None:
    """`kind` is the document table's singular ("invoice" -> invoices, invoice_invitations.invoice_id).
    Invitations sent name their contacts (each must be a live contact of the document's client, else 422);
    the others are soft-deleted and new ones created. Without a list, a new document invites every contact
    that receives e-mail (else the primary one)."""
    contacts = await db.fetch(
        f"SELECT cc.id, cc.send_email FROM client_contacts cc JOIN {kind}s d ON d.company_id = cc.company_id "
        "AND d.id = $2 AND cc.client_id = d.client_id WHERE cc.company_id = $1 AND cc.deleted_at IS NULL "
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
            ref = item.get("client_contact_id") if isinstance(item, dict) else None
            contact = ids.decode_or_none(ref) if isinstance(ref, str) and ref else None
            if contact is None or contact not in known:
                errors[f"invitations.{n}.client_contact_id"] = ["The selected client contact id is invalid."]
            elif contact not in wanted:
                wanted.append(contact)
        if errors:
            raise Invalid(errors)
    else:
        wanted = [r["id"] for r in contacts if r["send_email"]] or [r["id"] for r in contacts[:1]]
    table, fk = f"{kind}_invitations", f"{kind}_id"
    existing = {
        r["client_contact_id"]
        for r in await db.fetch(
            f"SELECT client_contact_id FROM {table} WHERE company_id = $1 AND {fk} = $2 AND deleted_at IS NULL",
            who.company_id,
            document_id,
        )
    }
    if not creating:
        await db.execute(
            f"UPDATE {table} SET deleted_at = now(), updated_at = now() WHERE company_id = $1 AND {fk} = $2 "
            "AND deleted_at IS NULL AND NOT (client_contact_id = ANY($3::bigint[]))",
            who.company_id,
            document_id,
            wanted,
        )
    new = [c for c in wanted if c not in existing]
    if new:
        await db.executemany(
            f"INSERT INTO {table} (company_id, user_id, {fk}, client_contact_id, key) VALUES ($1, $2, $3, $4, $5)",
            [(who.company_id, who.user_id, document_id, c, random_key(32)) for c in new],
        )
