"""Recurring expenses: the expense's rules on save (SpendingService: numbering with the recurring_expense
counter, currency defaults, links, exact money) plus the schedule of recurring invoices (services.schedule):
a frequency 1..12 required on create, remaining cycles -1 (endless) or more, a next send date (today where
the client is, else the company, when none is sent) whose UTC moment is its midnight there. Statuses: 1
draft (every new one), 2 active, 3 paused; `start` (-> active unless no cycles are left or deleted; restores
an archived one), `stop` and `pause` (-> paused from draft, active or pending), as bulk actions and as
`GET /recurring_expenses/{id}/{action}`. Making expenses from them belongs to the scheduler (not here).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...entities.recurring import DRAFT
from ...entities.spec import Entity
from ...errors import invalid
from .. import schedule
from ..billing import context
from ..entity import ActsLikeItsBulk
from .expenses import SpendingService


class RecurringExpenseService(ActsLikeItsBulk, SpendingService):
    single_actions = ("archive", "restore", "delete", "start", "stop")

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None and data.get("frequency_id") in (None, ""):
            raise invalid("frequency_id", "The frequency id field is required.")
        if data.get("frequency_id") not in (None, ""):
            values["frequency_id"] = schedule.frequency(data["frequency_id"])
        if values.get("remaining_cycles") is not None and values["remaining_cycles"] < -1:
            raise invalid("remaining_cycles", "The remaining cycles must be at least -1.")
        await super().before_write(who, values, current, data)
        timezone_id = self.setting("timezone_id", "1")
        send_on: Date | None = values.get("next_send_date_client")
        if current is None:
            values["status_id"] = DRAFT
            if send_on is None:
                send_on = values["next_send_date_client"] = context.today(timezone_id)
        if send_on is not None:
            values["next_send_date"] = schedule.send_moment(send_on, timezone_id)

    async def perform(self, who: Principal, entity_id: int, action: str) -> tuple[Entity, int]:
        return await super().perform(who, entity_id, "stop" if action == "pause" else action)

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "start":
            await schedule.start(self.db, who, self.entity.table, entity_ids)
        elif action == "stop":
            await schedule.stop(self.db, who, self.entity.table, entity_ids)
        else:
            await super().bulk_other(who, action, entity_ids, data)
