"""Task statuses (the kanban's columns): a name is required and unique in the company, archived and deleted
ones included (case ignored, as MySQL's collation compares upstream); only admins write them (upstream's
form requests), every user reads them. A new status goes last; a changed status_order moves the status to
that place and the company's statuses are renumbered 1..n (upstream TaskStatusRepository::reorder)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal
from ...db import Db
from ...errors import Forbidden
from ..named import NamedService

Row = dict[str, Any]
# upstream CreateCompanyTaskStatuses: every new company's columns, with their status_order
DEFAULT_STATUSES = (("Backlog", 1), ("Ready to do", 2), ("In progress", 3), ("Done", 4))


async def add_defaults(db: Db, company_id: int, user_id: int) -> None:
    """A new company's four statuses (called where the company is created, in its transaction)."""
    await db.execute(
        "INSERT INTO task_statuses (company_id, user_id, name, status_order) "
        "SELECT $1, $2, s.name, s.n FROM unnest($3::text[], $4::int[]) AS s (name, n) ORDER BY s.n",
        company_id,
        user_id,
        [name for name, _ in DEFAULT_STATUSES],
        [n for _, n in DEFAULT_STATUSES],
    )


class TaskStatusService(NamedService):
    def _own_only(self, who: Principal) -> int | None:
        return None  # every user sees the company's columns (upstream lists them without a view check)

    def _require(self, who: Principal, action: str) -> None:
        super()._require(who, action)
        if action in ("create", "edit") and not (who.is_admin or who.is_owner):
            raise Forbidden("This action is unauthorized.")

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        await self.check_name(who, values, current)
        if current is None and values.get("status_order") is None:
            values["status_order"] = await self.db.fetchval(
                "SELECT COALESCE(max(status_order), 0) + 1 FROM task_statuses WHERE company_id = $1", who.company_id
            )

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None or "status_order" not in data:
            return
        rows = await self.db.fetch(
            "SELECT id, status_order FROM task_statuses WHERE company_id = $1 ORDER BY status_order, id FOR UPDATE",
            who.company_id,
        )
        others = [r["id"] for r in rows if r["id"] != entity_id]
        place = next(r["status_order"] for r in rows if r["id"] == entity_id)
        others.insert(max(0, min(place - 1, len(others))), entity_id)
        await self.db.execute(
            "UPDATE task_statuses s SET status_order = o.n FROM unnest($2::bigint[]) WITH ORDINALITY AS o (id, n) "
            "WHERE s.company_id = $1 AND s.id = o.id",
            who.company_id,
            others,
        )
