"""Refunding a payment: `{id, amount?, invoices?: [{invoice_id, amount}], date?}`. Refunds against invoices
reopen them; a refund of unapplied money lowers the client's paid_to_date only. The caller runs it in one
transaction; it locks the client, then the payment, then the invoices in id order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.validate import clean_date, clean_decimal
from ...db import Db
from ...entities.billing import STATUS_SENT
from ...entities.payments import PAYMENT_PARTIALLY_REFUNDED, PAYMENT_REFUNDED
from ...errors import Invalid, invalid
from .. import activities, money
from ..billing.invoice_transitions import save
from ..money import LEDGER_INVOICE, ZERO, dec
from .apply import entries
from .deletion import locked_pivots

REFUND_PAYMENT = 40


async def refund(db: Db, who: Principal, data: Mapping[str, Any]) -> int:
    """`{id, amount?, invoices?: [{invoice_id, amount}], date?}` -> the payment id. Refunds against
    invoices reopen them (balance back, paid_to_date down, client too, ledger row); a refund of unapplied
    money lowers the client's paid_to_date only. More than is refundable: 422."""
    payment_id = ids.decode_or_none(data.get("id")) if isinstance(data.get("id"), str) else None
    row = (
        None
        if payment_id is None
        else await db.fetchrow(
            "SELECT client_id FROM payments WHERE company_id = $1 AND id = $2", who.company_id, payment_id
        )
    )
    if payment_id is None or row is None:
        raise invalid("id", "The selected id is invalid.")
    invoices = entries(data, "invoices", "invoice_id")
    try:
        clean_date(data.get("date"))
        amount = clean_decimal(data["amount"]) if data.get("amount") not in (None, "") else None
    except ValueError:
        raise invalid("amount", "The amount must be a number.") from None
    client_id = row["client_id"]
    await money.lock_client(db, who.company_id, client_id)
    payment = dict(
        await db.fetchrow_one(
            "SELECT * FROM payments WHERE company_id = $1 AND id = $2 FOR UPDATE", who.company_id, payment_id
        )
    )
    if payment["is_deleted"]:
        raise invalid("id", "The payment is deleted and cannot be refunded.")
    pivots = await locked_pivots(db, who, payment_id)
    by_invoice = {p["invoice_id"]: p for p in pivots if p["invoice_id"]}
    errors: dict[str, list[str]] = {}
    if by_invoice and not invoices:
        errors["invoices"] = ["The invoices to refund are required."]
    for n, (invoice_id, amt) in enumerate(invoices):
        p = by_invoice.get(invoice_id)
        if p is None:
            errors[f"invoices.{n}.invoice_id"] = [f"The selected invoices.{n}.invoice_id is invalid."]
        elif amt <= 0 or amt > dec(p["amount"]) - dec(p["refunded"]):
            errors[f"invoices.{n}.amount"] = ["Attempting to refund more than is refundable."]
    total = sum((a for _, a in invoices), ZERO) if invoices else (amount or ZERO)
    if not invoices and (total <= 0 or total > await money.unapplied(db, who.company_id, payment)):
        errors["amount"] = ["Attempting to refund more than is refundable."]
    if errors:
        raise Invalid(errors)
    refunded = dec(payment["refunded"]) + total
    if refunded > dec(payment["amount"]):
        raise invalid("amount", "Attempting to refund more than is refundable.")
    status = PAYMENT_REFUNDED if refunded == dec(payment["amount"]) else PAYMENT_PARTIALLY_REFUNDED
    await db.execute(
        "UPDATE payments SET refunded = $3, status_id = $4, updated_at = now() WHERE company_id = $1 AND id = $2",
        who.company_id,
        payment_id,
        refunded,
        status,
    )
    invs = await money.lock_invoices(db, who.company_id, [i for i, _ in invoices])
    for invoice_id, amt in sorted(invoices):
        p, inv = by_invoice[invoice_id], invs[invoice_id]
        await db.execute(
            "UPDATE paymentables SET refunded = refunded + $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["id"],
            amt,
        )
        balance = dec(inv["balance"]) + amt
        await save(
            db,
            who,
            inv,
            balance=balance,
            paid_to_date=dec(inv["paid_to_date"]) - amt,
            status_id=STATUS_SENT if balance == dec(inv["amount"]) else 3,
            auto_bill_enabled=False,
        )
        await money.move_balance(
            db,
            who,
            client_id,
            "invoice",
            invoice_id,
            amt,
            f"Refund of payment # {payment['number'] or ''}",
            LEDGER_INVOICE,
            paid=-amt,
        )
        await activities.record(
            db,
            who,
            REFUND_PAYMENT,
            payment_id=payment_id,
            invoice_id=invoice_id,
            client_id=client_id,
            notes=f"Refunded : {amt.normalize():f} - Gateway Refund : No",
        )
    if not invoices:
        await money.adjust_client(db, who.company_id, client_id, paid=-total)
        await activities.record(
            db,
            who,
            REFUND_PAYMENT,
            payment_id=payment_id,
            client_id=client_id,
            notes=f"Refunded : {total.normalize():f} - Gateway Refund : No",
        )
    await money.refresh_payment_balance(db, who.company_id, client_id)
    return int(payment_id)
