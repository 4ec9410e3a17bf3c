"""The settings a billing document is written under: the client's overrides, then its group's, then the
company's (the first non-empty value wins), the company's own flags (`attributes`), and the client
currency's precision. A vendor's document (a purchase order) has the company's settings with the vendor's
currency over them (vendors carry no settings of their own). Also the company's today, in its time zone."""

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
VENDOR_CONTEXT_SQL = (
    "SELECT jsonb_strip_nulls(jsonb_build_object('currency_id', v.currency_id::text)) AS client, NULL::jsonb AS grp, "
    "co.settings AS company, co.attributes, v.public_notes "
    "FROM vendors v JOIN companies co ON co.id = v.company_id WHERE v.company_id = $1 AND v.id = $2"
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


async def load(db: Db, company_id: int, party_id: int, party: str = "client") -> dict[str, Any]:
    """-> {setting(key, default), attributes, public_notes, company (its settings), precision}.
    `party` is "client" (party_id a client) or "vendor" (a vendor)."""
    sql = VENDOR_CONTEXT_SQL if party == "vendor" else CONTEXT_SQL
    row = await db.fetchrow_one(sql, company_id, party_id)  # check_refs proved the party is the caller's
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
