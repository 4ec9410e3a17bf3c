"""Purchase orders: the billing engine (billing.base) with the vendor as the party. Same lines and totals as
an invoice; settings from the company, the vendor's currency; invitations to the vendor's contacts; numbers
from the purchase order counter. A purchase order never touches a client's balance, paid_to_date or the
company ledger, and locks no client row.

Statuses 1 draft, 2 sent, 3 accepted, 4 received, 5 cancelled. Actions (`GET /purchase_orders/{id}/{action}`
and `POST /purchase_orders/bulk`): mark_sent, accept, cancel, expense (convert to an expense, once),
add_to_inventory, email / send_email, archive, restore, delete. Flags of create/update: mark_sent,
send_email.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...entities.purchase_orders import PO_ACCEPTED, PO_CANCELLED, PO_DRAFT, PO_RECEIVED, PO_SENT
from ...entities.spec import Entity
from ...errors import BadRequest
from ..billing.base import EMAIL_SENT, BillingService
from ..billing.context import on
from ..entity import not_available
from . import receiving

EMAIL_PO, ACCEPT_PO = 135, 137
EXPENSED = "Already converted to an expense."


class PurchaseOrderService(BillingService):
    runs = "purchase_order"
    party = "vendor"
    lock_client_on_create = False  # moves no client money
    cancelled_by_status = False  # status_id is read-only; a cancelled order's own 5 comes back on save
    flags_taken = ("mark_sent", "send_email")

    def numbered_on_save(self, ctx: dict[str, Any]) -> bool:
        applied: object = ctx["setting"]("counter_number_applied", "when_saved")  # a JSON setting: any type
        return applied != "when_sent"

    def _totals(self, values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        super()._totals(values, m, lines, ctx)
        values.pop("status_id", None)  # the invoice's paid/partial re-derivation means nothing for an order

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        """Invitations, then the query flags of upstream's TriggeredActions: mark_sent, send_email."""
        await super().after_write(who, entity_id, current, data)
        if self.flags.send_email:
            await self.email(who, await self.lock(who, entity_id))
        elif self.flags.mark_sent:
            await self.mark_sent(who, await self.lock(who, entity_id))

    # ---- single and bulk actions -------------------------------------------------------------
    async def perform(self, who: Principal, po_id: int, action: str) -> tuple[Entity, int] | str:
        """One action on one order -> (entity, id) of the row to answer with, or a message."""
        self._require(who, "edit")
        if action in ("archive", "restore", "delete"):
            await self.bulk(who, action, [po_id], {})
            return self.entity, po_id
        if action not in self.entity.bulk_actions:
            raise not_available(action)
        async with self.db.transaction():
            row = await self.lock(who, po_id)
            if action == "expense" and row["expense_id"] is not None:
                raise BadRequest(EXPENSED)
            await self.one(who, action, row)
        return EMAIL_SENT if action in ("email", "send_email") else (self.entity, po_id)

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        """Bulk: each order in id order (the lock order); those an action does not apply to are skipped."""
        for po_id in sorted(entity_ids):
            await self.one(who, action, await self.lock(who, po_id))

    async def one(self, who: Principal, action: str, row: dict[str, Any]) -> None:
        if action == "mark_sent":
            await self.mark_sent(who, row)
        elif action == "accept":
            await self.accept(who, row)
        elif action == "cancel":
            await self.cancel(who, row)
        elif action == "expense":
            await self.expense(who, row)
        elif action == "add_to_inventory":
            await self.add_to_inventory(who, row)
        else:  # email, send_email
            await self.email(who, row)

    # ---- the lifecycle -----------------------------------------------------------------------
    async def _status(self, who: Principal, po_id: int, status: int) -> None:
        await self.db.execute(
            "UPDATE purchase_orders SET status_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            po_id,
            status,
        )

    async def mark_sent(self, who: Principal, row: dict[str, Any]) -> None:
        """Draft only: invitations stamped, status 2, the balance is the amount, a number if it had none."""
        if row["status_id"] != PO_DRAFT or row["is_deleted"]:
            return
        await self.stamp_invitations(who, row["id"])
        await self.db.execute(
            "UPDATE purchase_orders SET status_id = $3, balance = amount, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            PO_SENT,
        )
        await self.number_if_missing(who, row)
        row["status_id"] = PO_SENT

    async def accept(self, who: Principal, row: dict[str, Any]) -> None:
        """A draft or sent order is accepted (status 3, activity 137), as the vendor portal does."""
        if row["status_id"] not in (PO_DRAFT, PO_SENT) or row["is_deleted"]:
            return
        await self.mark_sent(who, row)
        await self._status(who, row["id"], PO_ACCEPTED)
        contacts = await self.invited_contacts(who, row["id"])
        await self.log(who, ACCEPT_PO, row["id"], vendor_contact_id=contacts[0] if contacts else None)

    async def cancel(self, who: Principal, row: dict[str, Any]) -> None:
        """Draft or sent -> cancelled (5); upstream leaves every amount as it was."""
        if row["status_id"] in (PO_DRAFT, PO_SENT) and not row["is_deleted"]:
            await self._status(who, row["id"], PO_CANCELLED)

    async def expense(self, who: Principal, row: dict[str, Any]) -> None:
        """Converted once (the caller refuses or skips an order that has its expense): a draft is marked
        sent first, as upstream does."""
        if row["expense_id"] is not None or row["is_deleted"]:
            return
        await self.mark_sent(who, row)
        fresh = await self.lock(who, row["id"])  # the number and status mark_sent gave it
        await receiving.convert_to_expense(
            self.db, who, fresh, await self.setting(who, row["vendor_id"], "timezone_id", "1")
        )

    async def add_to_inventory(self, who: Principal, row: dict[str, Any]) -> None:
        """Received once: stock is raised (with the company's track_inventory on), then status 4. A received
        or cancelled order is skipped."""
        if row["status_id"] >= PO_RECEIVED or row["is_deleted"]:
            return
        attributes = await self.db.fetchval("SELECT attributes FROM companies WHERE id = $1", who.company_id)
        if on((attributes or {}).get("track_inventory", False)):
            await receiving.add_to_inventory(self.db, who, row)
        await self._status(who, row["id"], PO_RECEIVED)

    async def email(self, who: Principal, row: dict[str, Any]) -> None:
        """No mail leaves this server yet: a draft is marked sent, every live invitation gets sent_date = now,
        last_sent_date = today, and activity 135 is recorded per invited contact."""
        if row["is_deleted"]:
            return
        await self.mark_sent(who, row)
        await self.stamp_emailed(who, row)
        for contact in await self.invited_contacts(who, row["id"]):
            await self.log(who, EMAIL_PO, row["id"], vendor_contact_id=contact)
