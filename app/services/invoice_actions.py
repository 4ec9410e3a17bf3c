"""Invoice actions (upstream-domain.md R3): `GET /invoices/{id}/{action}`, `POST /invoices/bulk` and the query
flags of create/update (`?mark_sent=true`, `?paid=true`, `?amount_paid=N`).

Every action runs in one transaction that locks the invoices' clients (id order), then the invoices (id
order); payment numbers come last from the company counter.
"""
from __future__ import annotations

import contextvars
from decimal import Decimal
from typing import Any, Mapping, Sequence

from ..auth import Principal
from ..crud.service import Row
from ..crud.validate import clean_decimal
from ..entities import REGISTRY
from ..entities.billing import STATUS_DRAFT, STATUS_PAID
from ..entities.spec import Entity
from ..errors import BadRequest, invalid
from . import activities, invoice_ops, money
from .billing_docs import DocumentService
from .invoices import InvoiceService, _today

EMAIL_INVOICE, CREATE_PAYMENT, PAID_INVOICE = 6, 10, 54
EMAIL_SENT = "email sent"
CANNOT_PAY = "Invoice cannot be marked as paid"
TRUE = ("1", "true", "yes", "on")

# Query flags of the current create/update request (set by rest/invoice_actions.py, read in after_write).
FLAGS: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar("invoice_flags", default={})


def not_available(action: str) -> BadRequest:
    return BadRequest(f"The requested action {action} is not available.")


