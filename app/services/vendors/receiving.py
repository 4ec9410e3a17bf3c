"""What a purchase order's delivery makes: the expense of a conversion (upstream PurchaseOrderExpense) and
the stock of add_to_inventory (upstream PurchaseOrderInventory). Both run under the purchase order's row
lock, which the caller holds, so a conversion happens once however many requests race for it."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import asyncpg

from ... import ids
from ...auth import Principal
from ...db import Db
from ...entities import REGISTRY
from ...errors import invalid
from ..billing.context import today
from ..expenses.expenses import ExpenseService

STOCK_LIMIT = 2**31  # products.in_stock_quantity is an integer column
TOO_MUCH = "The stock quantity of a product would be out of range."


def _lines(po: dict[str, Any]) -> list[dict[str, Any]]:
    lines = json.loads(po["lines"], parse_float=Decimal)
    return [line for line in lines if isinstance(line, dict)]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def expense_notes(po: dict[str, Any]) -> str:
    """One line per item, "{quantity} x {product_key} [ {notes} ]", as upstream writes the public notes."""
    out = []
    for line in _lines(po):
        quantity = Decimal(str(line.get("quantity") or 0)).normalize()
        out.append(f"{quantity:f} x {_text(line.get('product_key'))} [ {_text(line.get('notes'))} ]\n")
    return "".join(out)


async def convert_to_expense(db: Db, who: Principal, po: dict[str, Any], timezone_id: Any) -> int:
    """An expense for the vendor with the order's amount (net of taxes unless they are inclusive, the taxes
    then carried as one tax amount), in the vendor's currency, dated today; the order gets its expense_id."""
    vendor = await db.fetchrow_one(
        "SELECT v.currency_id, co.settings FROM vendors v JOIN companies co ON co.id = v.company_id "
        "WHERE v.company_id = $1 AND v.id = $2",
        who.company_id,
        po["vendor_id"],
    )
    company_currency = str((vendor["settings"] or {}).get("currency_id") or "1")
    currency = vendor["currency_id"] or (int(company_currency) if company_currency.isdigit() else 1)
    amount, taxes = Decimal(po["amount"]), Decimal(po["total_taxes"])
    # through the expense service: its number, defaults, checks and activity, as any other expense's
    expense = await ExpenseService(REGISTRY["expense"], db).create(
        who,
        {
            "vendor_id": ids.encode(po["vendor_id"]),
            "client_id": ids.encode(po["client_id"]) if po["client_id"] else None,
            "currency_id": str(currency),
            "amount": str(amount if po["uses_inclusive_taxes"] else amount - taxes),
            "date": today(timezone_id).isoformat(),
            "uses_inclusive_taxes": po["uses_inclusive_taxes"],
            "calculate_tax_by_amount": True,
            "tax_name1": "Tax" if taxes > 0 else "",
            "tax_amount1": str(taxes if taxes > 0 else Decimal(0)),
            "private_notes": f"Purchase Order # {po['number'] or ''}",
            "public_notes": expense_notes(po),
        },
    )
    expense_id: int = expense["id"]
    await db.execute(
        "UPDATE expenses SET purchase_order_id = $3, project_id = $4 WHERE company_id = $1 AND id = $2",
        who.company_id,
        expense_id,
        po["id"],
        po["project_id"],  # upstream takes the project's client too; orders carry no project yet
    )
    await db.execute(
        "UPDATE purchase_orders SET expense_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
        who.company_id,
        po["id"],
        expense_id,
    )
    return expense_id


async def add_to_inventory(db: Db, who: Principal, po: dict[str, Any]) -> None:
    """Each line's quantity joins the stock of the company's product with its product_key; a key no
    product has yet becomes a product (the line's notes, cost as price, custom values), as upstream."""
    for line in _lines(po):
        key = _text(line.get("product_key")).strip()
        if not key:
            continue
        quantity = Decimal(str(line.get("quantity") or 0)).to_integral_value(rounding=ROUND_HALF_UP)
        if abs(quantity) >= STOCK_LIMIT:
            raise invalid("line_items", TOO_MUCH)
        try:
            raised = await db.fetchval(
                "UPDATE products SET in_stock_quantity = in_stock_quantity + $3, updated_at = now() "
                "WHERE company_id = $1 AND id = (SELECT id FROM products WHERE company_id = $1 AND product_key = $2 "
                "AND deleted_at IS NULL ORDER BY id LIMIT 1) RETURNING id",
                who.company_id,
                key,
                int(quantity),
            )
        except asyncpg.NumericValueOutOfRangeError:  # the stock column is an integer: the transaction rolls back
            raise invalid("line_items", TOO_MUCH) from None
        if raised is None:
            await db.execute(
                "INSERT INTO products (company_id, user_id, product_key, notes, price, quantity, in_stock_quantity, "
                "custom_value1, custom_value2, custom_value3, custom_value4) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                who.company_id,
                who.user_id,
                key[:191],
                _text(line.get("notes"))[:65535],
                Decimal(str(line.get("cost") or 0)),
                Decimal(str(line.get("quantity") or 0)),
                int(quantity),
                *(_text(line.get(f"custom_value{i}"))[:191] for i in (1, 2, 3, 4)),
            )
