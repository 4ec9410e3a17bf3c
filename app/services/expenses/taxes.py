"""An expense's taxes, as upstream's clients read them (the server stores what was sent; nothing is derived
on save). Up to three taxes, each named with a rate or an amount:

- inclusive (`uses_inclusive_taxes`): `amount` already holds the taxes; the total is the amount;
- by amount (`calculate_tax_by_amount`): the total is amount + tax_amount1..3;
- by rate: the total is amount + amount * tax_rateN / 100 for each tax.

This is the web app's expense total (useCalculateExpenseAmount) and the dashboard's (upstream's chart
queries, which add both the amounts and the rates; a row carries only one of the two as the web app saves
it). Invoicing an expense turns taxes entered by amount into the rates that give the same tax on the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SIX = Decimal("0.000001")
TAXES = (1, 2, 3)

# the same total in SQL over an expense row aliased `e` (the dashboard sums it)
GROSS_SQL = (
    "(CASE WHEN e.uses_inclusive_taxes THEN e.amount "
    "WHEN e.calculate_tax_by_amount THEN e.amount + e.tax_amount1 + e.tax_amount2 + e.tax_amount3 "
    "ELSE e.amount + e.amount * (e.tax_rate1 + e.tax_rate2 + e.tax_rate3) / 100 END)"
)


def _dec(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value)


def tax_total(e: Mapping[str, Any]) -> Decimal:
    """The taxes an expense carries (inclusive: the part of the amount that is tax)."""
    amount = _dec(e["amount"])
    if e["calculate_tax_by_amount"]:
        return sum((_dec(e[f"tax_amount{i}"]) for i in TAXES), ZERO)
    rates = [_dec(e[f"tax_rate{i}"]) for i in TAXES]
    if e["uses_inclusive_taxes"]:
        return sum((amount - amount / (1 + r / HUNDRED) for r in rates if r != -HUNDRED), ZERO)
    return sum((amount * r / HUNDRED for r in rates), ZERO)


def gross(e: Mapping[str, Any]) -> Decimal:
    """What the expense cost, taxes included (GROSS_SQL in Python)."""
    amount = _dec(e["amount"])
    return amount if e["uses_inclusive_taxes"] else amount + tax_total(e)


def line_rate(e: Mapping[str, Any], i: int) -> Decimal:
    """The rate of tax `i` on an invoice line made from the expense: the rate itself, or for a tax entered
    by amount the rate that gives that amount: on the net (exclusive), on the amount without this tax
    (inclusive: amount - amount / (1 + r) = tax)."""
    if not e["calculate_tax_by_amount"]:
        return _dec(e[f"tax_rate{i}"])
    tax, amount = _dec(e[f"tax_amount{i}"]), _dec(e["amount"])
    base = amount - tax if e["uses_inclusive_taxes"] else amount
    if tax == 0 or base == 0:
        return ZERO
    return (tax / base * HUNDRED).quantize(SIX, rounding=ROUND_HALF_UP)
