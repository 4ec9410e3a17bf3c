"""Invoices: the billing engine (billing.base) with the invoice's own rules, its actions and its flags.

Saving a non-draft invoice recomputes the client balance with an "Update Adjustment" ledger row; drafts
never touch the client (mark_sent does). Cancelled and reversed invoices are final, the company's
lock_invoices setting locks sent or paid ones, and no total may fall below what has been paid (all 422).
Deleting frees the number ("0001" -> "0001_Deleted"), restoring takes it back.

Actions (`GET /invoices/{id}/{action}`, `POST /invoices/bulk`): mark_sent, mark_paid, cancel, reverse,
email / send_email, clone_to_invoice, clone_to_quote, archive, restore, delete. Flags of create/update:
mark_sent, paid (with reference), amount_paid. Every action runs in one transaction that locks the
invoices' clients (id order), then the invoices (id order); payment numbers come last.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date
from datetime import timedelta
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.service import Row
from ...entities import REGISTRY
from ...entities.billing import STATUS_CANCELLED, STATUS_DRAFT, STATUS_PAID, STATUS_REVERSED, STATUS_SENT
from ...entities.spec import Entity
from ...errors import invalid
from .. import activities, money
from ..entity import not_available
from . import invoice_payments, task_links
from . import invoice_transitions as transitions
from .base import EMAIL_SENT, BillingService
from .context import today

EMAIL_INVOICE = 6


class InvoiceService(BillingService):
    runs = "invoice"
    flags_taken = ("mark_sent", "paid", "reference", "amount_paid")

    # ---- the invoice's rules -----------------------------------------------------------------
    @staticmethod
    def _closed(state: dict[str, Any]) -> bool:
        """Cancelled and reversed invoices are final: upstream refuses their edits (status_id not_in:5)."""
        return state["status_id"] in (STATUS_CANCELLED, STATUS_REVERSED)

    @staticmethod
    def _locked(state: dict[str, Any], ctx: dict[str, Any]) -> bool:
        """The company's lock_invoices setting (upstream LockedInvoiceRule)."""
        mode: object = ctx["setting"]("lock_invoices", "off")  # a JSON setting: any type
        status: int = state["status_id"]
        if mode == "when_sent":
            return status == STATUS_SENT
        if mode == "when_paid":
            return status == STATUS_PAID
        if mode == "end_of_month" and status == STATUS_SENT and state["date"] is not None:
            start: Date = state["date"].replace(day=1)
            month_end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            return month_end <= today(ctx["setting"]("timezone_id", "1"))
        return False

    def numbered_on_save(self, ctx: dict[str, Any]) -> bool:
        applied: object = ctx["setting"]("counter_number_applied", "when_saved")  # a JSON setting: any type
        return applied != "when_sent"

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        """The client balance follows a saved non-draft invoice; then the billed tasks, invitations, the flags."""
        lines = data.get("line_items")
        if isinstance(lines, list) and (current is not None or task_links.task_ids(lines)):
            client_id = (
                current["client_id"]
                if current is not None
                else await self.db.fetchval(
                    "SELECT client_id FROM invoices WHERE company_id = $1 AND id = $2", who.company_id, entity_id
                )
            )
            await task_links.link(self.db, who, entity_id, client_id, lines)
        if current is not None and int(current["status_id"] or STATUS_DRAFT) != STATUS_DRAFT:
            number = await self.db.fetchval(
                "SELECT COALESCE(number, '') FROM invoices WHERE company_id = $1 AND id = $2", who.company_id, entity_id
            )
            await money.recompute_balance(self.db, who, current["client_id"], entity_id, number)
        if "line_items" in data:
            await self._link_expenses(who, entity_id, data["line_items"])
        await super().after_write(who, entity_id, current, data)
        flags = self.flags
        if not (flags.paid or flags.mark_sent) and flags.amount_paid is None:
            return
        inv, setting = await self._lock_one(who, entity_id)
        if flags.paid:
            await invoice_payments.mark_paid(self.db, who, inv, setting, flags.reference, strict=False)
        elif flags.amount_paid is not None:
            await invoice_payments.amount_paid(self.db, who, inv, setting, flags.amount_paid, flags.reference)
        elif flags.mark_sent:
            await transitions.mark_sent(self.db, who, inv, setting)

    async def _link_expenses(self, who: Principal, invoice_id: int, lines: Any) -> None:
        """Upstream's linkEntities: an expense named by a line's `expense_id` is invoiced by this invoice;
        here only the company's expenses of the invoice's client (or of none) not invoiced elsewhere."""
        found = [ids.decode_or_none(x.get("expense_id")) for x in lines if isinstance(x, dict)]
        named = sorted({i for i in found if i is not None})
        if not named:
            return
        await self.db.execute(
            "UPDATE expenses e SET invoice_id = i.id, updated_at = now() FROM invoices i WHERE i.company_id = $1 "
            "AND i.id = $2 AND e.company_id = $1 AND e.id = ANY($3::bigint[]) AND (e.client_id IS NULL OR "
            "e.client_id = i.client_id) AND (e.invoice_id IS NULL OR e.invoice_id = i.id)",
            who.company_id,
            invoice_id,
            named,
        )

    async def _lock_one(self, who: Principal, invoice_id: int) -> tuple[dict[str, Any], Any]:
        client_id = await self.db.fetchval(
            "SELECT client_id FROM invoices WHERE company_id = $1 AND id = $2", who.company_id, invoice_id
        )
        await money.lock_client(self.db, who.company_id, client_id)
        inv = (await money.lock_invoices(self.db, who.company_id, [invoice_id]))[invoice_id]
        return inv, (await self._context(who, client_id))["setting"]

    # ---- single and bulk actions -------------------------------------------------------------
    async def perform(self, who: Principal, invoice_id: int, action: str) -> tuple[Entity, int] | str:
        self.require_edit(who, await self.get(who, invoice_id))
        if action in ("archive", "restore", "delete"):
            await self.bulk(who, action, [invoice_id], {})
            return self.entity, invoice_id
        if action not in self.entity.bulk_actions or (action == "clone_to_quote" and "quote" not in REGISTRY):
            raise not_available(action)
        async with self.db.transaction():
            inv, setting = await self._lock_one(who, invoice_id)
            if action == "mark_paid":
                await invoice_payments.mark_paid(self.db, who, inv, setting, "", strict=True)
            elif action in ("clone_to_invoice", "clone_to_quote"):
                target = REGISTRY["invoice" if action == "clone_to_invoice" else "quote"]
                return target, await self.clone(who, inv, target)
            else:
                await self.one(who, action, inv, setting)
                if action in ("email", "send_email"):
                    return EMAIL_SENT
        return self.entity, invoice_id

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action not in self.entity.bulk_actions or action == "archive":
            return await super().bulk(who, action, entity_ids, data)
        if action == "clone_to_quote" and "quote" not in REGISTRY:
            raise invalid("action", "The selected action is invalid.")
        await self.require_edit_all(who, entity_ids)
        async with self.db.transaction():
            clients = await money.owners(self.db, who.company_id, "invoices", entity_ids)
            await money.lock_clients(self.db, who.company_id, clients)
            rows = await money.lock_invoices(self.db, who.company_id, entity_ids)
            if action in ("delete", "restore"):
                for inv in rows.values():
                    if action == "delete" and not inv["is_deleted"]:
                        await transitions.delete_effects(self.db, who, inv)
                        await self.db.execute(  # its expenses may be invoiced again, as upstream frees them
                            "UPDATE expenses SET invoice_id = NULL, updated_at = now() WHERE company_id = $1 "
                            "AND invoice_id = $2",
                            who.company_id,
                            inv["id"],
                        )
                    elif action == "restore" and inv["is_deleted"]:
                        restored = await transitions.restore_effects(self.db, who, inv)
                        if not restored:
                            entity_ids = [i for i in entity_ids if i != inv["id"]]  # stays deleted
                return await self._renumbering(who, action, entity_ids, data)
            for inv in rows.values():
                setting = (await self._context(who, inv["client_id"]))["setting"]
                if action == "mark_paid":
                    await invoice_payments.mark_paid(
                        self.db, who, inv, setting, str(data.get("reference") or ""), strict=False
                    )
                elif action in ("clone_to_invoice", "clone_to_quote"):
                    await self.clone(who, inv, REGISTRY["invoice" if action == "clone_to_invoice" else "quote"])
                else:
                    await self.one(who, action, inv, setting)

    async def _renumbering(
        self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]
    ) -> None:
        """Delete frees the number ("0001" -> "0001_Deleted"); restore takes it back, or a fresh one if reused."""
        async with self.db.transaction():
            rows = await self.db.fetch(
                "SELECT id, number FROM invoices WHERE company_id = $1 AND id = ANY($2::bigint[]) AND number IS NOT "
                "NULL AND is_deleted = $3 ORDER BY id FOR UPDATE",
                who.company_id,
                list(entity_ids),
                action == "restore",
            )
            await super().bulk(who, action, entity_ids, data)
            for row in rows:
                await transitions.renumber(self.db, who, row["id"], row["number"], action == "delete")

    async def one(self, who: Principal, action: str, inv: dict[str, Any], setting: Any) -> None:
        if action == "mark_sent":
            await transitions.mark_sent(self.db, who, inv, setting)
        elif action == "cancel":
            await transitions.cancel(self.db, who, inv)
        elif action == "reverse":
            await transitions.reverse(self.db, who, inv)
        elif action in ("email", "send_email"):
            await self.email(who, inv, setting)

    # ---- email and clones --------------------------------------------------------------------
    async def email(self, who: Principal, inv: dict[str, Any], setting: Any) -> None:
        """No mail leaves this server yet: a draft is marked sent, every live invitation gets sent_date = now,
        last_sent_date = today, and activity 6 is recorded per invited contact."""
        if inv["is_deleted"]:
            return
        await transitions.mark_sent(self.db, who, inv, setting)
        await self.db.execute(
            "UPDATE invoices SET last_sent_date = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            inv["id"],
            today(setting("timezone_id", "1")),
        )
        contacts = await self.db.fetch(
            "UPDATE invoice_invitations SET sent_date = now(), updated_at = now() WHERE company_id = $1 AND "
            "invoice_id = $2 AND deleted_at IS NULL RETURNING client_contact_id",
            who.company_id,
            inv["id"],
        )
        for c in sorted(contacts, key=lambda r: r["client_contact_id"]):
            await activities.record(
                self.db,
                who,
                EMAIL_INVOICE,
                invoice_id=inv["id"],
                client_id=inv["client_id"],
                contact_id=c["client_contact_id"],
            )

    async def clone(self, who: Principal, inv: dict[str, Any], target: Entity) -> int:
        """A new draft (invoice or quote) with the invoice's content and a fresh number, without flags."""
        row = await self.db.fetchrow_one(
            "SELECT *, line_items::text AS lines FROM invoices WHERE company_id = $1 AND id = $2",
            who.company_id,
            inv["id"],
        )
        body = await self.copy_body(who, dict(row))
        made = await self.sibling(target).create(who, body)
        return int(made["id"])
