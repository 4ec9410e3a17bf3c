"""The invoice's state transitions that move money: mark sent, apply a payment, cancel, reverse, and the
effects of delete and restore (with the "_Deleted" renumbering), on rows the caller has locked (client
first, then invoices in id order) inside its own transaction. Each takes the locked invoice row (a dict
from money.lock_invoices) and keeps it current in place."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ...auth import Principal
from ...db import Db
from ...entities.billing import (
    STATUS_CANCELLED,
    STATUS_DRAFT,
    STATUS_PAID,
    STATUS_PARTIAL,
    STATUS_REVERSED,
    STATUS_SENT,
)
from .. import activities, numbering
from ..money import LEDGER_INVOICE, LEDGER_PAYMENT, ZERO, dec, derived_status, move_balance, refresh_payment_balance
from . import task_links

UPDATE_INVOICE, DELETE_INVOICE, RESTORE_INVOICE, REVERSED, CANCELLED = 5, 9, 25, 58, 59
Row = dict[str, Any]
DELETED_SUFFIX = re.compile(r"_Deleted(_[0-9]+)?$")


async def save(db: Db, who: Principal, inv: Row, **changes: Any) -> None:
    """Write `changes` to a locked invoice and keep the row dict current."""
    inv.update(changes)
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changes, start=3))
    await db.execute(
        f"UPDATE invoices SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
        who.company_id,
        inv["id"],
        *changes.values(),
    )


async def mark_sent(db: Db, who: Principal, inv: Row, setting: Any = None) -> bool:
    """Draft -> Sent: balance = amount, ledger +amount, client balance, number (when_sent), due date
    from the client's payment terms, invitations stamped, activity 5. False when not a live draft."""
    if inv["status_id"] != STATUS_DRAFT or inv["is_deleted"]:
        return False
    amount = dec(inv["amount"])
    changes: dict[str, Any] = {"status_id": STATUS_SENT, "balance": dec(inv["balance"]) + amount}
    if not inv["number"]:
        changes["number"] = await numbering.next_number(db, who.company_id, "invoice", "invoices")
    if setting is not None and inv["date"] is not None:
        terms = str(setting("payment_terms", "")).strip()
        if terms.isdigit() and int(terms) < 100000:
            if dec(inv["partial"]) > 0 and inv["partial_due_date"] is None:
                changes["partial_due_date"] = inv["date"] + timedelta(days=int(terms))
            elif inv["due_date"] is None:
                changes["due_date"] = inv["date"] + timedelta(days=int(terms))
    await save(db, who, inv, **changes)
    await move_balance(
        db, who, inv["client_id"], "invoice", inv["id"], amount, f"Invoice {inv['number'] or ''} marked as sent."
    )
    await db.execute(
        "UPDATE invoice_invitations SET sent_date = now(), updated_at = now() WHERE company_id = $1 "
        "AND invoice_id = $2 AND deleted_at IS NULL AND sent_date IS NULL",
        who.company_id,
        inv["id"],
    )
    await activities.record(db, who, UPDATE_INVOICE, invoice_id=inv["id"], client_id=inv["client_id"])
    return True


def payable(inv: Row) -> Decimal | None:
    """The most a payment may apply to this invoice now, or None when it is not payable."""
    if inv["is_deleted"] or inv["status_id"] not in (STATUS_DRAFT, STATUS_SENT, STATUS_PARTIAL):
        return None
    return dec(inv["amount"]) if inv["status_id"] == STATUS_DRAFT else dec(inv["balance"])


async def apply_payment(
    db: Db,
    who: Principal,
    inv: Row,
    amount: Decimal,
    payment_id: int,
    notes: str = "ApplyPaymentInvoice",
    setting: Any = None,
) -> Decimal:
    """`amount` of payment `payment_id` applied to the invoice (marked sent first if a draft); the
    partial rules; client balance -= applied with a payment-owned ledger row. Returns what was applied."""
    await mark_sent(db, who, inv, setting)
    balance, partial = dec(inv["balance"]), dec(inv["partial"])
    applied = min(amount, balance) if balance > 0 else ZERO
    new_balance = balance - applied
    changes: dict[str, Any] = {"balance": new_balance, "paid_to_date": dec(inv["paid_to_date"]) + applied}
    if partial > 0 and applied < partial:
        changes["partial"] = partial - applied  # status unchanged (upstream quirk 11)
    else:
        changes.update(partial=ZERO, partial_due_date=None)
        changes["status_id"] = (
            STATUS_PAID
            if new_balance.quantize(Decimal("0.01")) == 0
            else STATUS_PARTIAL
            if partial > 0
            else derived_status(new_balance, dec(inv["amount"]))
        )
    if new_balance.quantize(Decimal("0.01")) == 0:
        changes.update(status_id=STATUS_PAID, next_send_date=None)
    await save(db, who, inv, **changes)
    await move_balance(db, who, inv["client_id"], "payment", payment_id, -applied, notes, LEDGER_PAYMENT, always=True)
    return applied


