"""Expenses: what an expense and a recurring expense share on save (SpendingService), and the expense's own
bulk actions (ExpenseService).

On save: the number comes from the company's counter (`expense`, `recurring_expense`) when none is sent and
is unique in the company, trashed rows included (422 "The number has already been taken."); a new row takes
the client's currency (client -> group -> company settings) when it has a client, else the company's; the
invoice currency defaults to that currency, the exchange rate to 1 (0 or less is 1), the date to today
where the company is, and the tax mode to the company's `calculate_expense_tax_by_amount` and
`expense_inclusive_taxes`. Links (vendor, client, category, invoice) must be rows of the company (the generic
check_refs: another company's id is a 422 like a missing one); an invoice must also be the expense's
client's, as upstream's globalRules require. Money is kept exact, to the 6 places of the columns.

Bulk: archive, restore, delete (generic, activities 35/37/36), `bulk_categorize` (the body's `category_id`,
a category of the company in any state; activity 47 per expense) and `invoice` (expenses.invoicing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.service import Row
from ...errors import invalid
from ..billing import context
from ..numbered import NumberedService
from . import invoicing

SIX = Decimal("0.000001")
MONEY = (
    "amount",
    "foreign_amount",
    "exchange_rate",
    *(f"tax_rate{i}" for i in (1, 2, 3)),
    *(f"tax_amount{i}" for i in (1, 2, 3)),
)
COMPANY_SQL = "SELECT settings, attributes FROM companies WHERE id = $1"


class SpendingService(NumberedService):
    """The rules of an expense and of a recurring expense (the table and the counter are the entity's)."""

    setting: Any  # setting(key, default) of the write in progress (a service instance serves one call)

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        client_id = values["client_id"] if "client_id" in values else (current or {}).get("client_id")
        setting = self.setting = await self.settings(who, client_id)  # kept for a subclass's rules
        if current is None:
            await self._defaults(who, values, data, setting)
        for column in MONEY:  # the precision the numeric(20,6) columns will store
            if values.get(column) is not None:
                values[column] = Decimal(values[column]).quantize(SIX, rounding=ROUND_HALF_UP)
        if values.get("exchange_rate") is not None and values["exchange_rate"] <= 0:
            values["exchange_rate"] = Decimal(1)
        invoice_id = values["invoice_id"] if "invoice_id" in values else (current or {}).get("invoice_id")
        if invoice_id is not None and ("invoice_id" in values or "client_id" in values):
            owner = await self.db.fetchval(
                "SELECT client_id FROM invoices WHERE company_id = $1 AND id = $2", who.company_id, invoice_id
            )
            if owner is None or owner != client_id:
                raise invalid("invoice_id", "The selected invoice id is invalid.")
        await self.assign_number(who, values, current)

    async def settings(self, who: Principal, client_id: int | None) -> Any:
        """setting(key, default): the client's settings over its group's over the company's, or the company's
        alone without a client; `_attributes` keeps the company's own flags."""
        if client_id is not None:
            ctx = await context.load(self.db, who.company_id, client_id)
            self._attributes: dict[str, Any] = ctx["attributes"]
            return ctx["setting"]
        row = await self.db.fetchrow_one(COMPANY_SQL, who.company_id)
        company, self._attributes = row["settings"] or {}, row["attributes"] or {}

        def setting(key: str, default: Any = "") -> Any:
            value = company.get(key)
            return default if value is None or value == "" else value

        return setting

    async def _defaults(self, who: Principal, values: Row, data: Mapping[str, Any], setting: Any) -> None:
        currency = str(setting("currency_id", "1"))
        if values.get("currency_id") is None and currency.isdigit():
            values["currency_id"] = int(currency)
        if values.get("invoice_currency_id") is None:
            values["invoice_currency_id"] = values.get("currency_id")
        if values.get("date") is None:
            values["date"] = context.today(setting("timezone_id", "1"))
        for column, flag in (
            ("calculate_tax_by_amount", "calculate_expense_tax_by_amount"),
            ("uses_inclusive_taxes", "expense_inclusive_taxes"),
        ):
            if column not in data and flag in self._attributes:
                values[column] = context.on(self._attributes[flag])


class ExpenseService(SpendingService):
    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "bulk_categorize":
            await self._categorize(who, entity_ids, data.get("category_id"))
        elif action == "invoice":
            await invoicing.invoice_expenses(self.db, who, entity_ids)
        else:
            await super().bulk_other(who, action, entity_ids, data)

    async def _categorize(self, who: Principal, entity_ids: Sequence[int], raw: Any) -> None:
        category_id = ids.decode_or_none(raw) if isinstance(raw, str) and raw else None
        if raw in (None, ""):
            raise invalid("category_id", "The category id field is required.")
        found = category_id is not None and await self.db.fetchval(
            "SELECT 1 FROM expense_categories WHERE company_id = $1 AND id = $2", who.company_id, category_id
        )
        if not found:
            raise invalid("category_id", "The selected category id is invalid.")
        changed = await self.db.fetch(
            "UPDATE expenses SET category_id = $3, updated_at = now() WHERE company_id = $1 "
            "AND id = ANY($2::bigint[]) RETURNING id",
            who.company_id,
            list(entity_ids),
            category_id,
        )
        for row in sorted(changed, key=lambda r: r["id"]):
            await self.record(who, "update", row["id"])
