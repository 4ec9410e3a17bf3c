"""Matching an unmatched bank transaction (upstream BankMatchingService / ProcessBankRules), when it is
created or updated and when a rule is saved.

A deposit is first matched to the open invoice whose number its description names. Then the company's
live rules for its direction (`applies_to`), in id order; a rule fires when all its conditions hold
(`matches_on_all`) or any does, decided after every condition (upstream decides credit rules inside one
branch only and ignores their values; see app.services.banking.conditions). The first rule that fires wins:
- a withdrawal gets the rule's vendor and category, status matched; with `auto_convert` the expense is
  made at once (converted);
- a deposit gets the invoice (else the payment) the rule's conditions found, preferring the rule's client
  and the clients its conditions found, status matched; with `auto_convert` it is converted as
  `POST /bank_transactions/match` would (the payment made, or the payment linked). A deposit rule that
  finds nothing to suggest does not fire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ...auth import Principal
from ...db import Db
from ...entities.banking import CREDIT, DEBIT, MATCHED, UNMATCHED
from ...errors import Forbidden, Invalid
from . import convert
from .conditions import OWN_KEYS, Found, own_holds, records_holding

Row = dict[str, Any]


async def match_transaction(db: Db, who: Principal, tx: Row) -> None:
    """Rules on one locked, unmatched transaction; it is changed in the database and in `tx`."""
    if tx["status_id"] != UNMATCHED or tx["is_deleted"]:
        return
    if tx["base_type"] == CREDIT:
        await _invoice_number(db, who, tx)
    rules = await db.fetch(
        "SELECT * FROM bank_transaction_rules WHERE company_id = $1 AND deleted_at IS NULL AND applies_to = $2 "
        "ORDER BY id",
        who.company_id,
        DEBIT if tx["base_type"] == DEBIT else CREDIT,
    )
    for rule in rules:
        found = Found()
        held = []
        for condition in rule["rules"] or []:
            if condition["search_key"] in OWN_KEYS:
                held.append(own_holds(tx, condition))
            else:
                held.append(await records_holding(db, who.company_id, tx, condition, found))
        if not held or not (all(held) if rule["matches_on_all"] else any(held)):
            continue
        if tx["base_type"] == DEBIT:
            await _debit(db, who, tx, dict(rule))
            return
        if await _credit(db, who, tx, dict(rule), found):
            return


async def _save(db: Db, company_id: int, tx: Row, **changes: Any) -> None:
    tx.update(changes)
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(changes, start=3))
    await db.execute(
        f"UPDATE bank_transactions SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
        company_id,
        tx["id"],
        *changes.values(),
    )


async def _invoice_number(db: Db, who: Principal, tx: Row) -> None:
    description = (tx["description"] or "").replace("\n", " ")
    found = await db.fetchval(
        "SELECT id FROM invoices WHERE company_id = $1 AND is_deleted = false AND status_id IN (1, 2, 3) "
        "AND number <> '' AND position(lower(number) IN lower($2)) > 0 ORDER BY id LIMIT 1",
        who.company_id,
        description,
    )
    if found is not None:
        await _save(db, who.company_id, tx, invoice_ids=[found], status_id=MATCHED)


async def _debit(db: Db, who: Principal, tx: Row, rule: Row) -> None:
    await _save(
        db,
        who.company_id,
        tx,
        vendor_id=rule["vendor_id"],
        ninja_category_id=rule["category_id"],
        status_id=MATCHED,
        bank_transaction_rule_id=rule["id"],
    )
    if rule["auto_convert"]:
        async with converting(db):
            await convert.new_expense(db, who, tx, rule["vendor_id"], rule["category_id"])


async def _credit(db: Db, who: Principal, tx: Row, rule: Row, found: Found) -> bool:
    wanted = {rule["client_id"]} if rule["client_id"] else found.clients

    def pick(candidates: list[tuple[int, int]]) -> int | None:
        preferred = [i for i, client in candidates if not wanted or client in wanted]
        return preferred[0] if preferred else None

    invoice, payment = pick(found.invoices), pick(found.payments)
    if invoice is None and tx["invoice_ids"]:
        invoice = tx["invoice_ids"][0]  # the invoice its number matched
    if invoice is None and payment is None:
        return False
    changes: dict[str, Any] = {"status_id": MATCHED, "bank_transaction_rule_id": rule["id"]}
    changes.update({"invoice_ids": [invoice]} if invoice is not None else {"payment_id": payment})
    await _save(db, who.company_id, tx, **changes)
    if rule["auto_convert"]:
        async with converting(db):
            if invoice is not None:
                await convert.pay_invoices(db, who, tx, [invoice], "invoice_ids")
            else:
                assert payment is not None
                await convert.link_payment(db, who, tx, payment, "payment_id")
    return True


@asynccontextmanager
async def converting(db: Db) -> AsyncIterator[None]:
    """An automatic conversion that cannot happen (an invoice paid meanwhile, a user who may not create
    payments or expenses) leaves the transaction matched instead of failing the write that matched it."""
    try:
        async with db.transaction():
            yield
    except (Invalid, Forbidden):
        pass
