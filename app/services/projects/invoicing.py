"""Tasks -> one draft invoice (the `invoice` bulk action of tasks and of projects).

The lines are built as the web app builds them (useInvoiceTask): one line per task, type_id 2, task_id,
cost = the task's rate, quantity = the hours of its billable closed entries (4 places), notes = the
project's name when the company's invoice_task_project is on, the description, then one detail per
entry following invoice_task_datelog / invoice_task_timelog / invoice_task_hours /
invoice_task_item_description. The invoice itself is made by the invoice service (numbering, totals,
invitations) and links every billed task to it from the lines' task_id, as for any saved invoice.

Lock order: the client row first (as every invoice write takes it), then the projects, then the tasks, all
in id order. Concurrent calls for the same tasks therefore queue on the client, and every call after the
first finds the tasks invoiced: exactly one invoice, the others a 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ... import ids, reference
from ...auth import Principal
from ...db import Db
from ...entities import REGISTRY
from ...errors import invalid
from .. import money
from ..accounts.companies import ATTRIBUTES
from ..billing import context
from ..billing.invoices import InvoiceService
from . import time_log

NOTHING_TO_INVOICE = "There are no uninvoiced tasks to invoice."
ONE_CLIENT = "The tasks to invoice must all belong to one client."
NO_CLIENT = "A task needs a client to be invoiced."
TASK_ROWS = (
    "SELECT t.id, t.client_id, t.project_id, t.invoice_id, t.is_deleted, t.rate, t.description, t.time_log, "
    "COALESCE(p.name, '') AS project_name FROM tasks t LEFT JOIN projects p ON p.company_id = t.company_id "
    "AND p.id = t.project_id WHERE t.company_id = $1 AND {where} ORDER BY t.id FOR UPDATE OF t"
)
# PHP date() letters of the statics' date formats -> strftime
PHP_DATE = {
    "d": "%d",
    "j": "%-d",
    "D": "%a",
    "l": "%A",
    "m": "%m",
    "n": "%-m",
    "M": "%b",
    "F": "%B",
    "Y": "%Y",
    "y": "%y",
}


def _php_format(moment: datetime, pattern: str) -> str:
    return "".join(moment.strftime(PHP_DATE[ch]) if ch in PHP_DATE else ch for ch in pattern)


class Details:
    """How the company writes an entry's details on an invoice line."""

    def __init__(self, attributes: dict[str, Any], setting: Any) -> None:
        flags = {**ATTRIBUTES, **attributes}
        self.project = flags.get("invoice_task_project") is True
        self.date = flags.get("invoice_task_datelog", True) is True
        self.time = flags.get("invoice_task_timelog", True) is True
        self.hours = flags.get("invoice_task_hours") is True
        self.item_description = flags.get("invoice_task_item_description", True) is True
        self.allow_billable = context.on(setting("allow_billable_task_items", True))
        zone = reference.TIMEZONES.get(str(setting("timezone_id", "1")), {}).get("name", "UTC")
        try:
            self.zone: Any = ZoneInfo(zone)
        except (KeyError, ValueError):
            self.zone = UTC
        self.date_format = reference.DATE_FORMATS.get(str(setting("date_format_id", "1")), {}).get("format", "Y-m-d")
        self.time_format = "%H:%M:%S" if context.on(setting("military_time", False)) else "%I:%M:%S %p"

    def entry(self, entry: time_log.Entry, hours: float) -> str:
        start = datetime.fromtimestamp(entry[0], self.zone)
        end = datetime.fromtimestamp(entry[1], self.zone)
        parts = []
        boxed = self.date or self.time
        if boxed:
            parts.append('<div class="task-time-details">')
        if self.date:
            parts.append(_php_format(start, self.date_format))
        if self.time:
            parts += [start.strftime(self.time_format) + " - ", end.strftime(self.time_format)]
        if self.hours:
            parts.append(f"• {hours:.4f} hours")
        if self.item_description:
            parts.append(entry[2])
        if boxed:
            parts.append("</div>\n")
        return " ".join(parts)

    def line(self, task: dict[str, Any]) -> dict[str, Any]:
        billed = time_log.billable_hours(time_log.loads(task["time_log"]), self.allow_billable)
        quantity = sum((Decimal(str(h)) for _, h in billed), Decimal(0)).quantize(Decimal("0.0001"))
        title = f"## {task['project_name']}\n" if self.project and task["project_name"] else ""
        notes = title + task["description"]
        if billed:
            notes += " " + " ".join(self.entry(entry, hours) for entry, hours in billed)
        return {
            "type_id": "2",
            "task_id": ids.encode(task["id"]),
            "cost": Decimal(task["rate"]),
            "quantity": quantity,
            "notes": notes,
        }


