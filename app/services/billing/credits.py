"""Credits: the billing engine (billing.base) on the credits table, the credit lifecycle and its effect on
the client's credit_balance, and `apply_credit` for POST /payments.

Statuses 1 Draft, 2 Sent, 3 Partial (partly applied), 4 Applied (balance 0); `balance` is the credit still
available. Client credit_balance moves on mark_sent (+amount), on saving a non-draft credit (+change of
balance), on delete/restore (-/+balance) and on application (-applied). A credit raised for an invoice
(`invoice_id`) is marked sent at once and lowers the client's paid_to_date by its balance (delete/restore
reverse that). None of these write ledger rows (the ledger follows client.balance, which credits do
not move), except apply_credit's zero-adjustment trail row (see its docstring).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date as Date
from decimal import Decimal
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ...db import Db
from ...entities import REGISTRY
from ...entities.billing import CREDIT_APPLIED, CREDIT_DRAFT, CREDIT_PARTIAL, CREDIT_SENT
from ...entities.spec import Entity
from ...errors import invalid
from .. import activities, money
from ..entity import not_available
from .base import EMAIL_SENT, BillingService
from .calc import ZERO
from .lines import MAX_LINES, clean_lines, stored_line

UPDATE_CREDIT = 15
LEDGER_CREDIT_ACTIVITY = 15


class CreditService(BillingService):
    runs = "credit"
    flags_taken = ("mark_sent", "send_email")
    shared_setting = "shared_invoice_credit_counter"

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is not None:  # invoice_id decided the create's effects; fixed after
            sent = values.pop("invoice_id", current["invoice_id"])
            if sent != current["invoice_id"]:
                raise invalid("invoice_id", "The invoice id cannot be changed.")
        await super().before_write(who, values, current, data)
        if values.get("invoice_id") is not None:  # check_refs proved it is ours; it must also be the client's
            client_id = values.get("client_id") or self.stored["client_id"]
            same = await self.db.fetchval(
                "SELECT 1 FROM invoices WHERE company_id = $1 AND id = $2 AND client_id = $3",
                who.company_id,
                values["invoice_id"],
                client_id,
            )
            if same is None:
                raise invalid("invoice_id", "The selected invoice id is invalid.")

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        await super().after_write(who, entity_id, current, data)
        if current is None:
            row = await self.lock(who, entity_id) if data.get("invoice_id") else {"invoice_id": None}
            if row["invoice_id"] is not None:  # a credit note for an invoice: sent at once
                await self.mark_sent(who, row)
                await self.db.execute(
                    "UPDATE clients SET paid_to_date = paid_to_date - $3, updated_at = now() WHERE company_id = $1 "
                    "AND id = $2",
                    who.company_id,
                    row["client_id"],
                    row["amount"],
                )
            return await self._flags(who, entity_id)
        if self.stored["status_id"] != CREDIT_DRAFT:
            balance = await self.db.fetchval(
                "SELECT balance FROM credits WHERE company_id = $1 AND id = $2", who.company_id, entity_id
            )
            await _credit_balance(self.db, who, self.stored["client_id"], balance - self.stored["balance"])
        await self._flags(who, entity_id)

    async def _flags(self, who: Principal, credit_id: int) -> None:
        """The mark_sent and send_email flags of a create or update."""
        for action, wanted in (("mark_sent", self.flags.mark_sent), ("send_email", self.flags.send_email)):
            if wanted:
                await self.bulk_other(who, action, [credit_id], {})

    # ---- actions -----------------------------------------------------------------------------
    async def perform(self, who: Principal, credit_id: int, action: str) -> tuple[Entity, int] | str:
        self._require(who, "edit")
        if action in ("archive", "restore", "delete"):
            await self.bulk(who, action, [credit_id], {})
            return self.entity, credit_id
        if action not in self.entity.bulk_actions:
            raise not_available(action)
        async with self.db.transaction():
            await self.bulk_other(who, action, [credit_id], {})
        return EMAIL_SENT if action in ("email", "send_email") else (self.entity, credit_id)

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        for credit_id in sorted(entity_ids):
            row = await self.lock(who, credit_id)
            await self.mark_sent(who, row)
            if action in ("email", "send_email") and not row["is_deleted"]:
                await self.stamp_emailed(who, row)

    async def mark_sent(self, who: Principal, row: Mapping[str, Any]) -> None:
        """Draft only: invitations stamped, status 2, balance = amount, number, client credit_balance += amount.
        The caller holds the client and credit locks (self.lock)."""
        if row["status_id"] != CREDIT_DRAFT or row["is_deleted"]:
            return
        await self.stamp_invitations(who, row["id"])
        await self.db.execute(
            "UPDATE credits SET status_id = $3, balance = balance + amount, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            who.company_id,
            row["id"],
            CREDIT_SENT,
        )
        await self.number_if_missing(who, row)
        await _credit_balance(self.db, who, row["client_id"], row["amount"])

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        """delete: client credit_balance -= balance (and paid_to_date += balance for a credit note of an
        invoice); restoring a deleted credit reverses both."""
        if action not in ("delete", "restore"):
            return await super().bulk(who, action, entity_ids, data)
        async with self.db.transaction():
            restoring = action == "restore"
            clients = await self.db.fetch(
                "SELECT DISTINCT client_id FROM credits WHERE company_id = $1 AND id = ANY($2::bigint[]) "
                "ORDER BY client_id",
                who.company_id,
                list(entity_ids),
            )
            for c in clients:
                await money.lock_client(self.db, who.company_id, c["client_id"])
            rows = await self.db.fetch(
                "SELECT id, client_id, balance, invoice_id FROM credits WHERE company_id = $1 AND "
                "id = ANY($2::bigint[]) AND is_deleted = $3 ORDER BY id FOR UPDATE",
                who.company_id,
                list(entity_ids),
                restoring,
            )
            await super().bulk(who, action, entity_ids, data)
            sign = 1 if restoring else -1
            for r in rows:
                noted = r["balance"] if r["invoice_id"] is not None else ZERO
                await self.db.execute(
                    "UPDATE clients SET credit_balance = credit_balance + $3, paid_to_date = paid_to_date - $4, "
                    "updated_at = now() WHERE company_id = $1 AND id = $2",
                    who.company_id,
                    r["client_id"],
                    sign * r["balance"],
                    sign * noted,
                )


async def _credit_balance(db: Db, who: Principal, client_id: int, change: Decimal) -> None:
    if change:
        await db.execute(
            "UPDATE clients SET credit_balance = credit_balance + $3, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            who.company_id,
            client_id,
            change,
        )


LOCK_SQL = (
    "SELECT *, line_items::text AS lines FROM credits WHERE company_id = $1 AND id = ANY($2::bigint[]) "
    "ORDER BY id FOR UPDATE"
)


async def lock_credits(db: Db, company_id: int, credit_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The credits' rows FOR UPDATE in id order (call after locking the client and the invoices)."""
    return [dict(r) for r in await db.fetch(LOCK_SQL, company_id, sorted(set(credit_ids)))]


