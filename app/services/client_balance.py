"""The client's invoice balance and its ledger trail (upstream-domain.md R6, R7).

`client.balance` = Σ balance of the client's non-deleted invoices that are Sent or Partial (archived ones
included). Callers lock the client row first (then invoices, in id order) in their own transaction.
"""
from __future__ import annotations

from decimal import Decimal

from ..auth import Principal
from ..db import Db

LEDGER_INVOICE_ACTIVITY = 5   # the activity_id upstream stamps on invoice-owned ledger rows


async def lock(db: Db, company_id: int, client_id: int) -> None:
    await db.execute("SELECT 1 FROM clients WHERE company_id = $1 AND id = $2 FOR UPDATE", company_id, client_id)


async def open_balance(db: Db, company_id: int, client_id: int) -> Decimal:
    return Decimal(await db.fetchval(
        "SELECT COALESCE(sum(balance), 0) FROM invoices WHERE company_id = $1 AND client_id = $2 "
        "AND status_id IN (2, 3) AND is_deleted = false", company_id, client_id))


async def ledger(db: Db, who: Principal, client_id: int, owner: str, owner_id: int, adjustment: Decimal,
                 balance: Decimal, notes: str, activity_id: int) -> None:
    await db.execute(
        "INSERT INTO company_ledgers (company_id, client_id, user_id, activity_id, ledgerable_type, ledgerable_id, "
        "adjustment, balance, notes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        who.company_id, client_id, who.user_id, activity_id, owner, owner_id, adjustment, balance, notes)


async def recompute_after_invoice_update(db: Db, who: Principal, client_id: int, invoice_id: int,
                                         number: str) -> None:
    """A saved non-draft invoice: client balance recomputed; a change leaves an "Update Adjustment" row
    whose balance is the new client balance (the one ledger row upstream writes its balance into)."""
    old = Decimal(await db.fetchval("SELECT balance FROM clients WHERE company_id = $1 AND id = $2",
                                    who.company_id, client_id))
    new = await open_balance(db, who.company_id, client_id)
    if new == old:
        return
    await db.execute("UPDATE clients SET balance = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
                     who.company_id, client_id, new)
    diff = new - old
    await ledger(db, who, client_id, "invoice", invoice_id, diff, new,
                 f"Update Adjustment Invoice # {number} => {diff.normalize():f}", LEDGER_INVOICE_ACTIVITY)
