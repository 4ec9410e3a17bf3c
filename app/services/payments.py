"""Payments (upstream-domain.md R4): create with invoices/credits (R4.1), update/apply (R4.2), delete (R4.4,
in app.services.payment_undo), refund (R4.3, same module), archive/restore (a deleted payment never comes back).

One transaction per call, locking the client row, then the payment, then the invoices and credits in id
order; the payment number comes last from the company counter. Validation happens on the locked rows, so
two payments racing for the same invoice balance cannot both pass.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Mapping, Sequence

import asyncpg

from .. import ids
from ..auth import Principal
from ..crud.service import CrudService, Row, raise_deleted
from ..crud.validate import clean, clean_decimal
from ..entities import REGISTRY
from ..errors import Invalid, invalid
from . import activities, invoice_ops, money
from .credits import apply_credit, lock_credits
from .invoices import InvoiceService, _today

CREATE_PAYMENT, UPDATE_PAYMENT = 10, 11
KEY_TAKEN = "The idempotency key has already been taken."
NUMBER_TAKEN = "The number has already been taken."
Entry = tuple[int, Decimal]   # (decoded id, amount)


def entries(data: Mapping[str, Any], field: str, key: str) -> list[Entry]:
    """`invoices: [{invoice_id, amount}]` -> [(id, amount)]; 422 naming `invoices.N.invoice_id` etc."""
    raw = data.get(field)
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list) or len(raw) > 500:
        raise invalid(field, f"The {field} must be an array.")
    out: list[Entry] = []
    errors: dict[str, list[str]] = {}
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"{field}.{n}"] = [f"The {field}.{n} must be an object."]
            continue
        decoded = ids.decode_or_none(item.get(key)) if isinstance(item.get(key), str) else None
        if decoded is None:
            errors[f"{field}.{n}.{key}"] = [f"The selected {field}.{n}.{key} is invalid."]
        try:
            amount = clean_decimal(item.get("amount"))
        except ValueError:
            errors[f"{field}.{n}.amount"] = [f"The {field}.{n}.amount must be a number."]
            continue
        if amount < 0:
            errors[f"{field}.{n}.amount"] = [f"The {field}.{n}.amount must be at least 0."]
        if decoded is not None:
            if any(decoded == seen for seen, _ in out):
                errors[f"{field}.{n}.{key}"] = [f"The {field}.{n}.{key} field has a duplicate value."]
            out.append((decoded, amount))
    if errors:
        raise Invalid(errors)
    return out


class PaymentService(CrudService):
    # ---- create --------------------------------------------------------------------------------
    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        self._require(who, "create")
        values = clean(self.entity, data, creating=True)
        await self.check_refs(who, values)
        if values.get("client_id") is None:
            raise invalid("client_id", "The client id field is required.")
        invoices, credits = entries(data, "invoices", "invoice_id"), entries(data, "credits", "credit_id")
        for attempt in range(3):   # locks are taken in one order, so a deadlock is only ever a retry away
            try:
                async with self.db.transaction():
                    payment_id = await self._create(who, dict(values), invoices, credits)
                break
            except asyncpg.DeadlockDetectedError:
                if attempt == 2:
                    raise
            except asyncpg.UniqueViolationError as exc:   # a racing writer won the key or the number
                if "idempotency" in str(exc.constraint_name or ""):
                    raise invalid("idempotency_key", KEY_TAKEN) from None
                raise invalid("number", NUMBER_TAKEN) from None
        return await self.get(who, payment_id, include)

    async def _create(self, who: Principal, values: Row, invoices: list[Entry], credits: list[Entry]) -> int:
        client = await money.lock_client(self.db, who.company_id, values["client_id"])
        key = values.get("idempotency_key") or None
        if key and await self.db.fetchval("SELECT 1 FROM payments WHERE company_id = $1 AND idempotency_key = $2",
                                          who.company_id, key):
            raise invalid("idempotency_key", KEY_TAKEN)
        invs = await self._check_invoices(who, client["id"], invoices)
        total_inv = sum((a for _, a in invoices), Decimal(0))
        total_credit = await self._check_credits(who, client["id"], credits, invoices, total_inv)
        amount = values.get("amount") or Decimal(0)
        if amount < 0:
            raise invalid("amount", "The amount must be at least 0.")
        if amount == 0:
            amount = total_inv - total_credit
        elif amount + total_credit < total_inv:
            raise invalid("amount", "The payment amount is less than the total of the invoices and credits.")
        await self._check_number(who, values.get("number"), 0)
        setting = await self._setting(who, client["id"])
        values.update(company_id=who.company_id, user_id=who.user_id, amount=amount, status_id=4, is_manual=True,
                      applied=total_inv - total_credit, idempotency_key=key,
                      currency_id=int(str(setting("currency_id", "1")) or 1))
        values["date"] = values.get("date") or _today(setting("timezone_id", "1"))
        if not values.get("number"):
            values["number"] = await money.payment_number(self.db, who.company_id)
        cols = list(values)
        payment_id = int(await self.db.fetchval(
            f"INSERT INTO payments ({', '.join(cols)}) VALUES ({', '.join(f'${i}' for i in range(1, len(cols) + 1))}) "
            "RETURNING id", *values.values()))
        await money.adjust_client(self.db, who.company_id, client["id"], paid=amount + total_credit)
        await self._apply(who, payment_id, invs, invoices, credits, setting)
        await money.refresh_payment_balance(self.db, who.company_id, client["id"])
        await activities.record(self.db, who, CREATE_PAYMENT, payment_id=payment_id, client_id=client["id"],
                                invoice_id=invoices[0][0] if invoices else None)
        return payment_id

    async def _setting(self, who: Principal, client_id: int) -> Any:
        return (await InvoiceService(REGISTRY["invoice"], self.db)._context(who, client_id))["setting"]

    async def _check_invoices(self, who: Principal, client_id: int, invoices: list[Entry]) -> dict[int, Row]:
        """Locked invoice rows; each must be the client's, payable, and the amount within what it owes."""
        invs = await money.lock_invoices(self.db, who.company_id, [i for i, _ in invoices])
        errors: dict[str, list[str]] = {}
        for n, (invoice_id, amount) in enumerate(invoices):
            inv = invs.get(invoice_id)
            if inv is None or inv["client_id"] != client_id:
                errors[f"invoices.{n}.invoice_id"] = [f"The selected invoices.{n}.invoice_id is invalid."]
                continue
            limit = invoice_ops.payable(inv)
            if limit is None:
                errors["invoices"] = ["One or more of these invoices have been paid"]
            elif amount > limit:
                errors[f"invoices.{n}.amount"] = ["Amount cannot be greater than invoice balance"]
        if errors:
            raise Invalid(errors)
        return invs

    async def _check_credits(self, who: Principal, client_id: int, credits: list[Entry], invoices: list[Entry],
                             total_inv: Decimal) -> Decimal:
        if not credits:
            return Decimal(0)
        rows = {r["id"]: r for r in await lock_credits(self.db, who.company_id, [c for c, _ in credits])}
        errors: dict[str, list[str]] = {}
        for n, (credit_id, amount) in enumerate(credits):
            row = rows.get(credit_id)
            if row is None or row["client_id"] != client_id or row["is_deleted"]:
                errors[f"credits.{n}.credit_id"] = [f"The selected credits.{n}.credit_id is invalid."]
            elif amount > money.dec(row["amount"] if row["status_id"] == 1 else row["balance"]):
                errors[f"credits.{n}.amount"] = ["Amount cannot be greater than credit balance"]
        total = sum((a for _, a in credits), Decimal(0))
        if not invoices:
            errors["invoices"] = ["Credits can only be applied to invoices."]
        elif total > total_inv:
            errors["credits"] = ["The credits total cannot be greater than the invoices total."]
        if total <= 0:
            errors.setdefault("credits", ["The credits total must be more than 0."])
        if errors:
            raise Invalid(errors)
        self._credit_rows = rows
        return total

    async def _apply(self, who: Principal, payment_id: int, invs: dict[int, Row], invoices: list[Entry],
                     credits: list[Entry], setting: Any) -> None:
        for invoice_id, amount in sorted(invoices):
            await money.paymentable(self.db, who.company_id, payment_id, amount, invoice_id=invoice_id)
            await invoice_ops.apply_payment(self.db, who, invs[invoice_id], amount, payment_id, setting=setting)
        if credits:
            for credit_id, amount in sorted(credits):
                if amount == 0:
                    continue
                await money.paymentable(self.db, who.company_id, payment_id, amount, credit_id=credit_id)
                await apply_credit(self.db, who, self._credit_rows[credit_id], amount, invoices[0][0])

    async def _check_number(self, who: Principal, number: str | None, me: int) -> None:
        if number and await self.db.fetchval("SELECT 1 FROM payments WHERE company_id = $1 AND number = $2 "
                                             "AND id <> $3", who.company_id, number, me):
            raise invalid("number", NUMBER_TAKEN)

    # ---- update: other fields, and apply unapplied money to invoices (R4.2) ----------------------
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
                payment = dict(await self.db.fetchrow("SELECT * FROM payments WHERE company_id = $1 AND id = $2 "
                                                      "FOR UPDATE", who.company_id, entity_id))
                await self._check_number(who, values.get("number"), entity_id)
                if values:
                    sets = ", ".join(f"{col} = ${i}" for i, col in enumerate(values, start=3))
                    await self.db.execute(f"UPDATE payments SET {sets}, updated_at = now() WHERE company_id = $1 "
                                          "AND id = $2", who.company_id, entity_id, *values.values())
                if invoices or credits:
                    await self._apply_existing(who, client["id"], payment, invoices, credits)
                await activities.record(self.db, who, UPDATE_PAYMENT, payment_id=entity_id, client_id=client["id"])
        except asyncpg.UniqueViolationError:
            raise invalid("number", NUMBER_TAKEN) from None
        return await self.get(who, entity_id, include)

    async def _apply_existing(self, who: Principal, client_id: int, payment: Row, invoices: list[Entry],
                              credits: list[Entry]) -> None:
        if payment["status_id"] == 1:
            raise invalid("id", "A pending payment cannot be applied.")
        invs = await self._check_invoices(who, client_id, invoices)
        total_inv = sum((a for _, a in invoices), Decimal(0))
        total_credit = await self._check_credits(who, client_id, credits, invoices, total_inv)
        if await money.unapplied(self.db, who.company_id, payment) + total_credit < total_inv:
            raise invalid("invoices", "The amount to apply is greater than the unapplied amount of the payment.")
        setting = await self._setting(who, client_id)
        await self.db.execute("UPDATE payments SET applied = applied + $3 WHERE company_id = $1 AND id = $2",
                              who.company_id, payment["id"], total_inv - total_credit)
        if total_credit:   # credits count towards paid_to_date when they are used (R4.1 step 1)
            await money.adjust_client(self.db, who.company_id, client_id, paid=total_credit)
        await self._apply(who, payment["id"], invs, invoices, credits, setting)
        await money.refresh_payment_balance(self.db, who.company_id, client_id)

    async def refund(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        """POST /payments/refund (R4.3), for both edges: one transaction, then the refunded payment."""
        from . import payment_undo   # it builds on this module's entry parsing
        self._require(who, "edit")   # a refund edits the payment
        async with self.db.transaction():
            payment_id = await payment_undo.refund(self.db, who, data)
        return await self.get(who, payment_id, include)

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            client_id = await self.db.fetchval("SELECT client_id FROM payments WHERE company_id = $1 AND id = $2",
                                               who.company_id, entity_id)
            await activities.record(self.db, who, type_id, payment_id=entity_id, client_id=client_id)

    # ---- bulk: delete reverses everything; a deleted payment is never restored --------------------
    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action in ("email", "email_receipt"):
            return   # receipts are not mailed yet
        if action == "restore":
            live = [r["id"] for r in await self.db.fetch(
                "SELECT id FROM payments WHERE company_id = $1 AND id = ANY($2::bigint[]) AND is_deleted = false",
                who.company_id, list(entity_ids))]
            return await super().bulk(who, action, live, data)
        if action != "delete":
            return await super().bulk(who, action, entity_ids, data)
        self._require(who, "edit")
        from .payment_undo import delete_payment
        async with self.db.transaction():
            clients = await money.owners(self.db, who.company_id, "payments", entity_ids)
            await money.lock_clients(self.db, who.company_id, clients)
            rows = await self.db.fetch("SELECT * FROM payments WHERE company_id = $1 AND id = ANY($2::bigint[]) "
                                       "ORDER BY id FOR UPDATE", who.company_id, list(entity_ids))
            for row in rows:
                if not row["is_deleted"]:
                    await delete_payment(self.db, who, dict(row))
            await super().bulk(who, action, entity_ids, data)
