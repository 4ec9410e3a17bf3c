"""NamedService: the parent of the services whose entity's name is required and unique in its company,
ignoring case, archived and deleted rows included (upstream validates `unique:<table>,name` per company, and
MySQL's default collation ignores case): expense categories, task statuses, subscriptions. The table's
unique index on (company_id, lower(name)) settles a race between two writes; the loser gets the same 422."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from ..auth import Principal
from ..crud.service import Row
from ..errors import invalid
from .entity import EntityService

TAKEN = "The name has already been taken."


class NamedService(EntityService):
    async def check_name(self, who: Principal, values: Row, current: Row | None) -> None:
        """On create, and on an update that sends a name: present, and no other row of the company has it."""
        if current is not None and "name" not in values:
            return
        if not (values.get("name") or "").strip():
            raise invalid("name", "The name field is required.")
        taken = await self.db.fetchval(
            f"SELECT 1 FROM {self.entity.table} WHERE company_id = $1 AND lower(name) = lower($2) AND id <> $3",
            who.company_id,
            values["name"],
            current["id"] if current else 0,
        )
        if taken:
            raise invalid("name", TAKEN)

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().create(who, data, include)
        except asyncpg.UniqueViolationError as exc:  # a concurrent create took the name after our check
            raise invalid("name", TAKEN) from exc

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().update(who, entity_id, data, include)
        except asyncpg.UniqueViolationError as exc:
            raise invalid("name", TAKEN) from exc
