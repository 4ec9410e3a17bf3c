"""Dashboard charts (upstream ChartService / ChartQueries, as the web app's dashboard calls them): totals and
per-day series per currency, computed from the caller's company's invoices, payments and expenses (with their
taxes, as upstream's chart queries count them; see app/services/expenses/taxes.py). A client's currency is its
settings.currency_id, else the company's. Non-admin users see only their own clients' invoices and their own
payments and expenses, as upstream.

Every currency key always carries every part (the web app crashes on a missing `currencies` object or a missing
array), with zero amounts instead of upstream's empty objects. Upstream's key 999 (an aggregate that divides by
currency ids) is not emitted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date as Date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ... import reference
from ...auth import Principal
from ...db import Db
from ...errors import invalid
from ..billing import context
from ..expenses import taxes

RANGES = (
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
)
CURRENCY = "COALESCE(NULLIF(c.settings->>'currency_id', ''), $2)"
OWN_CLIENTS = " AND ($5::bigint IS NULL OR c.user_id = $5)"
INVOICE_SQL = f"""
SELECT {CURRENCY} AS currency_id, i.date,
       sum(i.amount) FILTER (WHERE i.status_id = ANY($6::int[])) AS chart_invoiced,
       sum(i.amount) FILTER (WHERE i.status_id = ANY($6::int[]) AND i.amount > 0) AS invoiced,
       sum(i.balance) FILTER (WHERE i.status_id = ANY($7::int[])) AS chart_outstanding,
       sum(i.balance) FILTER (WHERE i.status_id IN (2, 3) AND i.balance > 0) AS outstanding,
       count(*) FILTER (WHERE i.status_id IN (2, 3) AND i.balance > 0) AS outstanding_count
FROM invoices i JOIN clients c ON c.company_id = i.company_id AND c.id = i.client_id
WHERE i.company_id = $1 AND NOT i.is_deleted AND NOT c.is_deleted AND i.date BETWEEN $3 AND $4{OWN_CLIENTS}
GROUP BY 1, 2 ORDER BY 2"""
PAYMENT_SQL = """
SELECT COALESCE(p.currency_id::text, $2) AS currency_id, p.date,
       sum(p.amount - p.refunded) FILTER (WHERE p.status_id IN (4, 5, 6)) AS chart_paid,
       sum(p.amount - p.refunded) FILTER (WHERE p.status_id IN (1, 4, 5, 6) AND NOT c.is_deleted) AS paid
FROM payments p JOIN clients c ON c.company_id = p.company_id AND c.id = p.client_id
WHERE p.company_id = $1 AND NOT p.is_deleted AND p.date BETWEEN $3 AND $4
  AND ($5::bigint IS NULL OR p.user_id = $5)
GROUP BY 1, 2 ORDER BY 2"""
# an expense counts with its taxes (expenses.taxes.GROSS_SQL), unless its client or vendor is deleted
EXPENSE_SQL = f"""
SELECT COALESCE(e.currency_id::text, $2) AS currency_id, e.date, sum({taxes.GROSS_SQL}) AS amount
FROM expenses e
LEFT JOIN clients c ON c.company_id = e.company_id AND c.id = e.client_id
LEFT JOIN vendors v ON v.company_id = e.company_id AND v.id = e.vendor_id
WHERE e.company_id = $1 AND NOT e.is_deleted AND e.date BETWEEN $3 AND $4
  AND ($5::bigint IS NULL OR e.user_id = $5) AND NOT COALESCE(c.is_deleted, false)
  AND NOT COALESCE(v.is_deleted, false)
