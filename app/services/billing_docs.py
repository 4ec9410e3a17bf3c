"""What quotes and credits share with invoices: InvoiceService's rules (defaults, calc, dates, products) run on
another table. DocumentService subclasses InvoiceService and overrides only the pieces that name the invoices
table, the invoice counter, invoice settings or invoice-only rules (lock_invoices, the client balance, the
"_Deleted" renumbering), so the engine and validation are written once. Also the helpers the quote and credit
actions share: locking a document, stamping invitations, building a copy's body, numbering on send."""
from __future__ import annotations

import contextvars
import json
from decimal import Decimal
from typing import Any, Mapping, Sequence

from .. import ids
from ..auth import Principal
from ..crud.service import CrudService, Row
from ..errors import invalid
from . import activities, invitations, money, numbering
from .invoices import TAKEN, InvoiceService, on

COPIED_TEXT = ("po_number", "public_notes", "private_notes", "tax_name1", "tax_name2", "tax_name3",
               "custom_value1", "custom_value2", "custom_value3", "custom_value4")
COPIED_MONEY = ("discount", "partial", "exchange_rate", "tax_rate1", "tax_rate2", "tax_rate3",
                "custom_surcharge1", "custom_surcharge2", "custom_surcharge3", "custom_surcharge4")


# Query flags of the current create/update (`?mark_sent=true`, `?send_email=true`, `?approve=true`), set by
# rest/doc_actions.py around the generic handlers and read by the services' after_write (upstream
# triggeredActions), inside the same transaction.
FLAGS: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("document_flags", default={})
FLAG_NAMES = ("mark_sent", "send_email", "approve")


def flagged(name: str) -> bool:
    return FLAGS.get().get(name, "").strip().lower() in ("1", "true", "yes", "on")


class DocumentService(InvoiceService):
    """InvoiceService for `self.entity` (quote, credit): its table, counter, invitations and activities."""

    shared_setting = ""   # e.g. "shared_invoice_quote_counter": number from the invoice counter when on

    @staticmethod
    def _locked(state: dict[str, Any], ctx: dict[str, Any]) -> bool:
        return False   # lock_invoices is about invoices only

    @staticmethod
    def _closed(state: dict[str, Any]) -> bool:
        return False   # statuses 5 and 6 are the invoice's cancelled and reversed only

    def numbered_on_save(self, ctx: dict[str, Any]) -> bool:
        return True

    async def next_number(self, who: Principal, settings: Any = None) -> str:
        if settings is None:
            settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
        shared = self.shared_setting and on((settings or {}).get(self.shared_setting))
        return await numbering.next_number(self.db, who.company_id, self.kind, self.table,
                                           counter="invoice" if shared else "")

    async def _number(self, who: Principal, values: Row, current: Row | None, ctx: dict[str, Any]) -> None:
        if values.get("number"):
            me = current["id"] if current else 0
            taken = await self.db.fetchval(f"SELECT 1 FROM {self.table} WHERE company_id = $1 AND number = $2 "
                                           "AND id <> $3", who.company_id, values["number"], me)
            if taken:
                raise invalid("number", TAKEN)
        elif current is not None:
            values.pop("number", None)
        else:
            values["number"] = await self.next_number(who, ctx["company"]) if self.numbered_on_save(ctx) else None

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        raw = data.get("invitations")
        if current is None or (isinstance(raw, list) and raw):
            await invitations.sync(self.db, who, self.kind, entity_id, raw, current is None)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        await CrudService.bulk(self, who, action, entity_ids, data)   # no "_Deleted" renaming outside invoices

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            await self.log(who, type_id, entity_id)

    async def log(self, who: Principal, type_id: int, doc_id: int, **refs: Any) -> None:
        client_id = await self.db.fetchval(f"SELECT client_id FROM {self.table} WHERE company_id = $1 AND id = $2",
                                           who.company_id, doc_id)
        await activities.record(self.db, who, type_id, client_id=client_id, **{f"{self.kind}_id": doc_id}, **refs)

    # ---- helpers for the actions -------------------------------------------------------------
    async def lock(self, who: Principal, doc_id: int) -> dict[str, Any]:
        """Client row, then the document row, FOR UPDATE (the lock order of every money movement)."""
        client_id = await self.db.fetchval(f"SELECT client_id FROM {self.table} WHERE company_id = $1 AND id = $2",
                                           who.company_id, doc_id)
        await money.lock_client(self.db, who.company_id, client_id)
        row = await self.db.fetchrow(f"SELECT *, line_items::text AS lines FROM {self.table} WHERE company_id = $1 "
                                     "AND id = $2 FOR UPDATE", who.company_id, doc_id)
        return dict(row)

    async def setting(self, who: Principal, client_id: int, key: str, default: Any = "") -> Any:
        return (await self._context(who, client_id))["setting"](key, default)

    async def stamp_invitations(self, who: Principal, doc_id: int, always: bool = False) -> None:
        """sent_date = now on the live invitations (mark_sent: only where empty; email: every one)."""
        empty = "" if always else " AND sent_date IS NULL"
        await self.db.execute(f"UPDATE {self.kind}_invitations SET sent_date = now(), updated_at = now() "
                              f"WHERE company_id = $1 AND {self.kind}_id = $2 AND deleted_at IS NULL{empty}",
                              who.company_id, doc_id)

    async def invited_contacts(self, who: Principal, doc_id: int) -> list[int]:
        return [r["client_contact_id"] for r in await self.db.fetch(
            f"SELECT client_contact_id FROM {self.kind}_invitations WHERE company_id = $1 AND {self.kind}_id = $2 "
            "AND deleted_at IS NULL ORDER BY id", who.company_id, doc_id)]

    async def number_if_missing(self, who: Principal, row: Mapping[str, Any]) -> None:
        if not row["number"]:
            await self.db.execute(f"UPDATE {self.table} SET number = $3 WHERE company_id = $1 AND id = $2",
                                  who.company_id, row["id"], await self.next_number(who))

    async def copy_body(self, who: Principal, row: Mapping[str, Any], terms: bool = True,
                        footer: bool = True) -> dict[str, Any]:
        """A create body carrying a stored document's client, lines, taxes, notes and invitations."""
        body: dict[str, Any] = {k: row[k] or "" for k in COPIED_TEXT}
        body.update({k: Decimal(row[k]) for k in COPIED_MONEY})
        body.update(client_id=ids.encode(row["client_id"]), is_amount_discount=row["is_amount_discount"],
                    uses_inclusive_taxes=row["uses_inclusive_taxes"],
                    line_items=json.loads(row["lines"], parse_float=Decimal),
                    invitations=[{"client_contact_id": ids.encode(c)}
                                 for c in await self.invited_contacts(who, row["id"])])
        if row["assigned_user_id"] is not None:
            body["assigned_user_id"] = ids.encode(row["assigned_user_id"])
        if terms:
            body["terms"] = row["terms"]
        if footer:
            body["footer"] = row["footer"]
        return body
