"""A billing document's totals on every save, from its line items (billing.calc): amount, taxes, the stored
lines, and for a sent invoice the balance and status they imply. Totals a client sends are never read."""

from __future__ import annotations

from decimal import Decimal, DecimalException
from typing import Any

from ...crud.validate import MONEY_LIMIT
from ...entities.billing import STATUS_CANCELLED, STATUS_DRAFT, STATUS_PAID, STATUS_PARTIAL, STATUS_SENT
from ...errors import Invalid, invalid
from .calc import ZERO, Document, R, Totals, calculate
from .context import on
from .lines import stored_line

BELOW_PAID = "Invoice balance cannot go negative"
SURCHARGES = ("custom_surcharge1", "custom_surcharge2", "custom_surcharge3", "custom_surcharge4")
NICKEL = Decimal("0.05")
Row = dict[str, Any]


def too_big(x: Decimal) -> bool:
    return abs(x) >= MONEY_LIMIT


def apply(values: Row, m: dict[str, Any], lines: list[dict[str, Any]], ctx: dict[str, Any]) -> None:
    """Set the computed columns in `values`; `m` is the document as it will be (stored + sent values)."""
    errors = {
        f"line_items.{n}.cost": ["The line total must be below 10^14."]
        for n, line in enumerate(lines)
        if too_big(line["cost"] * line["quantity"])
    }
    if errors:
        raise Invalid(errors)
    try:
        totals = compute(m, lines, ctx["precision"])
    except DecimalException:  # e.g. an inclusive tax rate of -100 %, or rates far beyond any real tax
        raise invalid("amount", "The invoice total cannot be calculated from these values.") from None
    errors = {
        f"line_items.{n}.cost": ["The line total must be below 10^14."]
        for n, line in enumerate(totals.line_items)
        if any(too_big(line[k]) for k in ("line_total", "tax_amount", "gross_line_total"))
    }
    if errors:
        raise Invalid(errors)
    if too_big(totals.amount) or too_big(totals.total_taxes):
        raise invalid("amount", "The invoice total must be below 10^14.")
    amount = totals.amount
    if on(ctx["setting"]("enable_rappen_rounding", False)):  # Swiss 5-cent rounding
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
    if status in (STATUS_SENT, STATUS_PARTIAL, STATUS_PAID):  # re-derived from the new balance
        values["status_id"] = (
            STATUS_PAID if R(balance, 2) == 0 else STATUS_PARTIAL if 0 < balance < amount else STATUS_SENT
        )
    if balance != 0 and m["partial"] > amount > 0:
        values["partial"] = min(amount, balance)


def compute(m: dict[str, Any], lines: list[dict[str, Any]], precision: int) -> Totals:
    return calculate(
        Document(
            line_items=lines,
            discount=m["discount"],
            is_amount_discount=m["is_amount_discount"],
            uses_inclusive_taxes=m["uses_inclusive_taxes"],
            tax_names=tuple(m[f"tax_name{i}"] for i in (1, 2, 3)),
            tax_rates=tuple(m[f"tax_rate{i}"] for i in (1, 2, 3)),
            surcharges=tuple(m[s] for s in SURCHARGES),
            surcharge_taxed=tuple(bool(m[f"custom_surcharge_tax{i}"]) for i in (1, 2, 3, 4)),
            precision=precision,
        )
    )
