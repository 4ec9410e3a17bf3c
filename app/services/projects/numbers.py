"""Numbers of projects and tasks: a typed number must be free in the company; an empty one on create
takes the next from the company counter (`project_number_*`, `task_number_*`); on update it keeps the
assigned one (upstream renumbers a task updated without `number`: not mirrored, numbers stay stable)."""

from __future__ import annotations

from typing import Any

from ...auth import Principal
from ...db import Db
from ...errors import invalid
from .. import numbering

TAKEN = "The number has already been taken."


async def assign(db: Db, who: Principal, kind: str, table: str, values: dict[str, Any], current: Any) -> None:
    if values.get("number"):
        taken = await db.fetchval(
            f"SELECT 1 FROM {table} WHERE company_id = $1 AND number = $2 AND id <> $3",
            who.company_id,
            values["number"],
            current["id"] if current else 0,
        )
        if taken:
            raise invalid("number", TAKEN)
    elif current is not None:
        values.pop("number", None)
    else:
        values["number"] = await numbering.next_number(db, who.company_id, kind, table)
