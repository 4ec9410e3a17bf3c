"""The settings a billing document is written under: the client's overrides, then its group's, then the
company's (the first non-empty value wins), the company's own flags (`attributes`), and the client
currency's precision. Also the company's today, in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as Date
from typing import Any
from zoneinfo import ZoneInfo

from ... import reference
from ...db import Db

CONTEXT_SQL = (
    "SELECT c.settings AS client, g.settings AS grp, co.settings AS company, co.attributes, c.public_notes "
    "FROM clients c JOIN companies co ON co.id = c.company_id LEFT JOIN group_settings g "
    "ON g.company_id = c.company_id AND g.id = c.group_settings_id WHERE c.company_id = $1 AND c.id = $2"
)


def on(setting: Any) -> bool:
    """A boolean setting; client and group overrides are free-form, so "true" and 1 count too."""
    return setting is True or str(setting).strip().lower() in ("1", "true")


def today(timezone_id: Any) -> Date:
    name = reference.TIMEZONES.get(str(timezone_id), {}).get("name", "UTC")
    try:
        return datetime.now(ZoneInfo(name)).date()
    except (KeyError, ValueError):
        return datetime.now(UTC).date()


async def load(db: Db, company_id: int, client_id: int) -> dict[str, Any]:
    """-> {setting(key, default), attributes, public_notes, company (its settings), precision}."""
    row = await db.fetchrow_one(CONTEXT_SQL, company_id, client_id)  # check_refs proved the client is the caller's
    layers = [row["client"] or {}, row["grp"] or {}, row["company"] or {}]

    def setting(key: str, default: Any = "") -> Any:
        for layer in layers:
            value = layer.get(key)
            if value is not None and value != "":
                return value
        return default

    currency = reference.CURRENCIES.get(str(setting("currency_id", "1")), {})
    return {
        "setting": setting,
        "attributes": row["attributes"] or {},
        "public_notes": row["public_notes"],
        "company": row["company"] or {},
        "precision": int(currency.get("precision", 2)),
    }
