"""Quotes: the billing engine (billing.base) on the quotes table, plus the quote lifecycle.

Statuses 1 Draft, 2 Sent, 3 Approved, 4 Converted; a Sent quote whose due date ("valid until") has come is
emitted as -1 (expired). Quote totals never touch the client's balance or the ledger.
Actions (`GET /quotes/{id}/{action}` and `POST /quotes/bulk`): mark_sent, approve, convert /
convert_to_invoice, clone_to_invoice, clone_to_quote, email / send_email, archive, restore, delete.
Flags of create/update: approve, mark_sent, send_email.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...entities import REGISTRY
from ...entities.billing import QUOTE_APPROVED, QUOTE_CONVERTED, QUOTE_DRAFT, QUOTE_SENT
from ...entities.spec import Entity
from ...errors import BadRequest
from ..entity import not_available
from .base import EMAIL_SENT, BillingService
from .context import on

EMAIL_QUOTE, APPROVE_QUOTE, UPDATE_QUOTE = 20, 29, 19
UNAPPROVABLE = "Unable to approve this quote as it has expired."
CONVERTED = "This quote has already been converted."


class QuoteService(BillingService):
    runs = "quote"
    flags_taken = ("mark_sent", "send_email", "approve")
    shared_setting = "shared_invoice_quote_counter"

    def numbered_on_save(self, ctx: dict[str, Any]) -> bool:
        applied: object = ctx["setting"]("counter_number_applied", "when_saved")  # a JSON setting: any type
        return applied != "when_sent"

    def _totals(self, values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        super()._totals(values, m, lines, ctx)
        values.pop("status_id", None)  # the invoice's paid/partial re-derivation means nothing for a quote

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        """Invitations, then the query flags of upstream's triggeredActions: approve, mark_sent, send_email."""
        await super().after_write(who, entity_id, current, data)
        if self.flags.approve:
            row = await self.lock(who, entity_id)
            if await self.approvable(who, row):
                await self.approve(who, row)
        elif self.flags.mark_sent:
            await self.mark_sent(who, await self.lock(who, entity_id))
        if self.flags.send_email:
            await self.email(who, await self.lock(who, entity_id))

    # ---- single and bulk actions -------------------------------------------------------------
    async def perform(self, who: Principal, quote_id: int, action: str) -> tuple[Entity, int] | str:
        """One action on one quote -> (entity, id) of the row to answer with, or a message."""
        self._require(who, "edit")
        if action in ("archive", "restore", "delete"):
            await self.bulk(who, action, [quote_id], {})
            return self.entity, quote_id
        if action not in self.entity.bulk_actions:
            raise not_available(action)
        async with self.db.transaction():
            row = await self.lock(who, quote_id)
            if action == "mark_sent":
                await self.mark_sent(who, row)
            elif action == "approve":
                if not await self.approvable(who, row):
                    raise BadRequest(UNAPPROVABLE)
                await self.approve(who, row)
            elif action in ("convert", "convert_to_invoice"):
                if row["invoice_id"] is not None:
                    raise BadRequest(CONVERTED)
                return REGISTRY["invoice"], await self.convert(who, row)
            elif action == "clone_to_invoice":
                return REGISTRY["invoice"], await self.clone(who, row, REGISTRY["invoice"])
            elif action == "clone_to_quote":
                return self.entity, await self.clone(who, row, self.entity)
            else:  # email, send_email
                await self.email(who, row)
                return EMAIL_SENT
        return self.entity, quote_id

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        """Bulk: each quote in id order; those an action does not apply to are skipped, as upstream."""
        for quote_id in sorted(entity_ids):
            row = await self.lock(who, quote_id)
            if action == "mark_sent":
                await self.mark_sent(who, row)
            elif action == "approve":
                if await self.approvable(who, row):
                    await self.approve(who, row)
            elif action in ("convert", "convert_to_invoice"):
                if row["invoice_id"] is None and not row["is_deleted"] and not await self.expired(who, row):
                    await self.convert(who, row)
            elif action == "clone_to_invoice":
                await self.clone(who, row, REGISTRY["invoice"])
            elif action == "clone_to_quote":
                await self.clone(who, row, self.entity)
            else:
                await self.email(who, row)

    # ---- the lifecycle -----------------------------------------------------------------------
    async def expired(self, who: Principal, row: Mapping[str, Any]) -> bool:
        return bool(
            row["status_id"] == QUOTE_SENT
            and not row["is_deleted"]
            and row["due_date"] is not None
            and await self.db.fetchval("SELECT $1::date <= CURRENT_DATE", row["due_date"])
        )

    async def approvable(self, who: Principal, row: Mapping[str, Any]) -> bool:
        return (
            row["status_id"] in (QUOTE_DRAFT, QUOTE_SENT) and not row["is_deleted"] and not await self.expired(who, row)
        )

    async def mark_sent(self, who: Principal, row: Mapping[str, Any]) -> None:
        """Draft only: invitations stamped, due date from `valid_until` days when empty, status 2, number."""
        if row["status_id"] != QUOTE_DRAFT or row["is_deleted"]:
            return
        await self.stamp_invitations(who, row["id"])
        due = row["due_date"]
        if due is None and row["date"] is not None:
            days = str(await self.setting(who, row["client_id"], "valid_until", "")).strip()
            if days.isdigit() and int(days) < 100000:
                due = row["date"] + timedelta(days=int(days))
        await self.db.execute(
            f"UPDATE {self.table} SET status_id = $3, due_date = $4, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            QUOTE_SENT,
            due,
        )
        await self.number_if_missing(who, row)

    async def approve(self, who: Principal, row: Mapping[str, Any]) -> None:
        """Status 3 and activity 29; with the `auto_convert_quote` setting on, converted at once."""
        await self.number_if_missing(who, row)
        await self.db.execute(
            f"UPDATE {self.table} SET status_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            QUOTE_APPROVED,
        )
        await self.log(who, APPROVE_QUOTE, row["id"])
        if row["invoice_id"] is None and on(await self.setting(who, row["client_id"], "auto_convert_quote", True)):
            await self.convert(who, await self.lock(who, row["id"]))

    async def convert(self, who: Principal, row: Mapping[str, Any]) -> int:
        """A draft invoice with the quote's client, lines, taxes, notes and invitations (terms only with the
        company's use_quote_terms_on_conversion; footer and design from the invoice settings). Its number
        comes from the invoice counter, or is the quote's own with shared_invoice_quote_counter when free.
        The quote gets invoice_id and status 4 (and is archived with auto_archive_quote)."""
        ctx = await self._context(who, row["client_id"])
        body = await self.copy_body(
            who, row, terms=bool(ctx["attributes"].get("use_quote_terms_on_conversion")), footer=False
        )
        if row["number"] and on(ctx["setting"](self.shared_setting, False)):
            taken = await self.db.fetchval(
                "SELECT 1 FROM invoices WHERE company_id = $1 AND number = $2", who.company_id, row["number"]
            )
            if taken is None:
                body["number"] = row["number"]
        invoice = await self.sibling(REGISTRY["invoice"]).create(who, body)
        archive = on(ctx["setting"]("auto_archive_quote", False))
        await self.db.execute(
            f"UPDATE {self.table} SET invoice_id = $3, status_id = $4, updated_at = now()"
            + (", deleted_at = COALESCE(deleted_at, now())" if archive else "")
            + " WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            invoice["id"],
            QUOTE_CONVERTED,
        )
        await self.log(
            who,
            UPDATE_QUOTE,
            row["id"],
            invoice_id=invoice["id"],
            notes=f"Quote {row['number'] or ''} converted to invoice {invoice['number']}",
        )
        return int(invoice["id"])

    async def clone(self, who: Principal, row: Mapping[str, Any], target: Entity) -> int:
        """A new draft (invoice or quote) with the quote's content and a fresh number; the quote is unchanged."""
        body = await self.copy_body(who, row, terms=True, footer=target.name == "quote")
        made = await self.sibling(target).create(who, body)
        return int(made["id"])

    async def email(self, who: Principal, row: Mapping[str, Any]) -> None:
        """No mail leaves this server yet: a draft is marked sent, every live invitation gets sent_date = now,
        last_sent_date = today, and activity 20 is recorded per invited contact."""
        if row["is_deleted"]:
            return
        await self.mark_sent(who, row)
        await self.stamp_emailed(who, row)
        for contact in await self.invited_contacts(who, row["id"]):
            await self.log(who, EMAIL_QUOTE, row["id"], contact_id=contact)
