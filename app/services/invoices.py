"""Invoice rules: defaults, line items normalised (upstream InvoiceItem), totals from app.services.calc on
every save, numbering, invitations, an immutable client. Client-sent totals and statuses are ignored.

Saving a non-draft invoice follows R1.4: balance from the new amount, status re-derived, client balance
recomputed with an "Update Adjustment" ledger row. Drafts never touch the client (mark_sent does).
Cancelled and reversed invoices are final, and no total may fall below what has been paid (both 422).
"""
from __future__ import annotations

import json
from datetime import date as Date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, DecimalException
from typing import Any, Mapping, Sequence
from zoneinfo import ZoneInfo

import asyncpg

from .. import reference
from ..auth import Principal
from ..crud.service import CrudService, Row
from ..crud.validate import MONEY_LIMIT
from ..entities.billing import STATUS_CANCELLED, STATUS_DRAFT, STATUS_PAID, STATUS_PARTIAL, STATUS_REVERSED, \
    STATUS_SENT
from ..errors import Invalid, invalid
from . import activities, invitations, invoice_ops, money, numbering
from .calc import ZERO, Document, R, Totals, calculate
from .line_items import clean_lines, stored_line, upsert_products

TAKEN = "The number has already been taken."
LOCKED = "This invoice is locked and unable to be modified."
BELOW_PAID = "Invoice balance cannot go negative"
SURCHARGES = ("custom_surcharge1", "custom_surcharge2", "custom_surcharge3", "custom_surcharge4")
DOCUMENT_MONEY = ("discount", "partial", "exchange_rate", "tax_rate1", "tax_rate2", "tax_rate3", *SURCHARGES)
SIX = Decimal("0.000001")
NICKEL = Decimal("0.05")
STORED_SQL = (
    "SELECT client_id, status_id, number, amount, balance, paid_to_date, partial, discount, is_amount_discount, "
    "uses_inclusive_taxes, tax_name1, tax_name2, tax_name3, tax_rate1, tax_rate2, tax_rate3, "
    f"{', '.join(SURCHARGES)}, date, due_date, partial_due_date, line_items::text AS line_items "
    "FROM {table} WHERE company_id = $1 AND id = $2 FOR UPDATE")
CONTEXT_SQL = (
    "SELECT c.settings AS client, g.settings AS grp, co.settings AS company, co.attributes, c.public_notes "
    "FROM clients c JOIN companies co ON co.id = c.company_id LEFT JOIN group_settings g "
    "ON g.company_id = c.company_id AND g.id = c.group_settings_id WHERE c.company_id = $1 AND c.id = $2")
NEW_DEFAULTS: dict[str, Any] = {
    "status_id": STATUS_DRAFT, "amount": ZERO, "balance": ZERO, "paid_to_date": ZERO, "partial": ZERO,
    "discount": ZERO, "is_amount_discount": True, "uses_inclusive_taxes": False,
    **{f"tax_name{i}": "" for i in (1, 2, 3)}, **{f"tax_rate{i}": ZERO for i in (1, 2, 3)},
    **{s: ZERO for s in SURCHARGES}, "date": None, "due_date": None, "partial_due_date": None, "line_items": [],
}


def _too_big(x: Decimal) -> bool:
    return abs(x) >= MONEY_LIMIT


def on(setting: Any) -> bool:
    """A boolean setting; client and group overrides are free-form, so "true" and 1 count too."""
    return setting is True or str(setting).strip().lower() in ("1", "true")


