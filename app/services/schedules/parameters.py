"""The `parameters` of a task scheduler, checked per template as upstream's StoreSchedulerRequest does (an
empty string is an unset value: the web app sends every key of its form):
`clients` (hashed ids, every one a client of the company; [] when absent), `date_range` and its custom
`start_date`/`end_date`, `entity`/`entity_id` (a record of the company: required for `email_record`),
`report_name` (required for `email_report`), `status` (reduced to the known status words, task status ids
kept for the task report). Other keys are kept as sent (they are safe JSON already)."""

from __future__ import annotations

from datetime import date as Date
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...errors import Invalid

DATE_RANGES = (
    "last7_days",
    "last30_days",
    "last365_days",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "all_time",
    "custom",
    "all",
)
RECORD_TABLES = {"invoice": "invoices", "credit": "credits", "quote": "quotes", "purchase_order": "purchase_orders"}
REPORTS = frozenset(
    """vendor purchase_order_item purchase_order ar_detailed ar_summary client_balance tax_summary profitloss
    client_sales user_sales product_sales activity activities client clients client_contact client_contacts credit
    credits document documents expense expenses invoice invoices invoice_item invoice_items quote quotes quote_item
    quote_items recurring_invoice recurring_invoices payment payments product products task tasks""".split()  # noqa: SIM905
)
STATUSES = frozenset(
    """all draft paid unpaid overdue pending invoiced logged partial applied active paused completed approved
    expired upcoming converted uninvoiced""".split()  # noqa: SIM905
)


def _date(value: Any) -> Date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return Date.fromisoformat(value)
    except ValueError:
        return None


async def clean_parameters(db: Db, who: Principal, template: str, raw: dict[str, Any]) -> dict[str, Any]:
    """-> the parameters to store, or Invalid naming every bad key (`parameters.<key>`)."""
    out = dict(raw)
    errors: dict[str, list[str]] = {}

    def bad(key: str, text: str) -> None:
        errors.setdefault(f"parameters.{key}", []).append(text)

    clients = out.setdefault("clients", [])
    if not isinstance(clients, list) or not all(isinstance(c, str) for c in clients):
        bad("clients", "The parameters.clients must be an array of client ids.")
    elif clients:
        decoded = {ids.decode_or_none(c) for c in clients}
        found = await db.fetchval(
            "SELECT count(*) FROM clients WHERE company_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted",
            who.company_id,
            [d for d in decoded if d is not None],
        )
        if None in decoded or found != len(decoded):
            bad("clients", "The selected parameters.clients is invalid.")
        out["clients"] = list(dict.fromkeys(clients))
    date_range = out.get("date_range")
    if date_range not in (None, "") and date_range not in DATE_RANGES:
        bad("date_range", "The selected parameters.date range is invalid.")
    start, end = _date(out.get("start_date")), _date(out.get("end_date"))
    for key, parsed in (("start_date", start), ("end_date", end)):
        if out.get(key) not in (None, "") and parsed is None:
            bad(key, f"The parameters.{key.replace('_', ' ')} does not match the format Y-m-d.")
        elif parsed is None and date_range == "custom":
            bad(key, f"The parameters.{key.replace('_', ' ')} field is required when parameters.date range is custom.")
    if start and end and end < start:
        bad("end_date", "The parameters.end date must be a date after or equal to parameters.start date.")
    await _record(db, who, template, out, bad)
    report = out.get("report_name")
    if template == "email_report" and report in (None, ""):
        bad("report_name", "The parameters.report name field is required when template is email_report.")
    elif report not in (None, "") and report not in REPORTS:
        bad("report_name", "The selected parameters.report name is invalid.")
    status = out.get("status")
    if status is not None:
        if not isinstance(status, str):
            bad("status", "The parameters.status must be a string.")
        else:
            words = [s for s in status.split(",") if s]
            kept = [s for s in words if s in STATUSES or (report == "task" and s not in STATUSES)]
            out["status"] = ",".join(kept)
    if errors:
        raise Invalid(errors)
    return out


async def _record(db: Db, who: Principal, template: str, out: dict[str, Any], bad: Any) -> None:
    """`entity`/`entity_id`: the record an `email_record` scheduler sends, one of the company's."""
    entity, entity_id = out.get("entity"), out.get("entity_id")
    if entity not in (None, "") and entity not in RECORD_TABLES:
        bad("entity", "The selected parameters.entity is invalid.")
        return
    if template == "email_record":
        if entity in (None, ""):
            bad("entity", "The parameters.entity field is required when template is email_record.")
        if entity_id in (None, ""):
            bad("entity_id", "The parameters.entity id field is required when template is email_record.")
    if entity_id in (None, ""):
        return
    if not isinstance(entity_id, str):
        bad("entity_id", "The parameters.entity id must be a string.")
        return
    decoded = ids.decode_or_none(entity_id)
    table = RECORD_TABLES.get(str(entity))
    found = (
        await db.fetchval(
            f"SELECT 1 FROM {table} WHERE company_id = $1 AND id = $2 AND NOT is_deleted", who.company_id, decoded
        )
        if table and decoded is not None
        else None
    )
    if found is None:
        bad("entity_id", "The selected parameters.entity id is invalid.")
