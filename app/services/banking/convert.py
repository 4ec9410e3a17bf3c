"""What a bank transaction is converted into (upstream MatchBankTransactions), on a transaction row the
caller has locked, inside the caller's transaction:

- a deposit paying invoices: ONE payment made by the payment service (so invoice balances, the client's
  balance and paid_to_date and the ledger move under its locks), its amount the transaction's, applied to
  the invoices' balances in id order until it is used up;
- a deposit linked to a payment already recorded;
- a withdrawal (or, as upstream allows, a deposit) linked to expenses already recorded, or turned into a
  new expense with its vendor and category.

Lock order: the bank transaction rows (id order) come before everything app.services.money locks.
Every conversion ends with status 3 (converted); a 422 rolls the caller's whole transaction back.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...entities import REGISTRY
from ...entities.banking import CONVERTED, CREDIT
from ...errors import invalid
from .. import money
from ..billing.invoice_transitions import payable
from ..expenses.expenses import ExpenseService
from ..payments.service import PaymentService

Row = dict[str, Any]
ZERO = Decimal(0)


async def lock_transactions(db: Db, company_id: int, tx_ids: list[int]) -> dict[int, Row]:
    rows = await db.fetch(
        "SELECT * FROM bank_transactions WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
        company_id,
        sorted(set(tx_ids)),
    )
    return {r["id"]: dict(r) for r in rows}


async def _finish(db: Db, company_id: int, tx: Row, **changes: Any) -> None:
    changes["status_id"] = CONVERTED
    tx.update(changes)
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changes, start=3))
    await db.execute(
        f"UPDATE bank_transactions SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
        company_id,
        tx["id"],
        *changes.values(),
    )


async def pay_invoices(db: Db, who: Principal, tx: Row, invoice_ids: list[int], where: str) -> None:
    """A deposit paying invoices of one client: the amount applied in invoice id order, the rest unapplied."""
    if tx["base_type"] != CREDIT:
        raise invalid(where, "Only a deposit (CREDIT) can pay invoices.")
    owners = await db.fetch(
        "SELECT id, client_id FROM invoices WHERE company_id = $1 AND id = ANY($2::bigint[])",
        who.company_id,
        invoice_ids,
    )
    if len(owners) != len(set(invoice_ids)):
        raise invalid(where, f"The selected {where.split('.')[-1].replace('_', ' ')} is invalid.")
    clients = {r["client_id"] for r in owners}
    if len(clients) != 1:
        raise invalid(where, "The invoices must belong to one client.")
    [client_id] = clients
    await money.lock_client(db, who.company_id, client_id)
    invoices = await money.lock_invoices(db, who.company_id, invoice_ids)
    remaining, applied = Decimal(tx["amount"]), []
    for invoice_id in sorted(invoices):
        limit = payable(invoices[invoice_id])
        if limit is None:
            raise invalid(where, "One or more of these invoices have been paid")
        share = min(limit, remaining)
        if share > 0:
            applied.append((invoice_id, share))
            remaining -= share
    if not applied:
        raise invalid(where, "The transaction amount cannot be applied to these invoices.")
    payments = PaymentService(REGISTRY["payment"], db)
    payment = await payments.create(
        who,
        {
            "client_id": ids.encode(client_id),
            "amount": str(tx["amount"]),
            "date": tx["date"].isoformat() if tx["date"] else None,
            "transaction_reference": (tx["description"] or "")[:191],
            "invoices": [{"invoice_id": ids.encode(i), "amount": str(a)} for i, a in applied],
        },
    )
    await db.execute(
        "UPDATE payments SET transaction_id = $3, is_manual = false WHERE company_id = $1 AND id = $2",
        who.company_id,
        payment["id"],
        tx["id"],
    )
    await _finish(db, who.company_id, tx, payment_id=payment["id"], invoice_ids=[i for i, _ in applied])


async def link_payment(db: Db, who: Principal, tx: Row, payment_id: int, where: str) -> None:
    """A deposit linked to a recorded payment no other transaction is linked to."""
    if tx["base_type"] != CREDIT:
        raise invalid(where, "Only a deposit (CREDIT) can be linked to a payment.")
    owner = await db.fetchval(
        "SELECT client_id FROM payments WHERE company_id = $1 AND id = $2 AND is_deleted = false",
        who.company_id,
        payment_id,
    )
    if owner is None:
        raise invalid(where, "The selected payment id is invalid.")
    await money.lock_client(db, who.company_id, owner)  # the lock order: client, then its payment
    linked = await db.fetchval(
        "UPDATE payments SET transaction_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2 "
        "AND is_deleted = false AND (transaction_id IS NULL OR transaction_id = $3) RETURNING id",
        who.company_id,
        payment_id,
        tx["id"],
    )
    if linked is None:
        raise invalid(where, "The payment is already linked to another transaction.")
    invoices = await db.fetch(
        "SELECT DISTINCT invoice_id FROM paymentables WHERE company_id = $1 AND payment_id = $2 "
        "AND invoice_id IS NOT NULL AND deleted_at IS NULL ORDER BY invoice_id",
        who.company_id,
        payment_id,
    )
    await _finish(db, who.company_id, tx, payment_id=payment_id, invoice_ids=[r["invoice_id"] for r in invoices])


async def link_expenses(db: Db, who: Principal, tx: Row, expense_ids: list[int], where: str) -> None:
    """Recorded expenses linked to the transaction; one linked to another transaction is refused."""
    rows = await db.fetch(
        "SELECT id, vendor_id, category_id, transaction_id FROM expenses WHERE company_id = $1 "
        "AND id = ANY($2::bigint[]) AND is_deleted = false ORDER BY id FOR UPDATE",
        who.company_id,
        expense_ids,
    )
    if len(rows) != len(set(expense_ids)):
        raise invalid(where, "The selected expense id is invalid.")
    if any(r["transaction_id"] not in (None, tx["id"]) for r in rows):
        raise invalid(where, "The expense is already linked to another transaction.")
    await db.execute(
        "UPDATE expenses SET transaction_id = $3, updated_at = now() WHERE company_id = $1 AND id = ANY($2::bigint[])",
        who.company_id,
        expense_ids,
        tx["id"],
    )
    merged = list(dict.fromkeys([*tx["expense_ids"], *(r["id"] for r in rows)]))
    last = rows[-1]
    await _finish(
        db,
        who.company_id,
        tx,
        expense_ids=merged,
        vendor_id=last["vendor_id"] or tx["vendor_id"],
        ninja_category_id=last["category_id"] or tx["ninja_category_id"],
    )


async def new_expense(db: Db, who: Principal, tx: Row, vendor_id: int | None, category_id: int | None) -> None:
    """An expense made from the transaction: its amount, date, currency and description, the vendor and
    category given (each checked by the expense's own validation: another company's is a 422)."""
    settings = await db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id) or {}
    expenses = ExpenseService(REGISTRY["expense"], db)  # numbering and defaults as any expense's
    day = tx["date"].isoformat() if tx["date"] else None
    expense = await expenses.create(
        who,
        {
            "amount": str(tx["amount"]),
            "date": day,
            "payment_date": day,
            "currency_id": str(tx["currency_id"] or ""),
            "transaction_reference": (tx["description"] or "")[:191],
            "vendor_id": ids.encode(vendor_id) if vendor_id else None,
            "category_id": ids.encode(category_id) if category_id else None,
            "should_be_invoiced": bool(settings.get("mark_expenses_invoiceable", False)),
            "invoice_documents": bool(settings.get("invoice_expense_documents", False)),
        },
    )
    await db.execute(
        "UPDATE expenses SET transaction_id = $3 WHERE company_id = $1 AND id = $2",
        who.company_id,
        expense["id"],
        tx["id"],
    )
    await _finish(
        db,
        who.company_id,
        tx,
        expense_ids=[*tx["expense_ids"], expense["id"]],
        vendor_id=vendor_id,
        ninja_category_id=category_id,
    )
