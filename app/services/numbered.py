"""NumberedService: the parent of the services whose entity is numbered from a company counter
(`entity.number_counter`) and whose `number` is unique in the company: vendors, expenses, recurring
expenses, projects, tasks. A number typed in must be free (archived and deleted rows count); none on create
takes the counter's next; none on update keeps the assigned one. The table's unique index on
(company_id, number) settles a race between two writers; the loser gets the same 422."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from ..auth import Principal
from ..crud.service import Row
from ..errors import invalid
from . import numbering
from .entity import EntityService

TAKEN = "The number has already been taken."


class NumberedService(EntityService):
    async def assign_number(self, who: Principal, values: Row, current: Row | None) -> None:
        table = self.entity.table
        if values.get("number"):
            taken = await self.db.fetchval(
                f"SELECT 1 FROM {table} WHERE company_id = $1 AND number = $2 AND id <> $3",
                who.company_id,
                values["number"],
                current["id"] if current else 0,
            )
            if taken:
                raise invalid("number", TAKEN)
        elif current is not None:
            values.pop("number", None)  # an empty number on update keeps the assigned one
        else:
            counter = self.entity.number_counter
            values["number"] = await numbering.next_number(self.db, who.company_id, counter, table)

    def _taken(self, exc: asyncpg.UniqueViolationError) -> Exception:
        if getattr(exc, "constraint_name", "") == f"{self.entity.table}_number":
            return invalid("number", TAKEN)
        return exc

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().create(who, data, include)
        except asyncpg.UniqueViolationError as exc:  # a concurrent writer took the same number
            raise self._taken(exc) from None

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().update(who, entity_id, data, include)
        except asyncpg.UniqueViolationError as exc:
            raise self._taken(exc) from None
