"""Expense categories: a name is required and unique in its company, archived and deleted ones included
(upstream validates `unique:expense_categories,name` per company; the comparison ignores case, as MySQL's
default collation does there)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from ...auth import Principal
from ...errors import invalid
from ..entity import EntityService

Row = dict[str, Any]
TAKEN = "The name has already been taken."


class ExpenseCategoryService(EntityService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None and not (values.get("name") or "").strip():
            raise invalid("name", "The name field is required.")
        if "name" not in values:
            return
        if not (values["name"] or "").strip():
            raise invalid("name", "The name field is required.")
        taken = await self.db.fetchval(
            "SELECT 1 FROM expense_categories WHERE company_id = $1 AND lower(name) = lower($2) AND id <> $3",
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
