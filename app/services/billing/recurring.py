"""Recurring invoices: the billing engine (billing.base: totals, defaults, numbering and invitations as an
invoice's) plus the schedule: frequency 1..12 (required on create), next send date (a client-side date, today
or later on create, fired at midnight in the client's time zone), remaining cycles (-1 endless), auto-bill
and due-date-days. Balance is the amount. Statuses: 1 draft (every new one), 2 active, 3 paused, 4 completed
(saving with remaining_cycles 0; saving a completed one with cycles left makes it active again); bulk
`start` (-> active unless no cycles are left or deleted; restores an archived one) and `stop` (-> paused
from draft, active or pending).

Recurring quotes run on the same engine (RecurringQuoteService): numbered with the recurring quote counter,
the quote's terms and footer, invitations like a quote's.

Not implemented: generating invoices and quotes from them (upstream's scheduler; a `jobs` package will hold
it), `send_now`, `?start=true`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...entities.recurring import ACTIVE, AUTO_BILL, COMPLETED, DRAFT
from ...errors import invalid
from .. import schedule
from ..entity import ActsLikeItsBulk
from . import context
from .base import BillingService

DUE_DATE_WORDS = ("terms", "on_receipt")


def _due_date_days(value: str) -> str:
    value = value.strip()
    if value in ("", "0"):
        return "terms"
    if value in DUE_DATE_WORDS or (value.isdigit() and 1 <= int(value) <= 31):
        return value
    raise invalid("due_date_days", "The selected due date days is invalid.")


class RecurringInvoiceService(ActsLikeItsBulk, BillingService):
    single_actions = ("archive", "restore", "delete", "start", "stop")

    runs = "recurring_invoice"
    terms_setting = "invoice"  # recurring invoices take the invoice terms and footer
    lock_client_on_create = False  # a recurring invoice moves no money until it generates invoices

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None and data.get("frequency_id") in (None, ""):
            raise invalid("frequency_id", "The frequency id field is required.")
        if data.get("frequency_id") not in (None, ""):
            values["frequency_id"] = schedule.frequency(data["frequency_id"])
        if values.get("remaining_cycles") is not None and values["remaining_cycles"] < -1:
            raise invalid("remaining_cycles", "The remaining cycles must be at least -1.")
        if "due_date_days" in values:
            values["due_date_days"] = _due_date_days(values["due_date_days"])
        if values.get("auto_bill") == "":
            values.pop("auto_bill")
        await super().before_write(who, values, current, data)
        await self._schedule(who, values, current, self.ctx)

    async def _context(self, who: Principal, client_id: int) -> dict[str, Any]:
        self.ctx: dict[str, Any] = await super()._context(who, client_id)  # kept for _schedule
        return self.ctx

    async def _schedule(self, who: Principal, values: Row, current: Row | None, ctx: dict[str, Any]) -> None:
        setting = ctx["setting"]
        send_on: Date | None = values.get("next_send_date_client")
        if current is None:
            today = context.today(setting("timezone_id", "1"))
            if send_on is None:
                send_on = values["next_send_date_client"] = today
            elif send_on < today:
                raise invalid("next_send_date", "The next send date must be a date after yesterday.")
            if "auto_bill" not in values:
                chosen = str(setting("auto_bill", "off"))
                values["auto_bill"] = chosen if chosen in AUTO_BILL else "off"
            values["status_id"] = DRAFT
        if send_on is not None:
            values["next_send_date"] = schedule.send_moment(send_on, setting("timezone_id", "1"))
        if "auto_bill" in values:
            values["auto_bill_enabled"] = values["auto_bill"] in ("always", "optout")
        cycles = values.get("remaining_cycles")
        status = int(current["status_id"]) if current is not None else DRAFT
        if cycles == 0:
            values["status_id"] = COMPLETED
        elif cycles is not None and status == COMPLETED:
            values["status_id"] = ACTIVE

    def _totals(self, values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        """The invoice's calculation, without the invoice's status rules (2..4 mean other things here)."""
        super()._totals(values, {**m, "status_id": DRAFT}, lines, ctx)
        values["balance"] = values["amount"]

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "start":
            await schedule.start(self.db, who, self.table, entity_ids)
        elif action == "stop":
            await schedule.stop(self.db, who, self.table, entity_ids)
        else:
            await super().bulk_other(who, action, entity_ids, data)


class RecurringQuoteService(RecurringInvoiceService):
    """Upstream's recurring quote: the recurring invoice's schedule and actions over the quote's defaults."""

    runs = "recurring_quote"
    terms_setting = "quote"
