"""BankTransactionRuleService: a rule needs a name; its conditions are validated (app.services.banking.
conditions) and stored as a clean list. Saving a rule matches the company's unmatched transactions again
(upstream queues that re-match; here it happens in the saving transaction, so the answer is already true)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal
from ...errors import invalid
from ..entity import EntityService
from . import convert
from .conditions import clean_rules
from .rules import match_transaction

Row = dict[str, Any]
REMATCH_LIMIT = 1000  # the newest unmatched transactions a rule save looks at again


class BankTransactionRuleService(EntityService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        name = values.get("name", current["name"] if current else "")
        if not (name or "").strip():
            raise invalid("name", "The name field is required.")
        applies_to = values.get("applies_to") or (current["applies_to"] if current else "CREDIT")
        if "rules" in data:
            values["rules"] = clean_rules(data["rules"], applies_to)
        elif current is not None and "applies_to" in values:
            values["rules"] = clean_rules(current["rules"], applies_to)  # the stored conditions still fit

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        rows = await self.db.fetch(
            "SELECT id FROM bank_transactions WHERE company_id = $1 AND status_id = 1 AND deleted_at IS NULL "
            "ORDER BY id DESC LIMIT $2",
            who.company_id,
            REMATCH_LIMIT,
        )
        locked = await convert.lock_transactions(self.db, who.company_id, [r["id"] for r in rows])
        for tx in locked.values():
            await match_transaction(self.db, who, tx)