# ---- the service ---------------------------------------------------------------------------------
class InvoiceService(CrudService):
    terms_setting = ""   # settings prefix of the default terms and footer; the entity's own by default
    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().create(who, data, include)
        except asyncpg.UniqueViolationError:   # a concurrent writer took the same number
            raise invalid("number", TAKEN) from None

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().update(who, entity_id, data, include)
        except asyncpg.UniqueViolationError:
            raise invalid("number", TAKEN) from None

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None:
            if values.get("client_id") is None:
                raise invalid("client_id", "The client id field is required.")
            state = dict(NEW_DEFAULTS, client_id=values["client_id"])
        else:
            state = self.stored   # read under the update's lock (lock_row)
            given = values.pop("client_id", None)
            if given is not None and given != state["client_id"]:
                raise invalid("client_id", "The client id cannot be changed.")
            if self._closed(state):
                raise invalid("status_id", LOCKED)
            if str(data.get("status_id", "")).strip() == str(STATUS_CANCELLED):
                raise invalid("status_id", "The selected status id is invalid.")
        ctx = await self._context(who, state["client_id"])
        if current is not None and self._locked(state, ctx):
            raise invalid("number", LOCKED)
        lines = clean_lines(data["line_items"]) if "line_items" in data else state["line_items"]
        if current is None:
            self._fill_defaults(values, data, ctx)
        for column in DOCUMENT_MONEY:   # the precision the numeric(20,6) columns will store
            if values.get(column) is not None:
                values[column] = Decimal(values[column]).quantize(SIX, rounding=ROUND_HALF_UP)
        if values.get("exchange_rate") is not None and values["exchange_rate"] <= 0:
            values["exchange_rate"] = Decimal(1)
        for i in (1, 2, 3, 4):   # upstream copies the company flags on every save
            values[f"custom_surcharge_tax{i}"] = bool(ctx["attributes"].get(f"custom_surcharge_taxes{i}"))
        m = {**state, **values}
        self._check_dates(values, m, ctx)
        self._totals(values, m, lines, ctx)
        await self._number(who, values, current, ctx)
        company = ctx["company"]
        if "line_items" in data and ctx["attributes"].get("update_products", True) is not False and \
                str(ctx["setting"]("currency_id", "1")) == str(company.get("currency_id") or "1"):
            await upsert_products(self.db, who.company_id, who.user_id, lines)

    # ---- context and defaults ----------------------------------------------------------------
    @property
    def kind(self) -> str:
        """invoice, quote, credit, recurring_invoice: names its table, counter, invitations, activities."""
        return self.entity.name

    @property
    def table(self) -> str:
        return self.entity.table

    async def lock_row(self, who: Principal, entity_id: int) -> None:
        await self._stored(who, entity_id)

    async def _stored(self, who: Principal, doc_id: int) -> dict[str, Any]:
        """The document as stored, exact, locked: its client row first, then the document (the lock order
        of every money movement). Kept as `self.stored` for the rules of the write."""
        client_id = await self.db.fetchval(f"SELECT client_id FROM {self.table} WHERE company_id = $1 AND id = $2",
                                           who.company_id, doc_id)
        await money.lock_client(self.db, who.company_id, client_id)
        row = dict(await self.db.fetchrow(STORED_SQL.format(table=self.table), who.company_id, doc_id))
        row["line_items"] = clean_lines(json.loads(row["line_items"], parse_float=Decimal))
        self.stored = row
        return row

    async def _context(self, who: Principal, client_id: int) -> dict[str, Any]:
        row = await self.db.fetchrow(CONTEXT_SQL, who.company_id, client_id)
        assert row is not None   # check_refs proved the client is the caller's
        layers = [row["client"] or {}, row["grp"] or {}, row["company"] or {}]

        def setting(key: str, default: Any = "") -> Any:
            for layer in layers:
                value = layer.get(key)
                if value is not None and value != "":
                    return value
            return default
        currency = reference.CURRENCIES.get(str(setting("currency_id", "1")), {})
        return {"setting": setting, "attributes": row["attributes"] or {}, "public_notes": row["public_notes"],
                "company": row["company"] or {},
                "precision": int(currency.get("precision", 2))}

    @staticmethod
    def _closed(state: dict[str, Any]) -> bool:
        """Cancelled and reversed invoices are final: upstream refuses their edits (status_id not_in:5)."""
        return state["status_id"] in (STATUS_CANCELLED, STATUS_REVERSED)

    @staticmethod
    def _locked(state: dict[str, Any], ctx: dict[str, Any]) -> bool:
        """The company's lock_invoices setting (upstream LockedInvoiceRule)."""
        mode, status = ctx["setting"]("lock_invoices", "off"), state["status_id"]
        if mode == "when_sent":
            return status == STATUS_SENT
        if mode == "when_paid":
            return status == STATUS_PAID
        if mode == "end_of_month" and status == STATUS_SENT and state["date"] is not None:
            start = state["date"].replace(day=1)
            month_end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            return month_end <= _today(ctx["setting"]("timezone_id", "1"))
        return False

    def _fill_defaults(self, values: Row, data: Mapping[str, Any], ctx: dict[str, Any]) -> None:
        setting = ctx["setting"]
        if values.get("date") is None:
            values["date"] = _today(setting("timezone_id", "1"))
        if "uses_inclusive_taxes" not in data:
            values["uses_inclusive_taxes"] = on(setting("inclusive_taxes", False))
        prefix = self.terms_setting or self.kind
        for column, source in (("terms", setting(f"{prefix}_terms")), ("footer", setting(f"{prefix}_footer")),
                               ("public_notes", ctx["public_notes"])):
            if not values.get(column) and isinstance(source, str):
                values[column] = source[:65535]

    def _check_dates(self, values: Row, m: dict[str, Any], ctx: dict[str, Any]) -> None:
        if m["partial"] < 0:
            raise invalid("partial", "The partial must be at least 0.")
        if m["partial"] == 0:
            if m.get("partial_due_date") is not None:
                values["partial_due_date"] = m["partial_due_date"] = None
            return
        due, start = m.get("partial_due_date"), m.get("date")
        if due is None:
            return
        if start is not None and due < start:
            raise invalid("partial_due_date", "The partial due date must be a date after or equal to date.")
        if m.get("due_date") is None:
            terms = str(ctx["setting"]("payment_terms", "")).strip()
            if terms.isdigit() and start is not None and int(terms) < 100000:
                values["due_date"] = m["due_date"] = start + timedelta(days=int(terms))
        if m.get("due_date") is not None and due >= m["due_date"]:
            raise invalid("partial_due_date", "The partial due date must be a date before due date.")

    # ---- totals ------------------------------------------------------------------------------
    def _totals(self, values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        errors = {f"line_items.{n}.cost": ["The line total must be below 10^14."]
                  for n, line in enumerate(lines) if _too_big(line["cost"] * line["quantity"])}
        if errors:
            raise Invalid(errors)
        try:
            totals = self._calculate(m, lines, ctx["precision"])
        except DecimalException:   # e.g. an inclusive tax rate of -100 %, or rates far beyond any real tax
            raise invalid("amount", "The invoice total cannot be calculated from these values.") from None
        errors = {f"line_items.{n}.cost": ["The line total must be below 10^14."]
                  for n, line in enumerate(totals.line_items)
                  if any(_too_big(line[k]) for k in ("line_total", "tax_amount", "gross_line_total"))}
        if errors:
            raise Invalid(errors)
        if _too_big(totals.amount) or _too_big(totals.total_taxes):
            raise invalid("amount", "The invoice total must be below 10^14.")
        amount = totals.amount
        if on(ctx["setting"]("enable_rappen_rounding", False)):   # Swiss 5-cent rounding
            amount = R(amount / NICKEL, 0) * NICKEL
        status = m["status_id"]
        if status not in (STATUS_DRAFT, STATUS_CANCELLED) and m["paid_to_date"] > 0 and amount < m["paid_to_date"]:
            # money already received stays applied: a total below it would leave a negative balance
            raise invalid("amount", BELOW_PAID)
        values["line_items"] = [stored_line(line, m["is_amount_discount"]) for line in totals.line_items]
        values["amount"], values["total_taxes"] = amount, totals.total_taxes
        if status == STATUS_CANCELLED:
            values["balance"] = ZERO
        elif status != STATUS_DRAFT:
            paid_something = m["amount"] != m["balance"]
            values["balance"] = amount - m["paid_to_date"] if paid_something else amount
        balance = values.get("balance", m["balance"])
        if status in (STATUS_SENT, STATUS_PARTIAL, STATUS_PAID):   # re-derived from the new balance
            values["status_id"] = STATUS_PAID if R(balance, 2) == 0 else \
                STATUS_PARTIAL if 0 < balance < amount else STATUS_SENT
        if balance != 0 and m["partial"] > amount > 0:
            values["partial"] = min(amount, balance)

    @staticmethod
    def _calculate(m: dict[str, Any], lines: list[dict[str, Any]], precision: int) -> Totals:
        return calculate(Document(
            line_items=lines, discount=m["discount"], is_amount_discount=m["is_amount_discount"],
            uses_inclusive_taxes=m["uses_inclusive_taxes"],
            tax_names=tuple(m[f"tax_name{i}"] for i in (1, 2, 3)),
            tax_rates=tuple(m[f"tax_rate{i}"] for i in (1, 2, 3)),
            surcharges=tuple(m[s] for s in SURCHARGES),
            surcharge_taxed=tuple(bool(m[f"custom_surcharge_tax{i}"]) for i in (1, 2, 3, 4)),
            precision=precision))

    async def _number(self, who: Principal, values: Row, current: Row | None, ctx: dict[str, Any]) -> None:
        if values.get("number"):
            me = current["id"] if current else 0
            taken = await self.db.fetchval("SELECT 1 FROM invoices WHERE company_id = $1 AND number = $2 AND id <> $3",
                                           who.company_id, values["number"], me)
            if taken:
                raise invalid("number", TAKEN)
        elif current is not None:
            values.pop("number", None)   # an empty number on update keeps the assigned one
        else:
            when = ctx["setting"]("counter_number_applied", "when_saved")
            values["number"] = None if when == "when_sent" else \
                await numbering.next_number(self.db, who.company_id, "invoice", "invoices")

    # ---- invitations and activities ----------------------------------------------------------
    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is not None and int(current["status_id"] or STATUS_DRAFT) != STATUS_DRAFT:
            number = await self.db.fetchval("SELECT COALESCE(number, '') FROM invoices WHERE company_id = $1 "
                                            "AND id = $2", who.company_id, entity_id)
            await money.recompute_balance(self.db, who, current["client_id"], entity_id, number)
        raw = data.get("invitations")
        if current is None or (isinstance(raw, list) and raw):
            await invitations.sync(self.db, who, "invoice", entity_id, raw, current is None)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        """Delete frees the number ("0001" -> "0001_Deleted"); restore takes it back, or a fresh one if reused."""
        if action not in ("delete", "restore"):
            return await super().bulk(who, action, entity_ids, data)
        async with self.db.transaction():
            rows = await self.db.fetch(
                "SELECT id, number FROM invoices WHERE company_id = $1 AND id = ANY($2::bigint[]) AND number IS NOT "
                "NULL AND is_deleted = $3 ORDER BY id FOR UPDATE",
                who.company_id, list(entity_ids), action == "restore")
            await super().bulk(who, action, entity_ids, data)
            for row in rows:
                await invoice_ops.renumber(self.db, who, row["id"], row["number"], action == "delete")

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is None:
            return
        client_id = await self.db.fetchval("SELECT client_id FROM invoices WHERE company_id = $1 AND id = $2",
                                           who.company_id, entity_id)
        await activities.record(self.db, who, type_id, invoice_id=entity_id, client_id=client_id)


def _today(timezone_id: Any) -> Date:
    name = reference.TIMEZONES.get(str(timezone_id), {}).get("name", "UTC")
    try:
        return datetime.now(ZoneInfo(name)).date()
    except (KeyError, ValueError):
        return datetime.now(timezone.utc).date()