GROUP BY 1, 2 ORDER BY 2"""
CURRENCIES_SQL = f"""
SELECT DISTINCT {CURRENCY} AS currency_id FROM clients c
WHERE c.company_id = $1 AND NOT c.is_deleted AND ($3::bigint IS NULL OR c.user_id = $3)"""


def _day(value: Any, name: str) -> Date:
    try:
        return Date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise invalid(name, f"The {name.replace('_', ' ')} is not a valid date.") from None


def _quarter_start(day: Date) -> Date:
    return day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)


def date_span(params: Mapping[str, Any], today: Date) -> tuple[Date, Date]:
    """start/end from `date_range` (upstream's vocabulary) or start_date/end_date; default the last 20 days."""
    name = str(params.get("date_range") or "").strip()
    if name and name not in RANGES:
        raise invalid("date_range", "The selected date range is invalid.")
    month = today.replace(day=1)
    quarter = _quarter_start(today)
    spans = {
        "last7_days": (today - timedelta(days=7), today),
        "last30_days": (today - timedelta(days=30), today),
        "last365_days": (today - timedelta(days=365), today),
        "this_month": (month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
        "last_month": ((month - timedelta(days=1)).replace(day=1), month - timedelta(days=1)),
        "this_quarter": (quarter, _quarter_start(quarter + timedelta(days=95)) - timedelta(days=1)),
        "last_quarter": (_quarter_start(quarter - timedelta(days=1)), quarter - timedelta(days=1)),
        "this_year": (today.replace(month=1, day=1), today.replace(month=12, day=31)),
        "last_year": (
            today.replace(year=today.year - 1, month=1, day=1),
            today.replace(year=today.year - 1, month=12, day=31),
        ),
        "all_time": (Date(1970, 1, 1), Date(9999, 12, 31)),
    }
    if name in spans:
        return spans[name]
    start = _day(params["start_date"], "start_date") if params.get("start_date") else today - timedelta(days=20)
    end = _day(params["end_date"], "end_date") if params.get("end_date") else today
    return start, end


def _num(value: Decimal | None) -> float:
    return float(value or 0)


class Charts:
    def __init__(self, db: Db, who: Principal, params: Mapping[str, Any]) -> None:
        self.db, self.who, self.params = db, who, params
        self.own = None if who.is_admin or who.is_owner else who.user_id
        self.drafts = str(params.get("include_drafts", "")).strip().lower() in ("1", "true")

    async def _load(self) -> None:
        settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", self.who.company_id) or {}
        self.company_currency = str(settings.get("currency_id") or "1")
        self.start, self.end = date_span(self.params, context.today(settings.get("timezone_id", "1")))
        args = (self.who.company_id, self.company_currency, self.start, self.end, self.own)
        invoiced = [1, 2, 3, 4] if self.drafts else [2, 3, 4]
        self.invoices = await self.db.fetch(INVOICE_SQL, *args, invoiced, invoiced)
        self.payments = await self.db.fetch(PAYMENT_SQL, *args)
        self.expenses = await self.db.fetch(EXPENSE_SQL, *args)
        found = {
            r["currency_id"]
            for r in await self.db.fetch(CURRENCIES_SQL, self.who.company_id, self.company_currency, self.own)
        }
        found |= {self.company_currency} | {r["currency_id"] for r in self.expenses}
        self.currencies = {
            c: reference.CURRENCIES[c]["code"] for c in sorted(found, key=_order) if c in reference.CURRENCIES
        }

    def _dates(self) -> dict[str, str]:
        return {"start_date": self.start.isoformat(), "end_date": self.end.isoformat()}

    async def totals(self) -> dict[str, Any]:
        await self._load()
        out: dict[str, Any] = {"currencies": self.currencies, **self._dates()}
        sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for r in self.invoices:
            s = sums[r["currency_id"]]
            s["invoiced"] += r["invoiced"] or 0
            s["outstanding"] += r["outstanding"] or 0
            s["count"] += r["outstanding_count"]
        for r in self.payments:
            sums[r["currency_id"]]["paid"] += r["paid"] or 0
        for r in self.expenses:
            sums[r["currency_id"]]["expenses"] += r["amount"] or 0
        for cid, code in self.currencies.items():
            s = sums[cid]
            out[cid] = {
                "invoices": {"invoiced_amount": _num(s["invoiced"]), "currency_id": cid, "code": code},
                "revenue": {"paid_to_date": _num(s["paid"]), "currency_id": cid, "code": code},
                "outstanding": {
                    "amount": _num(s["outstanding"]),
                    "outstanding_count": int(s["count"]),
                    "currency_id": cid,
                    "code": code,
                },
                "expenses": {"amount": _num(s["expenses"]), "currency_id": cid, "code": code},
            }
        return out

    async def summary(self) -> dict[str, Any]:
        await self._load()
        out: dict[str, Any] = self._dates()
        series: dict[str, dict[str, list[dict[str, Any]]]] = {
            cid: {"invoices": [], "outstanding": [], "payments": [], "expenses": []} for cid in self.currencies
        }

        def add(cid: str, part: str, day: Date, total: Decimal | None) -> None:
            if cid in series and total is not None:
                series[cid][part].append({"date": day.isoformat(), "total": _num(total), "currency_id": cid})

        for r in self.invoices:
            add(r["currency_id"], "invoices", r["date"], r["chart_invoiced"])
            add(r["currency_id"], "outstanding", r["date"], r["chart_outstanding"])
        for r in self.payments:
            add(r["currency_id"], "payments", r["date"], r["chart_paid"])
        for r in self.expenses:
            add(r["currency_id"], "expenses", r["date"], r["amount"])
        out.update(series)
        return out


def _order(currency_id: str) -> tuple[int, str]:
    return (int(currency_id), "") if currency_id.isdigit() else (10**9, currency_id)
