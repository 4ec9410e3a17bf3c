"""Deleting a payment: everything it did is reversed. The caller holds the client lock; this locks the
payment's invoices and credits in id order, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from ...auth import Principal
from ...db import Db
from ...entities.billing import STATUS_SENT
from ...entities.payments import PAYMENT_CANCELLED
from .. import money
from ..billing.invoice_transitions import save
from ..money import LEDGER_INVOICE, ZERO, dec, derived_status


async def locked_pivots(db: Db, who: Principal, payment_id: int) -> list[dict[str, Any]]:
    """The payment's live paymentables, locked, in id order."""
    return [
        dict(r)
        for r in await db.fetch(
            "SELECT * FROM paymentables WHERE company_id = $1 AND payment_id = $2 AND deleted_at IS NULL "
            "ORDER BY id FOR UPDATE",
            who.company_id,
            payment_id,
        )
    ]


async def delete_payment(db: Db, who: Principal, payment: dict[str, Any]) -> None:
    """On a locked, live payment: credits returned, each live invoice gets back what the payment still
    paid on it (unarchived, ledger row, client balance), client paid_to_date loses the whole payment;
    paymentables removed; status Cancelled. The caller then flags it deleted."""
    pivots = await locked_pivots(db, who, payment["id"])
    client_id = payment["client_id"]
    invs = await money.lock_invoices(db, who.company_id, [p["invoice_id"] for p in pivots if p["invoice_id"]])
    credit_ids = sorted(p["credit_id"] for p in pivots if p["credit_id"])
    if credit_ids:
        await db.execute(
            "SELECT 1 FROM credits WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
            who.company_id,
            credit_ids,
        )
    credit_total = invoice_net = ZERO
    for p in pivots:
        if p["credit_id"]:
            back = abs(dec(p["amount"])) - dec(p["refunded"])
            credit_total += back
            await db.execute(
                "UPDATE credits SET balance = balance + $3, paid_to_date = paid_to_date - $3, "
                "status_id = 2, updated_at = now() WHERE company_id = $1 AND id = $2",
                who.company_id,
                p["credit_id"],
                back,
            )
            await money.adjust_client(db, who.company_id, client_id, credit=back)
            continue
        net = dec(p["amount"]) - dec(p["refunded"])
        invoice_net += net
        inv = invs[p["invoice_id"]]
        if inv["is_deleted"]:
            await save(db, who, inv, paid_to_date=dec(inv["paid_to_date"]) - net)
            continue
        balance = dec(inv["balance"]) + net
        status = STATUS_SENT if balance == dec(inv["amount"]) else derived_status(balance, dec(inv["amount"]))
        await save(
            db,
            who,
            inv,
            balance=balance,
            paid_to_date=dec(inv["paid_to_date"]) - net,
            status_id=status,
            deleted_at=None,
        )
        await money.move_balance(
            db,
            who,
            client_id,
            "invoice",
            inv["id"],
            net,
            f"Adjusting invoice {inv['number'] or ''} due to deletion of Payment {payment['number'] or ''}",
            LEDGER_INVOICE,
            paid=-net,
        )
    cash_left = dec(payment["amount"]) - dec(payment["refunded"]) - (invoice_net - credit_total)
    await money.adjust_client(db, who.company_id, client_id, paid=-max(ZERO, cash_left))  # unapplied cash
    await db.execute(
        "DELETE FROM paymentables WHERE company_id = $1 AND payment_id = $2", who.company_id, payment["id"]
    )
    await db.execute(
        "UPDATE payments SET status_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
        who.company_id,
        payment["id"],
        PAYMENT_CANCELLED,
    )
    await money.refresh_payment_balance(db, who.company_id, client_id)
