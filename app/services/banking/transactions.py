"""BankTransactionService: bank transactions of the company's manual bank accounts.

Create and update: the bank account (`bank_integration_id`) is required and must be a live one of the
company; the currency defaults to the company's; `baseType` is read as `base_type` (upstream's alias); the
rules run on every write of an unmatched transaction (app.services.banking.rules).
`POST /bank_transactions/match` and bulk `convert_matched` convert (app.services.banking.convert); bulk
`unlink` takes a transaction back to unmatched, clearing its links as upstream does: the payment and the
expenses it was converted into stay, only their link to the transaction goes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...auth import Principal
from ...entities.banking import CONVERTED
from ...errors import Forbidden, Invalid, invalid
from ..entity import EntityService
from . import convert
from .match import Entry, parse
from .rules import match_transaction

Row = dict[str, Any]


class BankTransactionService(EntityService):
    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        return await super().create(who, _aliased(data), include)

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        return await super().update(who, entity_id, _aliased(data), include)

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None and values.get("bank_integration_id") is None:
            raise invalid("bank_integration_id", "The bank integration id field is required.")
        if "bank_integration_id" in values and values["bank_integration_id"] is None:
            raise invalid("bank_integration_id", "The bank integration id field is required.")
        if current is None and values.get("currency_id") is None:
            settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
            values["currency_id"] = int(str((settings or {}).get("currency_id") or "1"))
        if current is None and values.get("date") is None:
            values["date"] = await self.db.fetchval("SELECT CURRENT_DATE")

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        [tx] = (await convert.lock_transactions(self.db, who.company_id, [entity_id])).values()
        await match_transaction(self.db, who, tx)

    # ---- match -----------------------------------------------------------------------------------
    async def match(self, who: Principal, data: Mapping[str, Any]) -> list[int]:
        """POST /bank_transactions/match: every entry converted in one transaction (a 422 changes
        nothing); -> the ids of the transactions changed (converted ones are left as they are)."""
        entries = await parse(self.db, who, data)
        changed = []
        async with self.db.transaction():
            locked = await convert.lock_transactions(self.db, who.company_id, [e.tx_id for e in entries])
            hidden = self._own_only(who) is not None
            for entry in entries:
                tx = locked[entry.tx_id]
                if hidden and not self.owns(who, tx):  # a row this user cannot see is a missing one
                    raise invalid(entry.where("id"), f"The selected {entry.where('id')} is invalid.")
                self.require_edit(who, tx)  # matching edits the transaction
                if tx["is_deleted"] or tx["status_id"] == CONVERTED:
                    continue  # a transaction converted meanwhile (a racing match) stays as it is
                await _run(who, tx, entry, self)
                changed.append(tx["id"])
        return changed

    # ---- bulk ------------------------------------------------------------------------------------
    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        locked = await convert.lock_transactions(self.db, who.company_id, list(entity_ids))
        for tx in locked.values():
            if action == "unlink":
                await self._unlink(who, tx)
            elif action == "convert_matched":
                await self._convert_matched(who, tx)
            else:
                raise invalid("action", "The selected action is invalid.")

    async def _convert_matched(self, who: Principal, tx: Row) -> None:
        """What the rules or a match suggested, converted; one that cannot be (an invoice paid meanwhile)
        stays matched, as upstream skips it, and the answer shows its status."""
        if tx["is_deleted"] or tx["status_id"] == CONVERTED:
            return
        entry = Entry(
            tx["id"],
            invoice_ids=list(tx["invoice_ids"]),
            payment_id=tx["payment_id"],
            vendor_id=tx["vendor_id"],
            category_id=tx["ninja_category_id"],
        )
        if not (entry.invoice_ids or entry.payment_id or entry.category_id):
            return
        try:
            async with self.db.transaction():
                await _run(who, tx, entry, self)
        except (Invalid, Forbidden):
            pass

    async def _unlink(self, who: Principal, tx: Row) -> None:
        company = who.company_id
        await self.db.execute(
            "UPDATE payments SET transaction_id = NULL, updated_at = now() WHERE company_id = $1 AND id = $2 "
            "AND transaction_id = $3",
            company,
            tx["payment_id"],
            tx["id"],
        )
        await self.db.execute(
            "UPDATE expenses SET transaction_id = NULL, updated_at = now() WHERE company_id = $1 "
            "AND id = ANY($2::bigint[]) AND transaction_id = $3",
            company,
            list(tx["expense_ids"]),
            tx["id"],
        )
        await self.db.execute(
            "UPDATE bank_transactions SET payment_id = NULL, expense_ids = '{}', vendor_id = NULL, "
            "invoice_ids = '{}', ninja_category_id = NULL, status_id = 1, updated_at = now() "
            "WHERE company_id = $1 AND id = $2",
            company,
            tx["id"],
        )


async def _run(who: Principal, tx: Row, entry: Entry, svc: BankTransactionService) -> None:
    """One entry, by the first key it names: invoices, a payment, expenses, else a new expense."""
    db = svc.db
    if entry.invoice_ids:
        await convert.pay_invoices(db, who, tx, entry.invoice_ids, entry.where("invoice_ids"))
    elif entry.payment_id:
        await convert.link_payment(db, who, tx, entry.payment_id, entry.where("payment_id"))
    elif entry.expense_ids:
        await convert.link_expenses(db, who, tx, entry.expense_ids, entry.where("expense_id"))
    else:
        await convert.new_expense(db, who, tx, entry.vendor_id, entry.category_id)


def _aliased(data: Mapping[str, Any]) -> Mapping[str, Any]:
    if "baseType" in data and "base_type" not in data:
        return {**data, "base_type": data["baseType"]}
    return data
