"""The activity log: one row per user-visible event, with upstream's activity type ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..db import Db

REF_COLUMNS = frozenset(
    {
        "client_id",
        "contact_id",
        "invoice_id",
        "quote_id",
        "credit_id",
        "payment_id",
        "expense_id",
        "task_id",
        "vendor_id",
        "vendor_contact_id",
        "recurring_invoice_id",
        "recurring_expense_id",
        "purchase_order_id",
        "recurring_quote_id",
        "subscription_id",
    }
)


async def record(db: Db, who: Any, type_id: int, notes: str = "", ip: str = "", **refs: int | None) -> None:
    """`who` is the acting Principal; `refs` name the rows involved (client_id=..., invoice_id=...)."""
    await record_refs(db, who, type_id, refs, notes, ip)


async def record_refs(
    db: Db, who: Any, type_id: int, refs: Mapping[str, int | None], notes: str = "", ip: str = ""
) -> None:
    """`record` with the refs as a mapping, for callers whose column names are computed (`{kind}_id`)."""
    cols = {k: v for k, v in refs.items() if k in REF_COLUMNS and v is not None}
    names = ["company_id", "user_id", "token_id", "activity_type_id", "notes", "ip", *cols]
    values = [who.company_id, who.user_id, who.token_id, type_id, notes, ip, *cols.values()]
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    await db.execute(f"INSERT INTO activities ({', '.join(names)}) VALUES ({placeholders})", *values)
