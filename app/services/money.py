"""The building blocks every money movement uses (invoices, payments, credits).

Lock order, in ONE transaction per API call: client rows (id order), then payments, then invoices
(id order), then credits (id order), then the company row (counters). Every client.balance change writes a
ledger row whose running balance is the client's balance after the change, so the last ledger row always
equals client.balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from ..auth import Principal
from ..db import Db
from ..entities.billing import STATUS_PAID, STATUS_PARTIAL, STATUS_SENT
from . import numbering

ZERO = Decimal(0)
LEDGER_INVOICE, LEDGER_PAYMENT = 5, 11
CENT = Decimal("0.01")


def dec(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value)


def derived_status(balance: Decimal, amount: Decimal) -> int:
    """Status of a non-draft, non-cancelled invoice from its balance (on save and when a payment is applied)."""
    if balance.quantize(CENT) == 0:
        return STATUS_PAID
    if 0 < balance < amount:
        return STATUS_PARTIAL
    return STATUS_SENT


async def lock_clients(db: Db, company_id: int, client_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM clients WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
        company_id,
        sorted(set(client_ids)),
    )
    return {r["id"]: dict(r) for r in rows}


async def lock_client(db: Db, company_id: int, client_id: int) -> dict[str, Any]:
    return (await lock_clients(db, company_id, [client_id]))[client_id]


async def lock_invoices(db: Db, company_id: int, invoice_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM invoices WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
        company_id,
        sorted(set(invoice_ids)),
    )
    return {r["id"]: dict(r) for r in rows}


async def owners(db: Db, company_id: int, table: str, entity_ids: Sequence[int]) -> list[int]:
    """The distinct clients of some invoices/payments/credits (to lock them first)."""
    rows = await db.fetch(
        f"SELECT DISTINCT client_id FROM {table} WHERE company_id = $1 AND id = ANY($2::bigint[])",
        company_id,
        list(entity_ids),
    )
    return sorted(r["client_id"] for r in rows)


async def adjust_client(
    db: Db, company_id: int, client_id: int, balance: Decimal = ZERO, paid: Decimal = ZERO, credit: Decimal = ZERO
) -> None:
    if balance or paid or credit:
        await db.execute(
            "UPDATE clients SET balance = balance + $3, paid_to_date = paid_to_date + $4, "
            "credit_balance = credit_balance + $5, updated_at = now() WHERE company_id = $1 AND id = $2",
            company_id,
            client_id,
            balance,
            paid,
            credit,
        )


async def ledger(
    db: Db, who: Principal, client_id: int, owner: str, owner_id: int, adjustment: Decimal, notes: str, activity_id: int
) -> None:
    """A ledger row whose balance is the client's balance now (call after adjust_client)."""
    await db.execute(
        "INSERT INTO company_ledgers (company_id, client_id, user_id, activity_id, ledgerable_type, ledgerable_id, "
        "adjustment, balance, notes) SELECT $1, $2, $3, $4, $5, $6, $7, c.balance, $8 FROM clients c "
        "WHERE c.company_id = $1 AND c.id = $2",
        who.company_id,
        client_id,
        who.user_id,
        activity_id,
        owner,
        owner_id,
        adjustment,
        notes,
    )


async def move_balance(
    db: Db,
    who: Principal,
    client_id: int,
    owner: str,
    owner_id: int,
    adjustment: Decimal,
    notes: str,
    activity_id: int = LEDGER_INVOICE,
    paid: Decimal = ZERO,
    always: bool = False,
) -> None:
    """client.balance += adjustment (and paid_to_date += paid) with its ledger row (skipped when 0 unless
    `always`, as upstream's invoice-type writer)."""
    await adjust_client(db, who.company_id, client_id, adjustment, paid)
    if adjustment or always:
        await ledger(db, who, client_id, owner, owner_id, adjustment, notes, activity_id)


async def open_balance(db: Db, company_id: int, client_id: int) -> Decimal:
    """What the client's balance must be: Σ balance of its non-deleted Sent or Partial invoices."""
    return dec(
        await db.fetchval(
            "SELECT COALESCE(sum(balance), 0) FROM invoices WHERE company_id = $1 AND client_id = $2 "
            "AND status_id IN (2, 3) AND is_deleted = false",
            company_id,
            client_id,
        )
    )


async def recompute_balance(db: Db, who: Principal, client_id: int, invoice_id: int, number: str) -> None:
    """A saved non-draft invoice: the client balance recomputed; a change leaves an "Update Adjustment"
    ledger row carrying the new balance."""
    old = dec(
        await db.fetchval("SELECT balance FROM clients WHERE company_id = $1 AND id = $2", who.company_id, client_id)
    )
    diff = await open_balance(db, who.company_id, client_id) - old
    if diff:
        await move_balance(
            db,
            who,
            client_id,
            "invoice",
            invoice_id,
            diff,
            f"Update Adjustment Invoice # {number} => {diff.normalize():f}",
        )


async def refresh_payment_balance(db: Db, company_id: int, client_id: int) -> None:
    """payment_balance = unapplied money of the client's live payments (pending, completed, refunded ones).
    Refunds made against invoices do not count twice (upstream subtracts them again and goes negative)."""
    await db.execute(
        "UPDATE clients SET payment_balance = (SELECT COALESCE(sum(GREATEST(0, p.amount - p.applied - p.refunded "
        "+ COALESCE((SELECT sum(x.refunded) FROM paymentables x WHERE x.company_id = p.company_id AND "
        "x.payment_id = p.id AND x.invoice_id IS NOT NULL AND x.deleted_at IS NULL), 0))), 0) FROM payments p "
        "WHERE p.company_id = $1 AND p.client_id = $2 AND p.is_deleted = false AND p.status_id IN (1, 4, 5, 6)) "
        "WHERE company_id = $1 AND id = $2",
        company_id,
        client_id,
    )


async def unapplied(db: Db, company_id: int, payment: dict[str, Any]) -> Decimal:
    """What of a payment can still be applied or refunded as cash: amount - applied - unapplied refunds."""
    pivot_refunds = dec(
        await db.fetchval(
            "SELECT COALESCE(sum(refunded), 0) FROM paymentables WHERE company_id = $1 AND payment_id = $2 "
            "AND invoice_id IS NOT NULL AND deleted_at IS NULL",
            company_id,
            payment["id"],
        )
    )
    return dec(payment["amount"]) - dec(payment["applied"]) - (dec(payment["refunded"]) - pivot_refunds)


async def payment_number(db: Db, company_id: int) -> str:
    return await numbering.next_number(db, company_id, "payment", "payments")


async def paymentable(
    db: Db,
    company_id: int,
    payment_id: int,
    amount: Decimal,
    invoice_id: int | None = None,
    credit_id: int | None = None,
) -> None:
    await db.execute(
        "INSERT INTO paymentables (company_id, payment_id, invoice_id, credit_id, amount) VALUES ($1, $2, $3, $4, $5)",
        company_id,
        payment_id,
        invoice_id,
        credit_id,
        amount,
    )
