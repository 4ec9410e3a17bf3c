"""Task schedulers: a template (email_statement, email_record, email_report), a frequency 1..12 (0 for
email_record, which runs once), the next run (a date in the company's time zone, today or later; the UTC
moment it falls due is kept beside it) and the template's parameters (schedules.parameters). Only admins
create, change or delete them; a bulk action other than archive, restore and delete is upstream's 400
"Bulk action does not exist". No activities, as upstream writes none. Running them belongs to the job engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ... import reference
from ...auth import Principal
from ...crud.service import Row
from ...errors import BadRequest, Forbidden, invalid
from ..billing import context
from ..entity import EntityService
from .parameters import clean_parameters

ONCE = "email_record"  # runs once: frequency 0


def _frequency(value: Any) -> int:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit() or not 1 <= int(text) <= 12:
        raise invalid("frequency_id", "The frequency id must be an integer between 1 and 12.")
    return int(text)


class TaskSchedulerService(EntityService):
    def _require(self, who: Principal, action: str) -> None:
        if action != "view" and not (who.is_admin or who.is_owner):
            raise Forbidden("This action is unauthorized.")
        super()._require(who, action)

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        template = values.get("template") or (current or {}).get("template") or ""
        if not template:
            raise invalid("template", "The template field is required.")
        if current is None and values.get("next_run_client") is None:
            raise invalid("next_run", "The next run field is required.")
        if template == ONCE:
            values["frequency_id"] = 0
        elif data.get("frequency_id") not in (None, ""):
            values["frequency_id"] = _frequency(data["frequency_id"])
        elif current is not None and str(current["frequency_id"]) in ("", "0"):
            values["frequency_id"] = 5  # a record scheduler turned into a repeating one: monthly, the default
        if values.get("remaining_cycles") is not None and values["remaining_cycles"] < -1:
            raise invalid("remaining_cycles", "The remaining cycles must be at least -1.")
        settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
        timezone_id = (settings or {}).get("timezone_id", "1")
        run_on = values.get("next_run_client")
        if run_on is not None:
            if run_on < context.today(timezone_id):
                raise invalid("next_run", "The next run must be a date after or equal to today.")
            values["next_run"] = datetime.combine(run_on, time(0), tzinfo=_zone(timezone_id))
        if "parameters" in values or current is None or "template" in values:
            given = values["parameters"] if "parameters" in values else (current or {}).get("parameters") or {}
            values["parameters"] = await clean_parameters(self.db, who, template, given)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action not in self.entity.bulk_actions:
            raise BadRequest("Bulk action does not exist")
        await super().bulk(who, action, entity_ids, data)


def _zone(timezone_id: Any) -> ZoneInfo | Any:
    name = reference.TIMEZONES.get(str(timezone_id), {}).get("name", "UTC")
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return UTC