class InvoiceActions(InvoiceService):
    # ---- create / update with flags --------------------------------------------------------------
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None and values.get("client_id") is not None:
            await money.lock_client(self.db, who.company_id, values["client_id"])   # client before the counter
        await super().before_write(who, values, current, data)

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        await super().after_write(who, entity_id, current, data)
        flags = FLAGS.get()
        amount_paid = _amount(flags.get("amount_paid", ""))
        wanted = [name for name in ("mark_sent", "paid") if flags.get(name, "").strip().lower() in TRUE]
        if not wanted and amount_paid is None:
            return
        inv, setting = await self._lock_one(who, entity_id)
        if "paid" in wanted:
            await self.mark_paid(who, inv, setting, flags.get("reference", ""), strict=False)
        elif amount_paid is not None:
            await self.amount_paid(who, inv, setting, amount_paid, flags.get("reference", ""))
        elif "mark_sent" in wanted:
            await invoice_ops.mark_sent(self.db, who, inv, setting)

    async def _lock_one(self, who: Principal, invoice_id: int) -> tuple[dict[str, Any], Any]:
        client_id = await self.db.fetchval("SELECT client_id FROM invoices WHERE company_id = $1 AND id = $2",
                                           who.company_id, invoice_id)
        await money.lock_client(self.db, who.company_id, client_id)
        inv = (await money.lock_invoices(self.db, who.company_id, [invoice_id]))[invoice_id]
        return inv, (await self._context(who, client_id))["setting"]

    # ---- single and bulk actions -------------------------------------------------------------
    async def perform(self, who: Principal, invoice_id: int, action: str) -> tuple[Entity, int] | str:
        self._require(who, "edit")
        if action in ("archive", "restore", "delete"):
            await self.bulk(who, action, [invoice_id], {})
            return self.entity, invoice_id
        if action not in self.entity.bulk_actions or (action == "clone_to_quote" and "quote" not in REGISTRY):
            raise not_available(action)
        async with self.db.transaction():
            inv, setting = await self._lock_one(who, invoice_id)
            if action == "mark_paid":
                await self.mark_paid(who, inv, setting, "", strict=True)
            elif action in ("clone_to_invoice", "clone_to_quote"):
                target = REGISTRY["invoice" if action == "clone_to_invoice" else "quote"]
                return target, await self.clone(who, inv, target)
            else:
                await self.one(who, action, inv, setting)
                if action in ("email", "send_email"):
                    return EMAIL_SENT
        return self.entity, invoice_id

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action not in self.entity.bulk_actions or action == "archive":
            return await super().bulk(who, action, entity_ids, data)
        if action == "clone_to_quote" and "quote" not in REGISTRY:
            raise invalid("action", "The selected action is invalid.")
        self._require(who, "edit")
        async with self.db.transaction():
            clients = await money.owners(self.db, who.company_id, "invoices", entity_ids)
            await money.lock_clients(self.db, who.company_id, clients)
            rows = await money.lock_invoices(self.db, who.company_id, entity_ids)
            if action in ("delete", "restore"):
                for inv in rows.values():
                    if action == "delete" and not inv["is_deleted"]:
                        await invoice_ops.delete_effects(self.db, who, inv)
                    elif action == "restore" and inv["is_deleted"]:
                        if not await invoice_ops.restore_effects(self.db, who, inv):
                            entity_ids = [i for i in entity_ids if i != inv["id"]]   # stays deleted
                return await super().bulk(who, action, entity_ids, data)
            for inv in rows.values():
                setting = (await self._context(who, inv["client_id"]))["setting"]
                if action == "mark_paid":
                    await self.mark_paid(who, inv, setting, str(data.get("reference") or ""), strict=False)
                elif action in ("clone_to_invoice", "clone_to_quote"):
                    await self.clone(who, inv, REGISTRY["invoice" if action == "clone_to_invoice" else "quote"])
                else:
                    await self.one(who, action, inv, setting)

    async def one(self, who: Principal, action: str, inv: dict[str, Any], setting: Any) -> None:
        if action == "mark_sent":
            await invoice_ops.mark_sent(self.db, who, inv, setting)
        elif action == "cancel":
            await invoice_ops.cancel(self.db, who, inv)
        elif action == "reverse":
            await invoice_ops.reverse(self.db, who, inv)
        elif action in ("email", "send_email"):
            await self.email(who, inv, setting)

    # ---- payments from the invoice -------------------------------------------------------------
    async def _new_payment(self, who: Principal, inv: dict[str, Any], setting: Any, amount: Decimal,
                           applied: Decimal, reference: str) -> int:
        type_id = str(setting("payment_type_id", "0")).strip()
        return int(await self.db.fetchval(
            "INSERT INTO payments (company_id, user_id, client_id, status_id, amount, applied, date, "
            "transaction_reference, currency_id, type_id, number, is_manual) VALUES ($1, $2, $3, 4, $4, $5, $6, $7, "
            "$8, $9, $10, true) RETURNING id", who.company_id, who.user_id, inv["client_id"], amount, applied,
            _today(setting("timezone_id", "1")), reference or "Manual entry",
            int(str(setting("currency_id", "1")) or 1), int(type_id) if type_id.isdigit() and int(type_id) > 0
            else None, await money.payment_number(self.db, who.company_id)))

    async def mark_paid(self, who: Principal, inv: dict[str, Any], setting: Any, reference: str,
                        strict: bool) -> None:
        """R3.3: a payment of the whole balance (draft: marked sent first); invoice Paid."""
        if inv["is_deleted"] or inv["status_id"] == STATUS_PAID:
            if strict:
                raise BadRequest(CANNOT_PAY)
            return
        if invoice_ops.payable(inv) is None:   # cancelled or reversed: nothing to pay
            if strict:
                raise BadRequest(CANNOT_PAY)
            return
        await invoice_ops.mark_sent(self.db, who, inv, setting)
        if dec(inv["balance"]) == 0:   # nothing owed (a zero invoice): Paid without a payment
            await invoice_ops._save(self.db, who, inv, status_id=STATUS_PAID)   # noqa: SLF001
            return
        await self._pay(who, inv, setting, dec(inv["balance"]), reference, "Marked Paid Activity")

    async def amount_paid(self, who: Principal, inv: dict[str, Any], setting: Any, amount: Decimal,
                          reference: str) -> None:
        """R3.4: a manual payment of `amount`; only up to the balance is applied (the rest stays unapplied)."""
        if inv["is_deleted"] or amount == 0 or inv["status_id"] == STATUS_PAID or invoice_ops.payable(inv) is None:
            return
        await invoice_ops.mark_sent(self.db, who, inv, setting)
        await self._pay(who, inv, setting, amount, reference, "ApplyPaymentInvoice-")

    async def _pay(self, who: Principal, inv: dict[str, Any], setting: Any, amount: Decimal, reference: str,
                   notes: str) -> None:
        if amount <= 0:
            return
        applied = min(amount, dec(inv["balance"]))
        payment_id = await self._new_payment(who, inv, setting, amount, applied, reference)
        await money.paymentable(self.db, who.company_id, payment_id, applied, invoice_id=inv["id"])
        await invoice_ops.apply_payment(self.db, who, inv, applied, payment_id, notes, setting)
        await money.adjust_client(self.db, who.company_id, inv["client_id"], paid=amount)
        await money.refresh_payment_balance(self.db, who.company_id, inv["client_id"])
        await activities.record(self.db, who, CREATE_PAYMENT, payment_id=payment_id, invoice_id=inv["id"],
                                client_id=inv["client_id"])
        await activities.record(self.db, who, PAID_INVOICE, payment_id=payment_id, invoice_id=inv["id"],
                                client_id=inv["client_id"])

    # ---- email and clones ----------------------------------------------------------------------
    async def email(self, who: Principal, inv: dict[str, Any], setting: Any) -> None:
        """No mail leaves this server yet: a draft is marked sent, every live invitation gets sent_date = now,
        last_sent_date = today, and activity 6 is recorded per invited contact."""
        if inv["is_deleted"]:
            return
        await invoice_ops.mark_sent(self.db, who, inv, setting)
        await self.db.execute("UPDATE invoices SET last_sent_date = $3, updated_at = now() WHERE company_id = $1 "
                              "AND id = $2", who.company_id, inv["id"], _today(setting("timezone_id", "1")))
        contacts = await self.db.fetch(
            "UPDATE invoice_invitations SET sent_date = now(), updated_at = now() WHERE company_id = $1 AND "
            "invoice_id = $2 AND deleted_at IS NULL RETURNING client_contact_id", who.company_id, inv["id"])
        for c in sorted(contacts, key=lambda r: r["client_contact_id"]):
            await activities.record(self.db, who, EMAIL_INVOICE, invoice_id=inv["id"], client_id=inv["client_id"],
                                    contact_id=c["client_contact_id"])

    async def clone(self, who: Principal, inv: dict[str, Any], target: Entity) -> int:
        """A new draft (invoice or quote) with the invoice's content and a fresh number."""
        from . import service_for
        helper = DocumentService(REGISTRY["invoice"], self.db)
        row = await self.db.fetchrow("SELECT *, line_items::text AS lines FROM invoices WHERE company_id = $1 "
                                     "AND id = $2", who.company_id, inv["id"])
        body = await helper.copy_body(who, dict(row))
        token = FLAGS.set({})
        try:
            made = await service_for(target, self.db).create(who, body)
        finally:
            FLAGS.reset(token)
        return int(made["id"])


def dec(value: Any) -> Decimal:
    return money.dec(value)


def _amount(raw: str) -> Decimal | None:
    """`?amount_paid=`: a positive amount the money columns can hold, else nothing to apply."""
    try:
        value = clean_decimal(raw)
    except ValueError:
        return None
    return value if value > 0 else None


__all__ = ["FLAGS", "InvoiceActions", "STATUS_DRAFT"]