async def apply_credit(
    db: Db,
    who: Principal,
    credit_row_locked: Mapping[str, Any],
    amount: Decimal,
    invoice_id: int,
    field: str = "credits",
) -> None:
    """Use `amount` of a credit towards invoice `invoice_id` (POST /payments `credits: [...]`).

    Caller contract: inside ONE transaction that has already locked, in this order, the client row, the
    invoices, then the credits by id (`lock_credits(db, company_id, ids)` returns the locked rows; pass one
    as `credit_row_locked`; only its `id` is used: the row is re-read under the lock, so applying the same
    credit twice in one payment is safe). `amount` is a Decimal > 0; `invoice_id` a decoded id of the same
    company and client (checked again here).

    Effects, all in the caller's transaction:
    * a Draft credit is first marked sent (status 2, balance = amount, number, client credit_balance +=
      amount), as upstream's validation does;
    * credit balance -= amount, paid_to_date += amount, status 4 (Applied) when the balance reaches 0 else
      3 (Partial); an informational line (quantity 0, cost -amount, "<date> - Credit applied to Invoice N")
      is appended, which changes no total;
    * client credit_balance -= amount;
    * a company_ledger row owned by the credit, adjustment 0, balance = client.balance, notes
      "Credit payment applied to Invoice N", activity_id 15 - a trail only: upstream writes no ledger row for
      the credit part of a payment, and the running ledger balance must keep equalling client.balance;
    * an activity 15 (update credit) naming the credit, the invoice and the client.
    NOT done here (the payment's job): the invoice's balance/paid_to_date/status, client balance and
    paid_to_date, the paymentable row, the payment activity.
    Errors: Invalid (422) on `field` when the credit is deleted, the amount is not positive or exceeds the
    credit's available balance, or the invoice is not the same client's; nothing is written then.
    """
    amount = Decimal(amount)
    # re-read under the caller's lock: the mapping may be stale (the same credit listed twice in one payment)
    credit = dict(
        await db.fetchrow_one(
            "SELECT id, client_id, status_id, amount, balance, number, is_deleted FROM credits WHERE company_id = $1 "
            "AND id = $2 FOR UPDATE",
            who.company_id,
            credit_row_locked["id"],
        )
    )
    credit_id, client_id = credit["id"], credit["client_id"]
    if credit["is_deleted"]:
        raise invalid(field, "The credit is deleted and cannot be applied.")
    draft = credit["status_id"] == CREDIT_DRAFT
    available = Decimal(credit["amount"] if draft else credit["balance"])
    if not amount.is_finite() or amount <= 0 or amount > available:
        raise invalid(field, f"The credit amount must be more than 0 and at most {available.normalize():f}.")
    invoice = await db.fetchrow(
        "SELECT client_id, COALESCE(number, '') AS number FROM invoices WHERE company_id = $1 AND id = $2",
        who.company_id,
        invoice_id,
    )
    if invoice is None or invoice["client_id"] != client_id:
        raise invalid(field, "The credit and the invoice must belong to the same client.")
    if draft:
        await CreditService(REGISTRY["credit"], db).mark_sent(who, credit)
    number = invoice["number"]
    remaining = available - amount
    note = f"{Date.today().isoformat()} - Credit applied to Invoice {number} {amount.normalize():f}"
    extra = await db.fetchval(
        "SELECT jsonb_array_length(line_items) < $3 FROM credits WHERE company_id = $1 AND id = $2",
        who.company_id,
        credit_id,
        MAX_LINES,
    )
    line = clean_lines([{"quantity": 0, "cost": -amount, "notes": note}])[0]
    line.update(line_total=ZERO, gross_line_total=ZERO, tax_amount=ZERO)
    await db.execute(
        "UPDATE credits SET balance = $3, paid_to_date = paid_to_date + $4, status_id = $5, "
        "line_items = CASE WHEN $6 THEN line_items || $7::jsonb ELSE line_items END, updated_at = now() "
        "WHERE company_id = $1 AND id = $2",
        who.company_id,
        credit_id,
        remaining,
        amount,
        CREDIT_APPLIED if remaining == 0 else CREDIT_PARTIAL,
        bool(extra),
        [stored_line(line, True)],
    )
    await _credit_balance(db, who, client_id, -amount)
    await money.ledger(
        db,
        who,
        client_id,
        "credit",
        credit_id,
        ZERO,
        f"Credit payment applied to Invoice {number}",
        LEDGER_CREDIT_ACTIVITY,
    )
    await activities.record(
        db, who, UPDATE_CREDIT, notes=note, client_id=client_id, credit_id=credit_id, invoice_id=invoice_id
    )


__all__ = ["CreditService", "apply_credit", "lock_credits"]