async def cancel(db: Db, who: Principal, inv: Row) -> bool:
    """Sent/Partial, live, not archived -> Cancelled; balance 0 with a ledger row; activity 59."""
    if inv["status_id"] not in (STATUS_SENT, STATUS_PARTIAL) or inv["is_deleted"] or inv["deleted_at"]:
        return False
    balance = dec(inv["balance"])
    backup = dict(inv["backup"] or {}, cancellation={"adjustment": str(-balance), "status_id": inv["status_id"]})
    await save(db, who, inv, status_id=STATUS_CANCELLED, balance=ZERO, backup=backup)
    await move_balance(
        db, who, inv["client_id"], "invoice", inv["id"], -balance, f"Invoice {inv['number'] or ''} cancellation"
    )
    await activities.record(db, who, CANCELLED, invoice_id=inv["id"], client_id=inv["client_id"])
    return True


async def uncancel(db: Db, who: Principal, inv: Row) -> None:
    saved = (inv["backup"] or {}).get("cancellation") or {}
    adjustment = -Decimal(saved.get("adjustment", "0"))
    backup = {k: v for k, v in (inv["backup"] or {}).items() if k != "cancellation"}
    await save(db, who, inv, status_id=int(saved.get("status_id", STATUS_SENT)), balance=adjustment, backup=backup)
    await move_balance(
        db, who, inv["client_id"], "invoice", inv["id"], adjustment, f"Invoice {inv['number'] or ''} reversal"
    )


async def reverse(db: Db, who: Principal, inv: Row) -> bool:
    """Sent/Partial/Paid/Cancelled -> Reversed. Payments applied to it become unapplied."""
    if (
        inv["status_id"] not in (STATUS_SENT, STATUS_PARTIAL, STATUS_PAID, STATUS_CANCELLED)
        or inv["is_deleted"]
        or inv["deleted_at"]
    ):
        return False
    if inv["status_id"] == STATUS_CANCELLED:
        await uncancel(db, who, inv)
    pivots = await db.fetch(
        "SELECT id, payment_id, amount, refunded FROM paymentables WHERE company_id = $1 AND "
        "invoice_id = $2 AND deleted_at IS NULL ORDER BY payment_id, id FOR UPDATE",
        who.company_id,
        inv["id"],
    )
    await _lock_payments(db, who, [p["payment_id"] for p in pivots])
    for p in pivots:
        net = dec(p["amount"]) - dec(p["refunded"])
        await db.execute(
            "UPDATE payments SET applied = applied - $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["payment_id"],
            net,
        )
        await db.execute(
            "UPDATE paymentables SET amount = refunded, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["id"],
        )
    balance = dec(inv["balance"])
    await save(db, who, inv, status_id=STATUS_REVERSED, balance=ZERO, paid_to_date=ZERO)
    await move_balance(
        db, who, inv["client_id"], "invoice", inv["id"], -balance, f"Credit for reversal of {inv['number'] or ''}"
    )
    await activities.record(db, who, REVERSED, invoice_id=inv["id"], client_id=inv["client_id"])
    await refresh_payment_balance(db, who.company_id, inv["client_id"])
    return True


async def _lock_payments(db: Db, who: Principal, payment_ids: list[int]) -> None:
    if payment_ids:
        await db.execute(
            "SELECT 1 FROM payments WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
            who.company_id,
            sorted(set(payment_ids)),
        )


