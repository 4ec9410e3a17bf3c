"""An invoice paid from the invoice itself: `mark_paid` (the whole balance) and `?amount_paid=N` record a
manual payment of the client and apply it, on an invoice the caller has locked (client first) inside its
own transaction. The payment number comes last, from the company counter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...auth import Principal
from ...db import Db
from ...entities.billing import STATUS_PAID
from ...errors import BadRequest
from .. import activities, money
from .context import today
from .invoice_transitions import apply_payment, mark_sent, payable, save

CREATE_PAYMENT, PAID_INVOICE = 10, 54
CANNOT_PAY = "Invoice cannot be marked as paid"
Row = dict[str, Any]


async def mark_paid(db: Db, who: Principal, inv: Row, setting: Any, reference: str, strict: bool) -> None:
    """A payment of the whole balance (a draft is marked sent first); the invoice is Paid. `strict` (the
    single action) refuses an invoice that cannot be paid with a 400; bulk and flags skip it."""
    if inv["is_deleted"] or inv["status_id"] == STATUS_PAID:
        if strict:
            raise BadRequest(CANNOT_PAY)
        return
    if payable(inv) is None:  # cancelled or reversed: nothing to pay
        if strict:
            raise BadRequest(CANNOT_PAY)
        return
    await mark_sent(db, who, inv, setting)
    if money.dec(inv["balance"]) == 0:  # nothing owed (a zero invoice): Paid without a payment
        await save(db, who, inv, status_id=STATUS_PAID)
        return
    await _pay(db, who, inv, setting, money.dec(inv["balance"]), reference, "Marked Paid Activity")


async def amount_paid(db: Db, who: Principal, inv: Row, setting: Any, amount: Decimal, reference: str) -> None:
    """A manual payment of `amount`; only up to the balance is applied (the rest stays unapplied)."""
    if inv["is_deleted"] or amount == 0 or inv["status_id"] == STATUS_PAID or payable(inv) is None:
        return
    await mark_sent(db, who, inv, setting)
    await _pay(db, who, inv, setting, amount, reference, "ApplyPaymentInvoice-")


async def _new_payment(
    db: Db, who: Principal, inv: Row, setting: Any, amount: Decimal, applied: Decimal, reference: str
) -> int:
    type_id = str(setting("payment_type_id", "0")).strip()
    return int(
        await db.fetchval(
            "INSERT INTO payments (company_id, user_id, client_id, status_id, amount, applied, date, "
            "transaction_reference, currency_id, type_id, number, is_manual) VALUES ($1, $2, $3, 4, $4, $5, $6, $7, "
            "$8, $9, $10, true) RETURNING id",
            who.company_id,
            who.user_id,
            inv["client_id"],
            amount,
            applied,
            today(setting("timezone_id", "1")),
            reference or "Manual entry",
            int(str(setting("currency_id", "1")) or 1),
            int(type_id) if type_id.isdigit() and int(type_id) > 0 else None,
            await money.payment_number(db, who.company_id),
        )
    )


async def _pay(db: Db, who: Principal, inv: Row, setting: Any, amount: Decimal, reference: str, notes: str) -> None:
    if amount <= 0:
        return
    applied = min(amount, money.dec(inv["balance"]))
    payment_id = await _new_payment(db, who, inv, setting, amount, applied, reference)
    await money.paymentable(db, who.company_id, payment_id, applied, invoice_id=inv["id"])
    await apply_payment(db, who, inv, applied, payment_id, notes, setting)
    await money.adjust_client(db, who.company_id, inv["client_id"], paid=amount)
    await money.refresh_payment_balance(db, who.company_id, inv["client_id"])
    await activities.record(
        db, who, CREATE_PAYMENT, payment_id=payment_id, invoice_id=inv["id"], client_id=inv["client_id"]
    )
    await activities.record(
        db, who, PAID_INVOICE, payment_id=payment_id, invoice_id=inv["id"], client_id=inv["client_id"]
    )
