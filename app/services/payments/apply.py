"""What a payment is applied to: the `invoices: [{invoice_id, amount}]` and `credits: [{credit_id, amount}]`
lists of its body, checked on the locked rows (each invoice the client's and payable, each amount within
what it owes; each credit the client's, live and within its balance), then applied: paymentables, the
invoices paid, the credits used. Callers hold the client lock, inside their one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.service import Row
from ...crud.validate import clean_decimal
from ...db import Db
from ...errors import Invalid, invalid
from .. import money
from ..billing import context
from ..billing.credits import apply_credit, lock_credits
from ..billing.invoice_transitions import apply_payment, payable

Entry = tuple[int, Decimal]  # (decoded id, amount)


def entries(data: Mapping[str, Any], field: str, key: str) -> list[Entry]:
    """`invoices: [{invoice_id, amount}]` -> [(id, amount)]; 422 naming `invoices.N.invoice_id` etc."""
    raw = data.get(field)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list) or len(raw) > 500:
        raise invalid(field, f"The {field} must be an array.")
    out: list[Entry] = []
    errors: dict[str, list[str]] = {}
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"{field}.{n}"] = [f"The {field}.{n} must be an object."]
            continue
        decoded = ids.decode_or_none(item.get(key)) if isinstance(item.get(key), str) else None
        if decoded is None:
            errors[f"{field}.{n}.{key}"] = [f"The selected {field}.{n}.{key} is invalid."]
        try:
            amount = clean_decimal(item.get("amount"))
        except ValueError:
            errors[f"{field}.{n}.amount"] = [f"The {field}.{n}.amount must be a number."]
            continue
        if amount < 0:
            errors[f"{field}.{n}.amount"] = [f"The {field}.{n}.amount must be at least 0."]
        if decoded is not None:
            if any(decoded == seen for seen, _ in out):
                errors[f"{field}.{n}.{key}"] = [f"The {field}.{n}.{key} field has a duplicate value."]
            out.append((decoded, amount))
    if errors:
        raise Invalid(errors)
    return out


async def check_invoices(db: Db, who: Principal, client_id: int, invoices: list[Entry]) -> dict[int, Row]:
    """Locked invoice rows; each must be the client's, payable, and the amount within what it owes."""
    invs = await money.lock_invoices(db, who.company_id, [i for i, _ in invoices])
    errors: dict[str, list[str]] = {}
    for n, (invoice_id, amount) in enumerate(invoices):
        inv = invs.get(invoice_id)
        if inv is None or inv["client_id"] != client_id:
            errors[f"invoices.{n}.invoice_id"] = [f"The selected invoices.{n}.invoice_id is invalid."]
            continue
        limit = payable(inv)
        if limit is None:
            errors["invoices"] = ["One or more of these invoices have been paid"]
        elif amount > limit:
            errors[f"invoices.{n}.amount"] = ["Amount cannot be greater than invoice balance"]
    if errors:
        raise Invalid(errors)
    return invs


async def check_credits(
    db: Db, who: Principal, client_id: int, credits: list[Entry], invoices: list[Entry], total_inv: Decimal
) -> tuple[Decimal, dict[int, Row]]:
    """-> (their total, the locked credit rows): each the client's, live, within its balance."""
    if not credits:
        return Decimal(0), {}
    rows = {r["id"]: r for r in await lock_credits(db, who.company_id, [c for c, _ in credits])}
    errors: dict[str, list[str]] = {}
    for n, (credit_id, amount) in enumerate(credits):
        row = rows.get(credit_id)
        if row is None or row["client_id"] != client_id or row["is_deleted"]:
            errors[f"credits.{n}.credit_id"] = [f"The selected credits.{n}.credit_id is invalid."]
        elif amount > money.dec(row["amount"] if row["status_id"] == 1 else row["balance"]):
            errors[f"credits.{n}.amount"] = ["Amount cannot be greater than credit balance"]
    total = sum((a for _, a in credits), Decimal(0))
    if not invoices:
        errors["invoices"] = ["Credits can only be applied to invoices."]
    elif total > total_inv:
        errors["credits"] = ["The credits total cannot be greater than the invoices total."]
    if total <= 0:
        errors.setdefault("credits", ["The credits total must be more than 0."])
    if errors:
        raise Invalid(errors)
    return total, rows


async def apply(
    db: Db,
    who: Principal,
    payment_id: int,
    invs: dict[int, Row],
    invoices: list[Entry],
    credits: list[Entry],
    credit_rows: dict[int, Row],
    setting: Any,
) -> None:
    """Paymentables, then each invoice paid in id order, then each credit used towards the first invoice."""
    for invoice_id, amount in sorted(invoices):
        await money.paymentable(db, who.company_id, payment_id, amount, invoice_id=invoice_id)
        await apply_payment(db, who, invs[invoice_id], amount, payment_id, setting=setting)
    if credits:
        for credit_id, amount in sorted(credits):
            if amount == 0:
                continue
            await money.paymentable(db, who.company_id, payment_id, amount, credit_id=credit_id)
            await apply_credit(db, who, credit_rows[credit_id], amount, invoices[0][0])


async def apply_existing(
    db: Db, who: Principal, client_id: int, payment: Row, invoices: list[Entry], credits: list[Entry]
) -> None:
    """Unapplied money of a stored payment (and credits) applied to invoices, on update."""
    if payment["status_id"] == 1:
        raise invalid("id", "A pending payment cannot be applied.")
    invs = await check_invoices(db, who, client_id, invoices)
    total_inv = sum((a for _, a in invoices), Decimal(0))
    total_credit, credit_rows = await check_credits(db, who, client_id, credits, invoices, total_inv)
    if await money.unapplied(db, who.company_id, payment) + total_credit < total_inv:
        raise invalid("invoices", "The amount to apply is greater than the unapplied amount of the payment.")
    setting = (await context.load(db, who.company_id, client_id))["setting"]
    await db.execute(
        "UPDATE payments SET applied = applied + $3 WHERE company_id = $1 AND id = $2",
        who.company_id,
        payment["id"],
        total_inv - total_credit,
    )
    if total_credit:  # credits count towards paid_to_date when they are used
        await money.adjust_client(db, who.company_id, client_id, paid=total_credit)
    await apply(db, who, payment["id"], invs, invoices, credits, credit_rows, setting)
    await money.refresh_payment_balance(db, who.company_id, client_id)