async def delete_effects(db: Db, who: Principal, inv: Row) -> None:
    """Delete (before the row is flagged deleted): client balance -= balance (ledger row even when 0),
    paid_to_date -= what its payments still pay on it; its paymentables soft-deleted and each payment's
    amount reduced by that net (applied by the pivot amount, so payment invariants keep holding); payments
    left with nothing are deleted. A quote converted into it is released, and so are the tasks it billed."""
    await task_links.free(db, who, inv["id"])
    pivots = await db.fetch(
        "SELECT id, payment_id, amount, refunded FROM paymentables WHERE company_id = $1 AND "
        "invoice_id = $2 AND deleted_at IS NULL ORDER BY payment_id, id FOR UPDATE",
        who.company_id,
        inv["id"],
    )
    payment_ids = sorted({p["payment_id"] for p in pivots})
    await _lock_payments(db, who, payment_ids)
    paid = ZERO
    for p in pivots:
        net = dec(p["amount"]) - dec(p["refunded"])
        paid += net
        await db.execute(
            "UPDATE paymentables SET deleted_at = now(), updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["id"],
        )
        await db.execute(
            "UPDATE payments SET amount = amount - $3, applied = applied - $4, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["payment_id"],
            net,
            dec(p["amount"]),
        )
    for payment_id in payment_ids:  # nothing left on a payment: it goes with the invoice
        await db.execute(
            "UPDATE payments SET is_deleted = true, deleted_at = COALESCE(deleted_at, now()), updated_at = now() "
            "WHERE company_id = $1 AND id = $2 AND amount - refunded = 0 AND NOT EXISTS (SELECT 1 FROM paymentables "
            "x WHERE x.company_id = $1 AND x.payment_id = $2 AND x.deleted_at IS NULL)",
            who.company_id,
            payment_id,
        )
    balance = dec(inv["balance"]) if inv["status_id"] in (STATUS_SENT, STATUS_PARTIAL) else ZERO
    await move_balance(
        db,
        who,
        inv["client_id"],
        "invoice",
        inv["id"],
        -balance,
        "Invoice Deleted - reducing ledger balance",
        LEDGER_PAYMENT,
        paid=-paid,
        always=True,
    )
    if await db.fetchval("SELECT to_regclass('quotes') IS NOT NULL"):
        await db.execute(
            "UPDATE quotes SET invoice_id = NULL, status_id = 2, updated_at = now() WHERE company_id = $1 "
            "AND invoice_id = $2",
            who.company_id,
            inv["id"],
        )
    await refresh_payment_balance(db, who.company_id, inv["client_id"])


async def restore_effects(db: Db, who: Principal, inv: Row) -> bool:
    """Restore (before the row is un-deleted): False (stays deleted) when one of its payments was deleted
    while the invoice shows nothing paid; else client balance += balance, paid_to_date += what its
    paymentables carried, which come back with their payments."""
    pivots = await db.fetch(
        "SELECT x.id, x.payment_id, x.amount, x.refunded, p.is_deleted AS gone FROM paymentables x "
        "JOIN payments p ON p.company_id = x.company_id AND p.id = x.payment_id "
        "WHERE x.company_id = $1 AND x.invoice_id = $2 AND x.deleted_at IS NOT NULL "
        "ORDER BY x.payment_id, x.id",
        who.company_id,
        inv["id"],
    )
    if any(p["gone"] for p in pivots) and dec(inv["paid_to_date"]) == 0:
        return False
    await _lock_payments(db, who, [p["payment_id"] for p in pivots])
    paid = ZERO
    for p in pivots:
        net = dec(p["amount"]) - dec(p["refunded"])
        paid += net
        await db.execute(
            "UPDATE paymentables SET deleted_at = NULL, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["id"],
        )
        await db.execute(
            "UPDATE payments SET amount = amount + $3, applied = applied + $4, is_deleted = false, "
            "deleted_at = NULL, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            p["payment_id"],
            net,
            dec(p["amount"]),
        )
    balance = dec(inv["balance"]) if inv["status_id"] in (STATUS_SENT, STATUS_PARTIAL) else ZERO
    await move_balance(
        db,
        who,
        inv["client_id"],
        "invoice",
        inv["id"],
        balance,
        f"Restored invoice {inv['number'] or ''}",
        LEDGER_INVOICE,
        paid=paid,
    )
    await refresh_payment_balance(db, who.company_id, inv["client_id"])
    return True


async def renumber(db: Db, who: Principal, invoice_id: int, number: str, deleting: bool) -> None:
    """Delete frees the number ("0001" -> "0001_Deleted", "_Deleted_1", ...); restore takes it back, or a
    fresh one when it was reused meanwhile."""

    async def free(candidate: str) -> bool:
        return (
            await db.fetchval(
                "SELECT 1 FROM invoices WHERE company_id = $1 AND number = $2 AND id <> $3",
                who.company_id,
                candidate,
                invoice_id,
            )
            is None
        )

    if deleting:
        candidate, n = f"{number}_Deleted", 0
        while not await free(candidate):
            n += 1
            candidate = f"{number}_Deleted_{n}"
    else:
        candidate = DELETED_SUFFIX.sub("", number)
        if candidate == number:
            return
        if not candidate or not await free(candidate):
            candidate = await numbering.next_number(db, who.company_id, "invoice", "invoices")
    await db.execute(
        "UPDATE invoices SET number = $3 WHERE company_id = $1 AND id = $2", who.company_id, invoice_id, candidate
    )
