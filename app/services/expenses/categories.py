"""Expense categories: a name required and unique in the company (app.services.named), a color."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal
from ...crud.service import Row
from ..named import NamedService


class ExpenseCategoryService(NamedService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        await self.check_name(who, values, current)
