"""PaymentService: create with invoices and credits, update (other fields, and applying unapplied money),
refund (payments.refunds), delete (payments.deletion: everything reversed), archive and restore (a deleted
payment never comes back).

One transaction per call, locking the client row, then the payment, then the invoices and credits in id
order; the payment number comes last from the company counter. Validation happens on the locked rows, so
two payments racing for the same invoice balance cannot both pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from ...auth import Principal
from ...crud.service import Row, raise_deleted
from ...crud.validate import clean
from ...errors import invalid
from .. import activities, money
from ..billing import context
from ..entity import ActsLikeItsBulk
from . import deletion, refunds
from .apply import Entry, apply, apply_existing, check_credits, check_invoices, entries

CREATE_PAYMENT, UPDATE_PAYMENT = 10, 11
KEY_TAKEN = "The idempotency key has already been taken."
NUMBER_TAKEN = "The number has already been taken."


class PaymentService(ActsLikeItsBulk):
    single_actions = ("archive", "restore", "delete", "email", "email_receipt")

    # ---- create --------------------------------------------------------------------------------
    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        self._require(who, "create")
        values = clean(self.entity, data, creating=True)
        await self.check_refs(who, values)
        if values.get("client_id") is None:
            raise invalid("client_id", "The client id field is required.")
        invoices, credits = entries(data, "invoices", "invoice_id"), entries(data, "credits", "credit_id")
        for attempt in range(3):  # locks are taken in one order, so a deadlock is only ever a retry away
            try:
                async with self.db.transaction():
                    payment_id = await self._create(who, dict(values), invoices, credits)
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == 2:
                    raise
            except asyncpg.UniqueViolationError as exc:  # a racing writer won the key or the number
                if "idempotency" in str(exc.constraint_name or ""):
                    raise invalid("idempotency_key", KEY_TAKEN) from None
                raise invalid("number", NUMBER_TAKEN) from None
        return await self.get(who, payment_id, include)

    async def _create(self, who: Principal, values: Row, invoices: list[Entry], credits: list[Entry]) -> int:
        client = await money.lock_client(self.db, who.company_id, values["client_id"])
        key = values.get("idempotency_key") or None
        if key and await self.db.fetchval(
            "SELECT 1 FROM payments WHERE company_id = $1 AND idempotency_key = $2", who.company_id, key
        ):
            raise invalid("idempotency_key", KEY_TAKEN)
        invs = await check_invoices(self.db, who, client["id"], invoices)
        total_inv = sum((a for _, a in invoices), Decimal(0))
        total_credit, credit_rows = await check_credits(self.db, who, client["id"], credits, invoices, total_inv)
        amount = values.get("amount") or Decimal(0)
        if amount < 0:
            raise invalid("amount", "The amount must be at least 0.")
        if amount == 0:
            amount = total_inv - total_credit
        elif amount + total_credit < total_inv:
            raise invalid("amount", "The payment amount is less than the total of the invoices and credits.")
        await self._check_number(who, values.get("number"), 0)
        setting = (await context.load(self.db, who.company_id, client["id"]))["setting"]
        values.update(
            company_id=who.company_id,
            user_id=who.user_id,
            amount=amount,
            status_id=4,
            is_manual=True,
            applied=total_inv - total_credit,
            idempotency_key=key,
            currency_id=int(str(setting("currency_id", "1")) or 1),
        )
        values["date"] = values.get("date") or context.today(setting("timezone_id", "1"))
        if not values.get("number"):
            values["number"] = await money.payment_number(self.db, who.company_id)
        cols = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        payment_id = int(
            await self.db.fetchval(
                f"INSERT INTO payments ({', '.join(cols)}) VALUES ({placeholders}) RETURNING id", *values.values()
            )
        )
        await money.adjust_client(self.db, who.company_id, client["id"], paid=amount + total_credit)
        await apply(self.db, who, payment_id, invs, invoices, credits, credit_rows, setting)
        await money.refresh_payment_balance(self.db, who.company_id, client["id"])
        await activities.record(
            self.db,
            who,
            CREATE_PAYMENT,
            payment_id=payment_id,
            client_id=client["id"],
            invoice_id=invoices[0][0] if invoices else None,
        )
        return payment_id

    async def _check_number(self, who: Principal, number: str | None, me: int) -> None:
        if number and await self.db.fetchval(
            "SELECT 1 FROM payments WHERE company_id = $1 AND number = $2 AND id <> $3", who.company_id, number, me
        ):
            raise invalid("number", NUMBER_TAKEN)

    # ---- update: other fields, and apply unapplied money to invoices ----------------------
    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        current = await self.get(who, entity_id)
        self._require(who, "edit")
        if current.get("is_deleted"):
            raise_deleted()
        fields = {k: v for k, v in data.items() if k not in ("amount", "client_id", "idempotency_key")}
        values = clean(self.entity, fields, creating=False)
        values.pop("amount", None)
        await self.check_refs(who, values)
        invoices, credits = entries(data, "invoices", "invoice_id"), entries(data, "credits", "credit_id")
        try:
            async with self.db.transaction():
                client = await money.lock_client(self.db, who.company_id, current["client_id"])
                payment = dict(
                    await self.db.fetchrow_one(
                        "SELECT * FROM payments WHERE company_id = $1 AND id = $2 FOR UPDATE", who.company_id, entity_id
                    )
                )
                await self._check_number(who, values.get("number"), entity_id)
                if values:
                    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=3))
                    await self.db.execute(
                        f"UPDATE payments SET {sets}, updated_at = now() WHERE company_id = $1 AND id = $2",
                        who.company_id,
                        entity_id,
                        *values.values(),
                    )
                if invoices or credits:
                    await apply_existing(self.db, who, client["id"], payment, invoices, credits)
                await activities.record(self.db, who, UPDATE_PAYMENT, payment_id=entity_id, client_id=client["id"])
        except asyncpg.UniqueViolationError:
            raise invalid("number", NUMBER_TAKEN) from None
        return await self.get(who, entity_id, include)

    async def refund(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        """POST /payments/refund, for both edges: one transaction, then the refunded payment."""
        self._require(who, "edit")  # a refund edits the payment
        async with self.db.transaction():
            payment_id = await refunds.refund(self.db, who, data)
        return await self.get(who, payment_id, include)

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            client_id = await self.db.fetchval(
                "SELECT client_id FROM payments WHERE company_id = $1 AND id = $2", who.company_id, entity_id
            )
            await activities.record(self.db, who, type_id, payment_id=entity_id, client_id=client_id)

    # ---- bulk: delete reverses everything; a deleted payment is never restored --------------------
    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action in ("email", "email_receipt"):
            return  # receipts are not mailed yet
        if action == "restore":
            live = [
                r["id"]
                for r in await self.db.fetch(
                    "SELECT id FROM payments WHERE company_id = $1 AND id = ANY($2::bigint[]) AND is_deleted = false",
                    who.company_id,
                    list(entity_ids),
                )
            ]
            return await super().bulk(who, action, live, data)
        if action != "delete":
            return await super().bulk(who, action, entity_ids, data)
        self._require(who, "edit")
        async with self.db.transaction():
            clients = await money.owners(self.db, who.company_id, "payments", entity_ids)
            await money.lock_clients(self.db, who.company_id, clients)
            rows = await self.db.fetch(
                "SELECT * FROM payments WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR UPDATE",
                who.company_id,
                list(entity_ids),
            )
            for row in rows:
                if not row["is_deleted"]:
                    await deletion.delete_payment(self.db, who, dict(row))
            await super().bulk(who, action, entity_ids, data)
