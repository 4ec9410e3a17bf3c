"""Line items (upstream InvoiceItem): incoming items normalised to the full shape with
defaults and types, unknown keys dropped; stored as jsonb with money as exact JSON numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from ...crud.validate import clean_decimal, clean_text, message
from ...entities.catalog import TAX_CATEGORIES
from ...errors import Invalid, invalid
from .calc import ZERO

MAX_LINES = 500
LINE_MONEY = ("quantity", "cost", "product_cost", "discount", "tax_rate1", "tax_rate2", "tax_rate3")
LINE_TEXT = {
    "product_key": 191,
    "notes": 65535,
    "tax_name1": 191,
    "tax_name2": 191,
    "tax_name3": 191,
    "date": 191,
    "custom_value1": 65535,
    "custom_value2": 65535,
    "custom_value3": 65535,
    "custom_value4": 65535,
    "task_id": 191,
    "expense_id": 191,
    "unit_code": 191,
    "sort_id": 191,
}
LINE_TYPES = ("1", "2", "3", "4", "5", "6")


def clean_line(item: Any, prefix: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    """One incoming line -> the full upstream line item (defaults filled, types cast, unknown keys dropped)."""
    if not isinstance(item, dict):
        errors[prefix.rstrip(".")] = ["The line item must be an object."]
        return {}
    out: dict[str, Any] = {}

    def get(name: str, default: Any) -> Any:
        value = item.get(name)
        return default if value is None or value == "" else value

    for name in LINE_MONEY:
        try:
            out[name] = clean_decimal(get(name, ZERO))
        except ValueError as exc:
            errors[prefix + name] = [message(prefix + name, exc)]
    for name, limit in LINE_TEXT.items():
        try:
            out[name] = clean_text(get(name, "0" if name == "sort_id" else "C62" if name == "unit_code" else ""), limit)
        except ValueError as exc:
            errors[prefix + name] = [message(prefix + name, exc)]
    type_id = str(get("type_id", "1")).strip()
    type_id = "1" if type_id == "0" else type_id
    if type_id not in LINE_TYPES:
        errors[prefix + "type_id"] = [f"The selected {prefix}type_id is invalid."]
    tax_id = str(get("tax_id", "2" if type_id == "2" else "1")).strip()
    if tax_id not in TAX_CATEGORIES:
        errors[prefix + "tax_id"] = [f"The selected {prefix}tax_id is invalid."]
    out.update(type_id=type_id, tax_id=tax_id)
    return out


def clean_lines(raw: Any) -> list[dict[str, Any]]:
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise invalid("line_items", "The line items must be an array.")
    if len(raw) > MAX_LINES:
        raise invalid("line_items", f"The line items may not have more than {MAX_LINES} items.")
    errors: dict[str, list[str]] = {}
    lines = [clean_line(item, f"line_items.{n}.", errors) for n, item in enumerate(raw)]
    if errors:
        raise Invalid(errors)
    return lines


ORDER = (
    "quantity",
    "cost",
    "product_key",
    "product_cost",
    "notes",
    "discount",
    "is_amount_discount",
    "tax_name1",
    "tax_rate1",
    "tax_name2",
    "tax_rate2",
    "tax_name3",
    "tax_rate3",
    "sort_id",
    "line_total",
    "gross_line_total",
    "tax_amount",
    "date",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "type_id",
    "tax_id",
    "task_id",
    "expense_id",
    "unit_code",
)


def stored_line(line: dict[str, Any], amount_discount: bool) -> dict[str, Any]:
    """-> the jsonb element: money as exact JSON numbers (orjson fragments), every key of 1.10 present."""
    out = {**line, "is_amount_discount": amount_discount}
    return {k: orjson.Fragment(format(out[k], "f")) if isinstance(out[k], Decimal) else out[k] for k in ORDER}


PLACEHOLDERS = ("MONTH", "QUARTER", "YEAR")


async def upsert_products(db: Any, company_id: int, user_id: int, lines: list[dict[str, Any]]) -> None:
    """Upstream UpdateOrCreateProduct (company.update_products): each product line (type 1) with a
    product_key updates the product of that key (archived/deleted ones too) or creates it. Lines from
    tasks or expenses leave products alone, as do products whose notes hold date placeholders."""
    if any(line["task_id"] or line["expense_id"] for line in lines):
        return
    for line in lines:
        if line["type_id"] != "1" or not line["product_key"]:
            continue
        found = await db.fetchrow(
            "SELECT id, notes FROM products WHERE company_id = $1 AND product_key = $2 ORDER BY is_deleted, id LIMIT 1",
            company_id,
            line["product_key"],
        )
        if found is not None and any(p in found["notes"].upper() for p in PLACEHOLDERS):
            continue
        values = {
            "notes": line["notes"],
            "price": line["cost"],
            **{f"tax_name{i}": line[f"tax_name{i}"] for i in (1, 2, 3)},
            **{f"tax_rate{i}": line[f"tax_rate{i}"] for i in (1, 2, 3)},
            "tax_id": line["tax_id"],
            **{f"custom_value{i}": line[f"custom_value{i}"][:191] for i in (1, 2, 3, 4) if line[f"custom_value{i}"]},
        }
        if found is None:
            values.update(
                company_id=company_id, user_id=user_id, product_key=line["product_key"], quantity=line["quantity"]
            )
            cols = list(values)
            await db.execute(
                f"INSERT INTO products ({', '.join(cols)}) VALUES "
                f"({', '.join(f'${i}' for i in range(1, len(cols) + 1))})",
                *values.values(),
            )
        else:
            cols = list(values)
            sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=3))
            await db.execute(
                f"UPDATE products SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
                company_id,
                found["id"],
                *values.values(),
            )
