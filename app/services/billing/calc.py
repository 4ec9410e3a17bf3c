"""The invoice calculation engine (invoices, quotes, credits, recurring invoices), exact in Decimal.

Follows upstream's InvoiceSum / InvoiceSumInclusive step by step, with PHP's rounding: half away from
zero after normalising to 15 significant digits, and `F(x, n) = R(R(x, 6), n)` where upstream formats.
Totals are always recomputed here; totals a client sends are never trusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def R(x: Decimal, places: int) -> Decimal:
    """PHP round(): 15 significant digits first, then half away from zero."""
    if x:
        x = Decimal(format(x, ".15g"))
    return x.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def F(x: Decimal, places: int) -> Decimal:
    """Upstream's formatValue(): printed with 6 decimals, then rounded."""
    return R(R(x, 6), places)


@dataclass
class Document:
    """The inputs of a calculation (already validated to Decimal/bool/str)."""

    line_items: list[dict[str, Any]]
    discount: Decimal = ZERO
    is_amount_discount: bool = True
    uses_inclusive_taxes: bool = False
    tax_names: Sequence[str] = ("", "", "")
    tax_rates: Sequence[Decimal] = (ZERO, ZERO, ZERO)
    surcharges: Sequence[Decimal] = (ZERO, ZERO, ZERO, ZERO)
    surcharge_taxed: Sequence[bool] = (False, False, False, False)
    precision: int = 2


@dataclass
class Totals:
    amount: Decimal
    total_taxes: Decimal
    sub_total: Decimal
    discount_total: Decimal
    line_items: list[dict[str, Any]] = field(default_factory=list)
    tax_map: dict[str, Decimal] = field(default_factory=dict)


def _line_taxes(
    item: dict[str, Any], base: Decimal, inclusive: bool, precision: int, taxes: dict[str, Decimal], spread: bool
) -> Decimal:
    """A line's tax on `base`, adding each tax to the tax map.

    First pass (`spread=False`): a tax enters the map only if its name has > 1 character, and an inclusive
    line sums the taxes rounded to the currency precision. Amount-discount pass (`spread=True`, upstream's
    calcTaxesWithAmountDiscount): every non-zero tax enters the map whatever its name, and the line's tax
    is the plain sum of the 2-decimal taxes in both modes.
    """
    total = ZERO
    for k in (1, 2, 3):
        rate = item.get(f"tax_rate{k}", ZERO) or ZERO
        name = item.get(f"tax_name{k}", "") or ""
        if inclusive:
            amount = F(base - base / (1 + rate / HUNDRED), 2) if rate != -HUNDRED else ZERO
        else:
            amount = F(base * rate / HUNDRED, 2)
        total += F(amount, precision) if inclusive and not spread else amount
        if (spread and amount != 0) or (not spread and len(name) > 1):
            key = f"{name} {rate.normalize():f}%"
            taxes[key] = taxes.get(key, ZERO) + amount
    return F(total, precision) if inclusive and not spread else total


def calculate(doc: Document) -> Totals:
    P, D, AMT, inclusive = doc.precision, doc.discount or ZERO, doc.is_amount_discount, doc.uses_inclusive_taxes
    lines = [dict(item) for item in doc.line_items]
    sub_total = ZERO
    nets: list[Decimal] = []
    taxes: dict[str, Decimal] = {}
    for item in lines:
        lt = (item.get("cost") or ZERO) * (item.get("quantity") or ZERO)
        line_discount = item.get("discount") or ZERO
        if AMT:
            lt -= F(line_discount, P)
        elif inclusive:
            lt -= F(lt * line_discount / HUNDRED, P)
        else:
            lt = F(lt - lt * line_discount / HUNDRED, P)
        base = lt * (1 - D / HUNDRED)
        tax = _line_taxes(item, base, inclusive, P, taxes, spread=False)
        item["line_total"] = lt
        item["tax_amount"] = tax
        item["gross_line_total"] = lt if inclusive else lt + tax
        nets.append(lt)
        sub_total += lt if inclusive else R(lt, P)
    discount_total = D if AMT else R(sub_total * D / HUNDRED, 2)
    total = sub_total - discount_total
    total_taxes = ZERO
    rates = list(zip(doc.tax_names, doc.tax_rates, strict=True))
    surcharges = list(zip(doc.surcharges, doc.surcharge_taxed, strict=True))  # (amount, taxed)
    if inclusive:
        base = total
        if D > 0:
            base = F(sub_total - D, 2) if AMT else F(sub_total * (1 - D / HUNDRED), 2)
        base += sum((s for s, taxed in surcharges if s > 0 and taxed), ZERO)
        for name, rate in rates:
            if len(name or "") > 1:
                total_taxes += F(base - base / (1 + rate / HUNDRED), 2)
    else:
        for name, rate in rates:
            if len(name or "") >= 2:
                tax = R(total * rate / HUNDRED, 2)
                tax += sum((R(s * rate / HUNDRED, 2) for s, taxed in surcharges if taxed), ZERO)
                total_taxes += tax
    total += sum(doc.surcharges, ZERO)
    if AMT:  # upstream re-runs this whenever the discount is an amount, even a zero one
        taxes = {}
        for item, lt in zip(lines, nets, strict=True):
            if lt == 0:
                continue
            base = lt - lt * D / sub_total if sub_total else lt
            tax = _line_taxes(item, base, inclusive, P, taxes, spread=True)
            item["tax_amount"] = tax
            item["gross_line_total"] = lt if inclusive else lt + tax
    map_total = sum(taxes.values(), ZERO)
    total_taxes += map_total
    if not inclusive:
        total += total_taxes
    return Totals(
        amount=F(total, P),
        total_taxes=total_taxes,
        sub_total=sub_total,
        discount_total=discount_total,
        line_items=lines,
        tax_map=taxes,
    )
