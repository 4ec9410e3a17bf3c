"""Bank integrations are manual accounts here: no bank feed (Yodlee, Nordigen) is reached. The feed
operations upstream offers still answer, honestly: refreshing lists the accounts as they are, removing an
account by its bank-side id deletes it, and fetching transactions says that there is nothing to fetch.
All three are for admins, as upstream's AdminBankIntegrationRequest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal
from ...crud.results import Page
from ...crud.service import Row
from ...errors import Forbidden, NotFound
from ..entity import EntityService

NO_FEED = "No bank feed is connected to this server: bank accounts are manual, so there are no transactions to fetch."


class BankIntegrationService(EntityService):
    def _admin(self, who: Principal) -> None:
        if not (who.is_admin or who.is_owner):
            raise Forbidden("This action is unauthorized.")

    async def refresh_accounts(self, who: Principal, params: Mapping[str, Any]) -> Page:
        """Upstream re-reads the accounts from the feed, then lists them; with no feed, the list as it is."""
        self._admin(who)
        return await self.page(who, params)

    async def remove_account(self, who: Principal, bank_account_id: str, include: str = "") -> Row:
        """The account whose bank-side id is `bank_account_id` is deleted (archived ones too), as upstream."""
        self._admin(who)
        found = (
            await self.db.fetchval(
                "SELECT id FROM bank_integrations WHERE company_id = $1 AND bank_account_id = $2 ORDER BY id LIMIT 1",
                who.company_id,
                int(bank_account_id),
            )
            if bank_account_id.isdigit() and len(bank_account_id) < 19
            else None
        )
        if found is None:
            raise NotFound(f"{self.entity.title} not found")
        return await self.destroy(who, found, include)

    async def fetch_transactions(self, who: Principal) -> str:
        self._admin(who)
        return NO_FEED
