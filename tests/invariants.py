"""The money invariants, checked in SQL against any database state.

`await assert_invariants(db, company_id)` raises AssertionError listing every violated rule. `db` is anything
with asyncpg-style `fetch` (app.db.Db or an asyncpg connection); `company_id` an int or a hashed id.
"""

from __future__ import annotations

from typing import Any

from app import ids

CHECKS: dict[str, str] = {
    # 1. client balance = open (sent/partial) live invoices' balances
    "client balance != sum of its sent/partial invoices' balances": """
        SELECT c.id, c.balance, COALESCE(s.total, 0) AS expected FROM clients c
        LEFT JOIN (SELECT client_id, sum(balance) AS total FROM invoices WHERE company_id = $1
                   AND status_id IN (2, 3) AND is_deleted = false GROUP BY client_id) s ON s.client_id = c.id
        WHERE c.company_id = $1 AND c.is_deleted = false AND c.balance <> COALESCE(s.total, 0)""",
    # 2. client paid_to_date = live payments net of refunds + credits used - credit notes raised for invoices
    "client paid_to_date != applied payments net of refunds": """
        SELECT c.id, c.paid_to_date, COALESCE(p.total, 0) + COALESCE(u.total, 0) - COALESCE(n.total, 0) AS expected
        FROM clients c
        LEFT JOIN (SELECT client_id, sum(amount - refunded) AS total FROM payments WHERE company_id = $1
                   AND is_deleted = false AND status_id IN (1, 4, 5, 6) GROUP BY client_id) p ON p.client_id = c.id
        LEFT JOIN (SELECT py.client_id, sum(x.amount - x.refunded) AS total FROM paymentables x
                   JOIN payments py ON py.company_id = x.company_id AND py.id = x.payment_id
                   WHERE x.company_id = $1 AND x.credit_id IS NOT NULL AND x.deleted_at IS NULL
                   AND py.is_deleted = false GROUP BY py.client_id) u ON u.client_id = c.id
        LEFT JOIN (SELECT client_id, sum(amount) AS total FROM credits WHERE company_id = $1 AND is_deleted = false
                   AND invoice_id IS NOT NULL AND status_id <> 1 GROUP BY client_id) n ON n.client_id = c.id
        WHERE c.company_id = $1 AND c.is_deleted = false
        AND c.paid_to_date <> COALESCE(p.total, 0) + COALESCE(u.total, 0) - COALESCE(n.total, 0)""",
    # 3. the last ledger row carries the client's balance
    "last ledger balance != client balance": """
        SELECT c.id, c.balance, l.balance AS ledger FROM clients c
        JOIN LATERAL (SELECT balance FROM company_ledgers WHERE company_id = $1 AND client_id = c.id
                      ORDER BY id DESC LIMIT 1) l ON true
        WHERE c.company_id = $1 AND l.balance <> c.balance""",
    # 4. payments: applied = invoices - credits on live pivots, applied <= amount, refunds within bounds
    "payment applied != sum of its paymentables (invoices - credits)": """
        SELECT p.id, p.applied, COALESCE(s.total, 0) AS expected FROM payments p
        LEFT JOIN (SELECT payment_id, sum(CASE WHEN invoice_id IS NOT NULL THEN amount ELSE -amount END) AS total
                   FROM paymentables WHERE company_id = $1 AND deleted_at IS NULL GROUP BY payment_id) s
               ON s.payment_id = p.id
        WHERE p.company_id = $1 AND p.is_deleted = false AND p.applied <> COALESCE(s.total, 0)""",
    "payment applied > amount, or refunds out of bounds": """
        SELECT p.id, p.amount, p.applied, p.refunded FROM payments p WHERE p.company_id = $1 AND p.is_deleted = false
        AND (p.applied > p.amount OR p.refunded > p.amount OR p.refunded < 0 OR p.applied < 0 OR p.amount < 0
             OR (SELECT COALESCE(sum(refunded), 0) FROM paymentables x WHERE x.company_id = $1
                 AND x.payment_id = p.id) > p.refunded)""",
    # 5. invoices: balance = amount - paid_to_date (non-draft, non-cancelled/reversed); paid_to_date = pivots net
    "invoice balance != amount - paid_to_date": """
        SELECT id, amount, balance, paid_to_date FROM invoices WHERE company_id = $1 AND is_deleted = false
        AND status_id IN (2, 3, 4) AND balance <> amount - paid_to_date""",
    "invoice paid_to_date != its payments net of refunds": """
        SELECT i.id, i.paid_to_date, COALESCE(s.total, 0) AS expected FROM invoices i
        LEFT JOIN (SELECT invoice_id, sum(amount - refunded) AS total FROM paymentables WHERE company_id = $1
                   AND invoice_id IS NOT NULL AND deleted_at IS NULL GROUP BY invoice_id) s ON s.invoice_id = i.id
        WHERE i.company_id = $1 AND i.is_deleted = false AND i.status_id IN (2, 3, 4)
        AND i.paid_to_date <> COALESCE(s.total, 0)""",
    "negative invoice balance, or status inconsistent with balance": """
        SELECT id, status_id, amount, balance FROM invoices WHERE company_id = $1 AND is_deleted = false
        AND amount > 0 AND ((status_id IN (2, 3, 4) AND (balance < 0 OR balance > amount))
            OR (status_id = 4 AND balance <> 0) OR (status_id = 3 AND NOT (balance > 0 AND balance < amount))
            OR (status_id IN (5, 6) AND balance <> 0))""",
    # 6. numbers unique per company and entity
    "duplicate invoice numbers": """
        SELECT number, count(*) FROM invoices WHERE company_id = $1 AND number IS NOT NULL
        GROUP BY number HAVING count(*) > 1""",
    "duplicate payment numbers": """
        SELECT number, count(*) FROM payments WHERE company_id = $1 AND number IS NOT NULL
        GROUP BY number HAVING count(*) > 1""",
    # 7. no reference into another company (composite keys make this impossible; checked anyway)
    "paymentable of another company's payment": """
        SELECT x.id FROM paymentables x JOIN payments p ON p.id = x.payment_id AND p.company_id <> x.company_id
        WHERE x.company_id = $1 AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.company_id = x.company_id
        AND q.id = x.payment_id)""",
    "negative client aggregates": """
        SELECT id, balance, paid_to_date, payment_balance FROM clients WHERE company_id = $1
        AND (payment_balance < 0)""",
}


async def violations(db: Any, company_id: int | str) -> dict[str, list[dict[str, Any]]]:
    cid = ids.decode(company_id) if isinstance(company_id, str) else company_id
    found: dict[str, list[dict[str, Any]]] = {}
    for name, sql in CHECKS.items():
        rows = await db.fetch(sql, cid)
        if rows:
            found[name] = [dict(r) for r in rows]
    return found


async def assert_invariants(db: Any, company_id: int | str) -> None:
    found = await violations(db, company_id)
    assert not found, f"money invariants violated: {found}"
