"""Projects: a client is required and never changes, the number comes from the company's project counter
and is unique in the company, a negative task rate is 0 (upstream pre-fills it so). `current_hours` is
derived from the project's tasks (app.entities.projects). Bulk `invoice` makes one draft invoice from the
projects' uninvoiced tasks (app.services.projects.invoicing) and answers with it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ...auth import Principal
from ...entities import REGISTRY
from ...entities.spec import Entity
from ...errors import invalid
from .. import money
from ..numbered import NumberedService
from . import invoicing, nulls

Row = dict[str, Any]
NULLABLE = ("task_rate", "budgeted_hours")


class ProjectService(NumberedService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None:
            if not (values.get("name") or "").strip():
                raise invalid("name", "The name field is required.")
            if values.get("client_id") is None:
                raise invalid("client_id", "The client id field is required.")
            # the client row before the company counter, as invoicing takes them (the insert's key check
            # would otherwise wait on the client while holding the counter)
            await money.lock_client(self.db, who.company_id, values["client_id"])
        else:
            if "name" in values and not (values["name"] or "").strip():
                raise invalid("name", "The name field is required.")
            given = values.pop("client_id", None)
            if given is not None and given != current["client_id"]:
                raise invalid("client_id", "The client id cannot be changed.")
        for column in ("task_rate", "budgeted_hours"):
            if values.get(column) is not None and values[column] < 0:
                values[column] = Decimal(0)
        await self.assign_number(who, values, current)

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        return await super().create(who, nulls.absent(data, NULLABLE), include)

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        return await super().update(who, entity_id, nulls.absent(data, NULLABLE), include)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "invoice":
            await self.bulk_made(who, action, entity_ids, data)
            return
        await super().bulk(who, action, entity_ids, data)

    async def bulk_made(
        self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]
    ) -> tuple[Entity, int] | None:
        if action != "invoice":
            return await super().bulk_made(who, action, entity_ids, data)
        self._require(who, "edit")
        return REGISTRY["invoice"], await invoicing.from_projects(self.db, who, entity_ids)
