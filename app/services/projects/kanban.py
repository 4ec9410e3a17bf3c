"""`POST /api/v1/tasks/sort`, the kanban's drag and drop (upstream TaskController::sort):
`{"status_ids": [status, ...], "task_ids": {"<status>": [task, ...], ...}}`. Each listed status gets
status_order = its place in `status_ids` (from 0); each listed task moves to the status it is listed under,
with status_order = its place in that list. Every id must be a live row of the caller's company (else a 422
that changes nothing, as for a missing id); a task may be listed once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...errors import invalid

MAX_IDS = 5000


def _decoded(raw: Any, field: str) -> list[int]:
    if not isinstance(raw, list) or len(raw) > MAX_IDS:
        raise invalid(field, f"The {field.replace('_', ' ')} must be an array.")
    out = [ids.decode_or_none(v) if isinstance(v, str) else None for v in raw]
    if None in out:
        raise invalid(field, f"The selected {field.replace('_', ' ')} is invalid.")
    return [v for v in out if v is not None]


async def _all_live(db: Db, who: Principal, table: str, wanted: set[int]) -> bool:
    if not wanted:
        return True
    found = await db.fetchval(
        f"SELECT count(*) FROM {table} WHERE company_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted",
        who.company_id,
        list(wanted),
    )
    return int(found) == len(wanted)


async def sort(db: Db, who: Principal, body: Mapping[str, Any]) -> None:
    statuses = _decoded(body.get("status_ids", []), "status_ids")
    lists = body.get("task_ids", {})
    if lists in ([], None):
        lists = {}
    if not isinstance(lists, dict):
        raise invalid("task_ids", "The task ids must be an object of status ids and task id arrays.")
    moves: list[tuple[int, int, int]] = []  # (task, status, order)
    columns: set[int] = set()
    for key, tasks in lists.items():
        column = ids.decode_or_none(key)
        if column is None:
            raise invalid("task_ids", "The selected task ids is invalid.")
        columns.add(column)
        moves += [(task, column, n) for n, task in enumerate(_decoded(tasks, "task_ids"))]
    if len(set(statuses)) != len(statuses) or not await _all_live(db, who, "task_statuses", {*statuses, *columns}):
        raise invalid("status_ids", "The selected status ids is invalid.")
    if len(moves) > MAX_IDS:
        raise invalid("task_ids", f"The task ids may not have more than {MAX_IDS} items.")
    moved = {m[0] for m in moves}
    if len(moved) != len(moves) or not await _all_live(db, who, "tasks", moved):
        raise invalid("task_ids", "The selected task ids is invalid.")
    async with db.transaction():
        # rows locked in id order (two sorts at once queue instead of deadlocking); NO KEY: a task saved
        # into one of these statuses meanwhile only needs its key share
        for table, wanted in (("task_statuses", statuses), ("tasks", list(moved))):
            await db.execute(
                f"SELECT 1 FROM {table} WHERE company_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR NO KEY UPDATE",
                who.company_id,
                sorted(wanted),
            )
        await db.execute(
            "UPDATE task_statuses s SET status_order = o.n - 1, updated_at = now() "
            "FROM unnest($2::bigint[]) WITH ORDINALITY AS o (id, n) WHERE s.company_id = $1 AND s.id = o.id",
            who.company_id,
            statuses,
        )
        await db.execute(
            "UPDATE tasks t SET status_id = m.status, status_order = m.n, updated_at = now() "
            "FROM unnest($2::bigint[], $3::bigint[], $4::int[]) AS m (id, status, n) "
            "WHERE t.company_id = $1 AND t.id = m.id",
            who.company_id,
            [m[0] for m in moves],
            [m[1] for m in moves],
            [m[2] for m in moves],
        )