async def _client_of(db: Db, who: Principal, table: str, entity_ids: Sequence[int]) -> int:
    clients = await db.fetch(
        f"SELECT DISTINCT client_id FROM {table} WHERE company_id = $1 AND id = ANY($2::bigint[])",
        who.company_id,
        list(entity_ids),
    )
    found = {r["client_id"] for r in clients}
    if None in found:
        raise invalid("ids", NO_CLIENT)
    if len(found) != 1:
        raise invalid("ids", ONE_CLIENT)
    return int(found.pop())


async def from_tasks(db: Db, who: Principal, task_ids: Sequence[int]) -> int:
    """One draft invoice from the chosen tasks (all of one client); invoiced and deleted ones are skipped."""
    async with db.transaction():
        client_id = await _client_of(db, who, "tasks", task_ids)
        await money.lock_client(db, who.company_id, client_id)
        rows = await db.fetch(TASK_ROWS.format(where="t.id = ANY($2::bigint[])"), who.company_id, list(task_ids))
        if any(r["client_id"] != client_id for r in rows):  # moved to another client meanwhile
            raise invalid("ids", ONE_CLIENT)
        return await _invoice(db, who, client_id, [dict(r) for r in rows], None)


async def from_projects(db: Db, who: Principal, project_ids: Sequence[int]) -> int:
    """One draft invoice from the projects' (all of one client) uninvoiced, non-deleted tasks."""
    async with db.transaction():
        client_id = await _client_of(db, who, "projects", project_ids)
        await money.lock_client(db, who.company_id, client_id)
        await db.execute(
            "SELECT 1 FROM projects WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
            who.company_id,
            list(project_ids),
        )
        rows = await db.fetch(
            TASK_ROWS.format(where="t.project_id = ANY($2::bigint[])"), who.company_id, list(project_ids)
        )
        return await _invoice(db, who, client_id, [dict(r) for r in rows], min(project_ids))


async def _invoice(db: Db, who: Principal, client_id: int, rows: list[dict[str, Any]], project_id: int | None) -> int:
    tasks = [r for r in rows if r["invoice_id"] is None and not r["is_deleted"] and r["client_id"] == client_id]
    if not tasks:
        raise invalid("ids", NOTHING_TO_INVOICE)
    ctx = await context.load(db, who.company_id, client_id)
    details = Details(ctx["attributes"], ctx["setting"])
    project_id = project_id or tasks[0]["project_id"]
    body: dict[str, Any] = {
        "client_id": ids.encode(client_id),
        "line_items": [details.line(t) for t in tasks],
    }
    if project_id is not None:
        body["project_id"] = ids.encode(project_id)
    enabled = int({**ATTRIBUTES, **ctx["attributes"]}.get("enabled_tax_rates") or 0)
    for i in range(1, min(enabled, 3) + 1):  # the company's default invoice taxes, as the web app applies them
        body[f"tax_name{i}"] = str(ctx["company"].get(f"tax_name{i}") or "")
        body[f"tax_rate{i}"] = ctx["company"].get(f"tax_rate{i}") or 0
    # the invoice service links every task its lines name (billing.task_links), in this transaction
    made = await InvoiceService(REGISTRY["invoice"], db).create(who, body)
    return int(made["id"])
