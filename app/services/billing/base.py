"""BillingService: the engine invoices, quotes, credits and recurring invoices share, and the parent of the
service of each. A save fills the defaults from the client -> group -> company settings (billing.context),
normalises the line items (billing.lines), recomputes the totals from them (billing.totals), checks the
dates, numbers the document from its company counter and keeps its invitations in step; the client cannot
change and client-sent totals and statuses are ignored. A subclass adds only what is its own (the invoice:
lock_invoices, final cancelled and reversed invoices, the client balance, "_Deleted" numbers; the quote and
credit lifecycles; the recurring schedule). Also the helpers the documents' actions share: locking a
document, stamping invitations, numbering on send, the body of a copy.

Subclasses register by entity name (`runs`), so one kind of document can make another (a quote converted
to an invoice, an invoice cloned to a quote) through `sibling()` without their modules importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

import asyncpg

from ... import ids
from ...auth import Principal
from ...crud.service import Row
from ...entities.billing import STATUS_CANCELLED, STATUS_DRAFT
from ...entities.spec import Entity
from ...errors import invalid
from .. import activities, money, numbering
from ..entity import EntityService
from . import context, invitations, totals
from .calc import ZERO
from .flags import NO_FLAGS, BillingFlags
from .lines import clean_lines, upsert_products
from .totals import SURCHARGES

TAKEN = "The number has already been taken."
# The answer of an `email` action until mail exists: what happened (marked sent), and that nothing was mailed.
EMAIL_SENT = "Marked as sent. No e-mail was sent: this server does not send mail yet."
LOCKED = "This invoice is locked and unable to be modified."
DOCUMENT_MONEY = ("discount", "partial", "exchange_rate", "tax_rate1", "tax_rate2", "tax_rate3", *SURCHARGES)
SIX = Decimal("0.000001")
STORED_SQL = (
    "SELECT {party}, status_id, number, amount, balance, paid_to_date, partial, discount, is_amount_discount, "
    "uses_inclusive_taxes, tax_name1, tax_name2, tax_name3, tax_rate1, tax_rate2, tax_rate3, "
    f"{', '.join(SURCHARGES)}, date, due_date, partial_due_date, line_items::text AS line_items "
    "FROM {table} WHERE company_id = $1 AND id = $2 FOR UPDATE"
)
NEW_DEFAULTS: dict[str, Any] = {
    "status_id": STATUS_DRAFT,
    "amount": ZERO,
    "balance": ZERO,
    "paid_to_date": ZERO,
    "partial": ZERO,
    "discount": ZERO,
    "is_amount_discount": True,
    "uses_inclusive_taxes": False,
    **{f"tax_name{i}": "" for i in (1, 2, 3)},
    **{f"tax_rate{i}": ZERO for i in (1, 2, 3)},
    **{s: ZERO for s in SURCHARGES},
    "date": None,
    "due_date": None,
    "partial_due_date": None,
    "line_items": [],
}
COPIED_TEXT = (
    "po_number",
    "public_notes",
    "private_notes",
    "tax_name1",
    "tax_name2",
    "tax_name3",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
)
COPIED_MONEY = (
    "discount",
    "partial",
    "exchange_rate",
    "tax_rate1",
    "tax_rate2",
    "tax_rate3",
    "custom_surcharge1",
    "custom_surcharge2",
    "custom_surcharge3",
    "custom_surcharge4",
)


class BillingService(EntityService):
    runs: ClassVar[str] = ""  # the entity a subclass serves, for sibling()
    family: ClassVar[dict[str, type[BillingService]]] = {}
    terms_setting: ClassVar[str] = ""  # settings prefix of the default terms and footer; the entity's own
    shared_setting: ClassVar[str] = ""  # e.g. "shared_invoice_quote_counter": the invoice counter when on
    # The client row is locked before the company counter on create: the lock order of every money movement.
    lock_client_on_create: ClassVar[bool] = True
    # Who the document is for: "client" (its contacts get the invitations, its settings layer over the
    # company's), or "vendor" for purchase orders (company settings, the vendor's currency, no client locks).
    party: ClassVar[str] = "client"
    # status_id 5 in an update body would cancel an invoice without its effects: refused (422). A purchase
    # order's 5 is its own cancelled, which the web app sends back with every save of a cancelled order.
    cancelled_by_status: ClassVar[bool] = True
    flags: BillingFlags = NO_FLAGS  # the flags of the write in progress (a service instance serves one call)
    stored: dict[str, Any]  # the document as stored, read under the update's lock

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.runs:
            BillingService.family[cls.runs] = cls

    def sibling(self, entity: Entity) -> BillingService:
        return self.family[entity.name](entity, self.db)

    @property
    def kind(self) -> str:
        """invoice, quote, credit, recurring_invoice: names its table, counter, invitations, activities."""
        return self.entity.name

    @property
    def table(self) -> str:
        return self.entity.table

    @property
    def party_key(self) -> str:
        """The column naming the document's party: client_id, or vendor_id."""
        return f"{self.party}_id"

    # ---- writes ------------------------------------------------------------------------------
    async def create(
        self, who: Principal, data: Mapping[str, Any], include: str = "", flags: BillingFlags = NO_FLAGS
    ) -> Row:
        self.flags = flags
        try:
            return await super().create(who, data, include)
        except asyncpg.UniqueViolationError:  # a concurrent writer took the same number
            raise invalid("number", TAKEN) from None

    async def update(
        self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "", flags: BillingFlags = NO_FLAGS
    ) -> Row:
        self.flags = flags
        try:
            return await super().update(who, entity_id, data, include)
        except asyncpg.UniqueViolationError:
            raise invalid("number", TAKEN) from None

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        party = self.party_key
        if current is None:
            if values.get(party) is None:
                raise invalid(party, f"The {self.party} id field is required.")
            if self.lock_client_on_create:
                await money.lock_client(self.db, who.company_id, values["client_id"])
            state = dict(NEW_DEFAULTS, **{party: values[party]})
        else:
            state = self.stored  # read under the update's lock (lock_row)
            given = values.pop(party, None)
            if given is not None and given != state[party]:
                raise invalid(party, f"The {self.party} id cannot be changed.")
            if self._closed(state):
                raise invalid("status_id", LOCKED)
            if self.cancelled_by_status and str(data.get("status_id", "")).strip() == str(STATUS_CANCELLED):
                raise invalid("status_id", "The selected status id is invalid.")
        ctx = await self._context(who, state[party])
        if current is not None and self._locked(state, ctx):
            raise invalid("number", LOCKED)
        lines = clean_lines(data["line_items"]) if "line_items" in data else state["line_items"]
        if current is None:
            self._fill_defaults(values, data, ctx)
        for column in DOCUMENT_MONEY:  # the precision the numeric(20,6) columns will store
            if values.get(column) is not None:
                values[column] = Decimal(values[column]).quantize(SIX, rounding=ROUND_HALF_UP)
        if values.get("exchange_rate") is not None and values["exchange_rate"] <= 0:
            values["exchange_rate"] = Decimal(1)
        for i in (1, 2, 3, 4):  # upstream copies the company flags on every save
            values[f"custom_surcharge_tax{i}"] = bool(ctx["attributes"].get(f"custom_surcharge_taxes{i}"))
        m = {**state, **values}
        self._check_dates(values, m, ctx)
        self._totals(values, m, lines, ctx)
        await self._number(who, values, current, ctx)
        company = ctx["company"]
        if (
            self.party == "client"  # a purchase order's costs are not the products' prices
            and "line_items" in data
            and ctx["attributes"].get("update_products", True) is not False
            and str(ctx["setting"]("currency_id", "1")) == str(company.get("currency_id") or "1")
        ):
            await upsert_products(self.db, who.company_id, who.user_id, lines)

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        raw = data.get("invitations")
        if current is None or (isinstance(raw, list) and raw):
            await invitations.sync(self.db, who, self.kind, entity_id, raw, current is None, self.party)

    async def lock_row(self, who: Principal, entity_id: int) -> None:
        await self._stored(who, entity_id)

    async def _stored(self, who: Principal, doc_id: int) -> dict[str, Any]:
        """The document as stored, exact, locked: its client row first, then the document (the lock order
        of every money movement). Kept as `self.stored` for the rules of the write."""
        await self._lock_client_of(who, doc_id)
        stored_sql = STORED_SQL.format(table=self.table, party=self.party_key)
        row = dict(await self.db.fetchrow_one(stored_sql, who.company_id, doc_id))
        row["line_items"] = clean_lines(json.loads(row["line_items"], parse_float=Decimal))
        self.stored = row
        return row

    async def _lock_client_of(self, who: Principal, doc_id: int) -> None:
        """A client's document locks its client first; a vendor's moves no client money and locks none."""
        if self.party != "client":
            return
        client_id = await self.db.fetchval(
            f"SELECT client_id FROM {self.table} WHERE company_id = $1 AND id = $2", who.company_id, doc_id
        )
        await money.lock_client(self.db, who.company_id, client_id)

    async def _context(self, who: Principal, party_id: int) -> dict[str, Any]:
        return await context.load(self.db, who.company_id, party_id, self.party)

    # ---- the rules a subclass may change -----------------------------------------------------
    @staticmethod
    def _closed(state: dict[str, Any]) -> bool:
        """A document that may no longer be edited (the invoice's cancelled and reversed)."""
        return False

    @staticmethod
    def _locked(state: dict[str, Any], ctx: dict[str, Any]) -> bool:
        """A document the company's settings lock (the invoice's lock_invoices)."""
        return False

    def numbered_on_save(self, ctx: dict[str, Any]) -> bool:
        return True

    def _totals(self, values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
        totals.apply(values, m, lines, ctx)

    # ---- defaults, dates, numbers ------------------------------------------------------------
    def _fill_defaults(self, values: Row, data: Mapping[str, Any], ctx: dict[str, Any]) -> None:
        setting = ctx["setting"]
        if values.get("date") is None:
            values["date"] = context.today(setting("timezone_id", "1"))
        if "uses_inclusive_taxes" not in data:
            values["uses_inclusive_taxes"] = context.on(setting("inclusive_taxes", False))
        prefix = self.terms_setting or self.kind
        for column, source in (
            ("terms", setting(f"{prefix}_terms")),
            ("footer", setting(f"{prefix}_footer")),
            ("public_notes", ctx["public_notes"]),
        ):
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

    async def next_number(self, who: Principal, settings: Any = None) -> str:
        if settings is None:
            settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
        shared = self.shared_setting and context.on((settings or {}).get(self.shared_setting))
        return await numbering.next_number(
            self.db, who.company_id, self.kind, self.table, counter="invoice" if shared else ""
        )

    async def _number(self, who: Principal, values: Row, current: Row | None, ctx: dict[str, Any]) -> None:
        if values.get("number"):
            me = current["id"] if current else 0
            taken = await self.db.fetchval(
                f"SELECT 1 FROM {self.table} WHERE company_id = $1 AND number = $2 AND id <> $3",
                who.company_id,
                values["number"],
                me,
            )
            if taken:
                raise invalid("number", TAKEN)
        elif current is not None:
            values.pop("number", None)  # an empty number on update keeps the assigned one
        else:
            values["number"] = await self.next_number(who, ctx["company"]) if self.numbered_on_save(ctx) else None

    # ---- activities --------------------------------------------------------------------------
    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            await self.log(who, type_id, entity_id)

    async def log(self, who: Principal, type_id: int, doc_id: int, notes: str = "", **refs: int | None) -> None:
        party_id = await self.db.fetchval(
            f"SELECT {self.party_key} FROM {self.table} WHERE company_id = $1 AND id = $2", who.company_id, doc_id
        )
        await activities.record_refs(
            self.db, who, type_id, {self.party_key: party_id, f"{self.kind}_id": doc_id, **refs}, notes
        )

    # ---- helpers for the actions -------------------------------------------------------------
    async def lock(self, who: Principal, doc_id: int) -> dict[str, Any]:
        """Client row, then the document row, FOR UPDATE (the lock order of every money movement)."""
        await self._lock_client_of(who, doc_id)
        row = await self.db.fetchrow_one(
            f"SELECT *, line_items::text AS lines FROM {self.table} WHERE company_id = $1 AND id = $2 FOR UPDATE",
            who.company_id,
            doc_id,
        )
        return dict(row)

    async def setting(self, who: Principal, party_id: int, key: str, default: Any = "") -> Any:
        return (await self._context(who, party_id))["setting"](key, default)

    async def stamp_invitations(self, who: Principal, doc_id: int, always: bool = False) -> None:
        """sent_date = now on the live invitations (mark_sent: only where empty; email: every one)."""
        empty = "" if always else " AND sent_date IS NULL"
        await self.db.execute(
            f"UPDATE {self.kind}_invitations SET sent_date = now(), updated_at = now() "
            f"WHERE company_id = $1 AND {self.kind}_id = $2 AND deleted_at IS NULL{empty}",
            who.company_id,
            doc_id,
        )

    async def stamp_emailed(self, who: Principal, row: Mapping[str, Any]) -> None:
        """An e-mail action: every live invitation sent now, last_sent_date = today where the company is."""
        await self.stamp_invitations(who, row["id"], always=True)
        await self.db.execute(
            f"UPDATE {self.table} SET last_sent_date = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            context.today(await self.setting(who, row[self.party_key], "timezone_id", "1")),
        )

    async def invited_contacts(self, who: Principal, doc_id: int) -> list[int]:
        return [
            r["contact_id"]
            for r in await self.db.fetch(
                f"SELECT {self.party}_contact_id AS contact_id FROM {self.kind}_invitations "
                f"WHERE company_id = $1 AND {self.kind}_id = $2 AND deleted_at IS NULL ORDER BY id",
                who.company_id,
                doc_id,
            )
        ]

    async def number_if_missing(self, who: Principal, row: Mapping[str, Any]) -> None:
        if not row["number"]:
            await self.db.execute(
                f"UPDATE {self.table} SET number = $3 WHERE company_id = $1 AND id = $2",
                who.company_id,
                row["id"],
                await self.next_number(who),
            )

    async def copy_body(
        self, who: Principal, row: Mapping[str, Any], terms: bool = True, footer: bool = True
    ) -> dict[str, Any]:
        """A create body carrying a stored document's party, lines, taxes, notes and invitations."""
        body: dict[str, Any] = {k: row[k] or "" for k in COPIED_TEXT}
        body.update({k: Decimal(row[k]) for k in COPIED_MONEY})
        contact = f"{self.party}_contact_id"
        body.update(
            {self.party_key: ids.encode(row[self.party_key])},
            is_amount_discount=row["is_amount_discount"],
            uses_inclusive_taxes=row["uses_inclusive_taxes"],
            line_items=json.loads(row["lines"], parse_float=Decimal),
            invitations=[{contact: ids.encode(c)} for c in await self.invited_contacts(who, row["id"])],
        )
        if row["assigned_user_id"] is not None:
            body["assigned_user_id"] = ids.encode(row["assigned_user_id"])
        if terms:
            body["terms"] = row["terms"]
        if footer:
            body["footer"] = row["footer"]
        return body
