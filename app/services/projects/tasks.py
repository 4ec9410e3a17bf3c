"""Tasks: the time log validated (time_log.py), the timer's actions, the links, the rate's defaults.

- A project fixes the client: a task of a project belongs to the project's client (another client is 422).
- `rate` on create, when missing or not above 0: the project's task_rate, else the client's
  default_task_rate setting (client -> group -> company), else 0 (upstream Task::getRate).
- A new task without a status gets the company's first live status (the kanban's first column).
- The number comes from the company's task counter, unique in the company.
- Actions: `?start=true` / `?stop=true` on create and update, a body `action` of start / resume / stop
  (upstream's), and the bulk actions start, resume, stop; an invoiced task does not start (422 on a write,
  skipped in a bulk), a task locked by the company's invoice_task_lock once invoiced refuses edits (403).
- Bulk `invoice`: one draft invoice from the chosen tasks (app.services.projects.invoicing).
- `POST /tasks/sort`: the kanban's order (kanban.py).
Locks: a write takes the task's client row first (then the task, then the company counter), the order
invoicing takes them in, so a task saved while its client is invoiced waits instead of deadlocking.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from datetime import date as Date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ... import reference
from ...auth import Principal
from ...crud.validate import clean_decimal, clean_int
from ...entities import REGISTRY
from ...entities.spec import Entity
from ...errors import Forbidden, invalid
from .. import money
from ..billing import context
from ..billing.flags import NO_FLAGS, BillingFlags
from ..numbered import NumberedService
from . import invoicing, kanban, nulls, time_log

Row = dict[str, Any]
Setting = Callable[..., Any]
SIX = Decimal("0.000001")
LOCKED = "Insufficient permissions, or task may be locked"
INVOICED = "An invoiced task cannot be started."
TIMER = ("start", "resume", "stop")
NULLABLE = ("rate", "status_order")


def _decimal(value: Any) -> Decimal:
    try:
        return clean_decimal(value)
    except ValueError:
        return Decimal(0)


def start_date(entries: list[time_log.Entry], setting: Setting) -> Date | None:
    """The day the first entry starts, where the company is (upstream calculated_start_date)."""
    if not entries:
        return None
    zone = reference.TIMEZONES.get(str(setting("timezone_id", "1")), {}).get("name", "UTC")
    try:
        return datetime.fromtimestamp(entries[0][0], ZoneInfo(zone)).date()
    except (KeyError, ValueError):
        return datetime.fromtimestamp(entries[0][0], UTC).date()


class TaskService(NumberedService):
    flags_taken = ("start", "stop")
    flags: BillingFlags = NO_FLAGS  # the flags of the write in progress (a service instance serves one call)

    async def create(
        self, who: Principal, data: Mapping[str, Any], include: str = "", flags: BillingFlags = NO_FLAGS
    ) -> Row:
        self.flags = flags
        return await super().create(who, nulls.absent(data, NULLABLE), include)

    async def update(
        self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "", flags: BillingFlags = NO_FLAGS
    ) -> Row:
        self.flags = flags
        return await super().update(who, entity_id, nulls.absent(data, NULLABLE), include)

    async def _setting(self, who: Principal, client_id: int | None) -> Setting:
        """The settings the task is written under: its client's (client -> group -> company), else the company's."""
        if client_id is not None:
            setting: Setting = (await context.load(self.db, who.company_id, client_id))["setting"]
            return setting
        company = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id) or {}

        def company_setting(key: str, default: Any = "") -> Any:
            value = company.get(key)
            return default if value is None or value == "" else value

        return company_setting

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is not None and current["invoice_id"] is not None:
            attributes = await self.db.fetchval("SELECT attributes FROM companies WHERE id = $1", who.company_id)
            if (attributes or {}).get("invoice_task_lock") is True:
                raise Forbidden(LOCKED)
        project_rate = await self._links(who, values, current)
        client_id = values["client_id"] if "client_id" in values else (current or {}).get("client_id")
        if client_id is not None and (current is None or client_id != current["client_id"]):
            await money.lock_client(self.db, who.company_id, client_id)  # before the counter: the lock order
        setting = await self._setting(who, client_id)
        entries = self._entries(values, current, data, setting)
        if entries is not None:
            values["time_log"] = time_log.dumps(entries)
            values["calculated_start_date"] = start_date(entries, setting)
        if current is None:
            rate = values.get("rate")
            if rate is None or rate <= 0:
                rate = project_rate if project_rate > 0 else max(_decimal(setting("default_task_rate", 0)), Decimal(0))
            values["rate"] = Decimal(rate).quantize(SIX, rounding=ROUND_HALF_UP)
            if values.get("status_id") is None:
                values["status_id"] = await self.db.fetchval(
                    "SELECT id FROM task_statuses WHERE company_id = $1 AND deleted_at IS NULL "
                    "ORDER BY status_order, id LIMIT 1",
                    who.company_id,
                )
        elif values.get("rate") is not None:
            values["rate"] = Decimal(values["rate"]).quantize(SIX, rounding=ROUND_HALF_UP)
        await self.assign_number(who, values, current)

    async def _links(self, who: Principal, values: Row, current: Row | None) -> Decimal:
        """A project fixes the task's client; -> the project's task rate (0 without a project)."""
        project_id = values["project_id"] if "project_id" in values else (current or {}).get("project_id")
        if project_id is None:
            return Decimal(0)
        project = await self.db.fetchrow_one(
            "SELECT client_id, task_rate FROM projects WHERE company_id = $1 AND id = $2", who.company_id, project_id
        )
        if values.get("client_id") is not None and values["client_id"] != project["client_id"]:
            raise invalid("project_id", "The project does not belong to the selected client.")
        values["client_id"] = project["client_id"]
        return Decimal(project["task_rate"])

    def _entries(
        self, values: Row, current: Row | None, data: Mapping[str, Any], setting: Setting
    ) -> list[time_log.Entry] | None:
        """The log to store (None: unchanged): the body's, validated and rounded, then the timer's action."""
        given = "time_log" in data
        if given:
            try:
                nearest = clean_int(setting("task_round_to_nearest", 1))
            except ValueError:
                nearest = 1
            entries = time_log.rounded(
                time_log.parse(data["time_log"]), context.on(setting("task_round_up", True)), nearest
            )
        else:
            entries = time_log.loads(current["time_log"]) if current else []
        action = str(data.get("action") or "").strip().lower()
        before = entries
        if self.flags.start or action in ("start", "resume"):
            if current is not None and current["invoice_id"] is not None:
                raise invalid("time_log", INVOICED)
            entries = time_log.started(entries, int(time.time()))
        elif self.flags.stop or action == "stop":
            entries = time_log.stopped(entries, int(time.time()))
        return entries if given or current is None or entries != before else None

    async def lock_row(self, who: Principal, entity_id: int) -> None:
        """The task's client row, then the task: the order invoicing takes them in (client, tasks)."""
        client_id = await self.db.fetchval(
            "SELECT client_id FROM tasks WHERE company_id = $1 AND id = $2", who.company_id, entity_id
        )
        if client_id is not None:
            await money.lock_client(self.db, who.company_id, client_id)
        await super().lock_row(who, entity_id)

    # ---- bulk ----------------------------------------------------------------------------------
    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "invoice":
            await self.bulk_made(who, action, entity_ids, data)
        elif action in TIMER:
            await self._timer(who, action, entity_ids)
        else:
            await super().bulk(who, action, entity_ids, data)

    async def bulk_made(
        self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]
    ) -> tuple[Entity, int] | None:
        if action != "invoice":
            return await super().bulk_made(who, action, entity_ids, data)
        self._require(who, "edit")
        return REGISTRY["invoice"], await invoicing.from_tasks(self.db, who, entity_ids)

    async def _timer(self, who: Principal, action: str, entity_ids: Sequence[int]) -> None:
        """start / resume / stop each live task; invoiced ones do not start (upstream's start() skips them)."""
        self._require(who, "edit")
        now = int(time.time())
        async with self.db.transaction():
            rows = await self.db.fetch(
                "SELECT id, client_id, time_log, invoice_id, is_deleted FROM tasks WHERE company_id = $1 "
                "AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
                who.company_id,
                list(entity_ids),
            )
            for row in rows:
                if row["is_deleted"] or (action != "stop" and row["invoice_id"] is not None):
                    continue
                entries = time_log.loads(row["time_log"])
                changed = time_log.stopped(entries, now) if action == "stop" else time_log.started(entries, now)
                if changed == entries:
                    continue
                setting = await self._setting(who, row["client_id"])
                await self.db.execute(
                    "UPDATE tasks SET time_log = $3, calculated_start_date = $4, updated_at = now() "
                    "WHERE company_id = $1 AND id = $2",
                    who.company_id,
                    row["id"],
                    time_log.dumps(changed),
                    start_date(changed, setting),
                )
                await self.record(who, "update", row["id"])

    async def sort(self, who: Principal, body: Mapping[str, Any]) -> str:
        """The kanban's drag and drop: statuses and tasks in their new order."""
        self._require(who, "edit")
        await kanban.sort(self.db, who, body)
        return "Ok"
