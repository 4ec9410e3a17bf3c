"""What every recurring entity's service shares (recurring invoices, recurring expenses): the frequency a body
names (1..12, upstream's ids), the time zone a schedule fires in, and the moment the next send date stands
for (midnight of that date where the client is), and the statuses start/stop move between."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timezone
from datetime import date as Date
from typing import Any
from zoneinfo import ZoneInfo

from .. import reference
from ..auth import Principal
from ..db import Db
from ..entities.recurring import ACTIVE, FREQUENCIES, PAUSED
from ..errors import invalid


def zone(timezone_id: Any) -> ZoneInfo | timezone:
    name = reference.TIMEZONES.get(str(timezone_id), {}).get("name", "UTC")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC


def frequency(value: Any) -> int:
    text = str(value).strip() if value is not None and not isinstance(value, bool) else ""
    if not text.isdigit() or int(text) not in FREQUENCIES:
        raise invalid("frequency_id", "The selected frequency id is invalid.")
    return int(text)


def send_moment(send_on: Date, timezone_id: Any) -> datetime:
    """The UTC moment a client-side send date fires: its midnight in the given time zone."""
    return datetime.combine(send_on, time(0), tzinfo=zone(timezone_id))


async def start(db: Db, who: Principal, table: str, entity_ids: Sequence[int]) -> None:
    """-> active, unless no cycles are left or the row is deleted; an archived one is restored."""
    await db.execute(
        f"UPDATE {table} SET status_id = $3, deleted_at = NULL, updated_at = now() "
        "WHERE company_id = $1 AND id = ANY($2::bigint[]) AND remaining_cycles <> 0 AND NOT is_deleted",
        who.company_id,
        list(entity_ids),
        ACTIVE,
    )


async def stop(db: Db, who: Principal, table: str, entity_ids: Sequence[int]) -> None:
    """-> paused, from draft, active or pending."""
    await db.execute(
        f"UPDATE {table} SET status_id = $3, updated_at = now() WHERE company_id = $1 "
        "AND id = ANY($2::bigint[]) AND status_id < $3",
        who.company_id,
        list(entity_ids),
        PAUSED,
    )
