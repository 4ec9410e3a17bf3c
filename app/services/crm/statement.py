"""`POST /client_statement`: what a client's statement shows, as data. Upstream answers with the rendered PDF;
rendering documents is not part of this server yet, so the answer is the statement's content itself, never a
file that only pretends to be one. E-mailing it needs a mail service this server does not have: asking for
that is a 400 that says so, and nothing is sent.

Content, as upstream's Statement service selects it: the client's live invoices dated within the period
(`status`: all = sent, partial and paid; paid; unpaid = sent and partial), ordered by due date then date;
with `show_payments_table` its completed, partially refunded and refunded payments of the period; with
`show_credits_table` its sent, partial and applied credits of the period not yet expired; with
`show_aging_table` the open balance of its sent and partial invoices by days past due (Current holds the
invoices not yet due or without a due date: upstream's own buckets leave those out)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date as Date
from decimal import Decimal
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.validate import clean_bool
from ...db import Db
from ...entities import REGISTRY
from ...errors import BadRequest, Invalid
from ..billing import context
from .clients import ClientService

INVOICE_STATUSES = {"all": [2, 3, 4], "paid": [4], "unpaid": [2, 3]}
AGING = (("0-30", 0, 30), ("30-60", 30, 60), ("60-90", 60, 90), ("90-120", 90, 120), ("120+", 120, None))
NO_MAIL = "Statements cannot be e-mailed: no mail service is configured on this server."
FLAGS = ("show_payments_table", "show_credits_table", "show_aging_table")


def _money(value: Any) -> float:
    return float(Decimal(value))


def _day(value: Date | None) -> str:
    return value.isoformat() if value else ""


def _period(data: Mapping[str, Any], errors: dict[str, list[str]]) -> tuple[Date, Date]:
    out = []
    for key in ("start_date", "end_date"):
        raw = data.get(key)
        label = key.replace("_", " ")
        try:
            parsed = Date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
        except ValueError:
            parsed = None
        if raw in (None, ""):
            errors[key] = [f"The {label} field is required."]
        elif parsed is None:
            errors[key] = [f"The {label} does not match the format Y-m-d."]
        out.append(parsed or Date.min)
    return out[0], out[1]


async def statement(db: Db, who: Principal, data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    raw_client = data.get("client_id")
    client_id = ids.decode_or_none(raw_client) if isinstance(raw_client, str) else None
    if raw_client in (None, ""):
        errors["client_id"] = ["The client id field is required."]
    elif client_id is None or await ClientService(REGISTRY["client"], db).find(who, client_id) is None:
        errors["client_id"] = ["The selected client id is invalid."]
    start, end = _period(data, errors)
    status = data.get("status") or "all"
    if status not in INVOICE_STATUSES:
        errors["status"] = ["The selected status is invalid."]
    flags = {}
    for key in (*FLAGS, "send_email"):
        try:
            flags[key] = clean_bool(data.get(key, False))
        except ValueError:
            errors[key] = [f"The {key.replace('_', ' ')} field must be true or false."]
    if errors:
        raise Invalid(errors)
    assert client_id is not None
    if flags["send_email"]:
        raise BadRequest(NO_MAIL)
    company = who.company_id
    invoices = await db.fetch(
        "SELECT id, number, date, due_date, amount, balance, paid_to_date, status_id FROM invoices "
        "WHERE company_id = $1 AND client_id = $2 AND NOT is_deleted AND status_id = ANY($3::int[]) "
        "AND date BETWEEN $4 AND $5 ORDER BY due_date NULLS FIRST, date, id",
        company,
        client_id,
        INVOICE_STATUSES[status],
        start,
        end,
    )
    out: dict[str, Any] = {
        "client_id": raw_client,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "status": status,
        "invoices": [_invoice(r) for r in invoices],
    }
    if flags["show_payments_table"]:
        out["payments"] = await _payments(db, company, client_id, start, end)
    if flags["show_credits_table"]:
        out["credits"] = await _credits(db, who, client_id, start, end)
    if flags["show_aging_table"]:
        out["aging"] = await _aging(db, who, client_id)
    return out


def _invoice(r: Any) -> dict[str, Any]:
    return {
        "id": ids.encode(r["id"]),
        "number": r["number"] or "",
        "date": _day(r["date"]),
        "due_date": _day(r["due_date"]),
        "amount": _money(r["amount"]),
        "paid_to_date": _money(r["paid_to_date"]),
        "balance": _money(r["balance"]),
        "status_id": str(r["status_id"]),
    }


async def _payments(db: Db, company: int, client_id: int, start: Date, end: Date) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT id, number, date, amount, applied, refunded, type_id, transaction_reference, status_id "
        "FROM payments WHERE company_id = $1 AND client_id = $2 AND NOT is_deleted AND status_id IN (4, 5, 6) "
        "AND date BETWEEN $3 AND $4 ORDER BY date, id",
        company,
        client_id,
        start,
        end,
    )
    return [
        {
            "id": ids.encode(r["id"]),
            "number": r["number"] or "",
            "date": _day(r["date"]),
            "amount": _money(r["amount"]),
            "applied": _money(r["applied"]),
            "refunded": _money(r["refunded"]),
            "type_id": "" if r["type_id"] is None else str(r["type_id"]),
            "transaction_reference": r["transaction_reference"] or "",
            "status_id": str(r["status_id"]),
        }
        for r in rows
    ]


async def _credits(db: Db, who: Principal, client_id: int, start: Date, end: Date) -> list[dict[str, Any]]:
    today = await _today(db, who, client_id)
    rows = await db.fetch(
        "SELECT id, number, date, due_date, amount, balance, paid_to_date, status_id FROM credits "
        "WHERE company_id = $1 AND client_id = $2 AND NOT is_deleted AND status_id IN (2, 3, 4) "
        "AND date BETWEEN $3 AND $4 AND (due_date IS NULL OR due_date >= $5) ORDER BY date, id",
        who.company_id,
        client_id,
        start,
        end,
        today,
    )
    return [_invoice(r) for r in rows]


async def _aging(db: Db, who: Principal, client_id: int) -> dict[str, float]:
    today = await _today(db, who, client_id)
    rows = await db.fetch(
        "SELECT due_date, balance FROM invoices WHERE company_id = $1 AND client_id = $2 AND NOT is_deleted "
        "AND status_id IN (2, 3) AND balance > 0",
        who.company_id,
        client_id,
    )
    buckets = {"Current": Decimal(0), **{name: Decimal(0) for name, _, _ in AGING}}
    for r in rows:
        late = (today - r["due_date"]).days if r["due_date"] else -1
        name = "Current" if late < 0 else next(n for n, low, high in AGING if high is None or low <= late < high)
        buckets[name] += Decimal(r["balance"])
    return {name: float(total) for name, total in buckets.items()}


async def _today(db: Db, who: Principal, client_id: int) -> Date:
    """Today where the client is (its time zone setting, else its group's, else the company's)."""
    ctx = await context.load(db, who.company_id, client_id)
    return context.today(ctx["setting"]("timezone_id", "1"))
