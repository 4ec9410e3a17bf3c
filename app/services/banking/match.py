"""The body of `POST /bank_transactions/match` (upstream MatchBankTransactionRequest), read into entries.

`{"transactions": [{"id", "invoice_ids": "HID,HID", "payment_id", "expense_id": "HID,HID", "vendor_id",
"ninja_category_id"}]}`. Every id must name a live row of the caller's company; another company's id is the
same 422 as a missing one, on the field that names it (`transactions.N.invoice_ids`), before anything
changes. Invoices are checked again on their locked rows when the payment is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...errors import Invalid

MAX_ENTRIES = 500
MAX_IDS = 100
LIVE = {  # key -> the table whose live rows of the company it must name
    "id": "bank_transactions",
    "invoice_ids": "invoices",
    "payment_id": "payments",
    "expense_id": "expenses",
    "vendor_id": "vendors",
    "ninja_category_id": "expense_categories",
}


@dataclass
class Entry:
    tx_id: int
    n: int = 0
    invoice_ids: list[int] = field(default_factory=list)
    payment_id: int | None = None
    expense_ids: list[int] = field(default_factory=list)
    vendor_id: int | None = None
    category_id: int | None = None

    def where(self, key: str) -> str:
        return f"transactions.{self.n}.{key}"


def _decoded(value: Any, many: bool) -> list[int] | None:
    """A hashed id (or a comma list of them, or a list) -> ids; None when any does not decode."""
    if value is None or value == "":
        return []
    if many and isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)  # a list of hashed ids reads as the comma list upstream takes
    if not isinstance(value, str):
        return None
    parts = [p.strip() for p in value.split(",") if p.strip()] if many else [value.strip()]
    out = [ids.decode_or_none(p) for p in parts]
    if None in out or len(out) > MAX_IDS:
        return None
    return list(dict.fromkeys(o for o in out if o is not None))


async def parse(db: Db, who: Principal, data: Mapping[str, Any]) -> list[Entry]:
    raw = data.get("transactions")
    if not isinstance(raw, list) or not raw:
        raise Invalid({"transactions": ["The transactions field is required."]})
    if len(raw) > MAX_ENTRIES:
        raise Invalid({"transactions": [f"The transactions may not have more than {MAX_ENTRIES} items."]})
    errors: dict[str, list[str]] = {}
    entries = []
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            errors[f"transactions.{n}"] = [f"The transactions.{n} must be an object."]
            continue
        found: dict[str, list[int]] = {}
        for key, table in LIVE.items():
            wanted = _decoded(item.get(key), many=key in ("invoice_ids", "expense_id"))
            if wanted is None or (wanted and not await _live(db, who.company_id, table, wanted)):
                errors[f"transactions.{n}.{key}"] = [f"The selected transactions.{n}.{key} is invalid."]
            found[key] = wanted or []
        if not found["id"]:
            errors.setdefault(f"transactions.{n}.id", [f"The transactions.{n}.id field is required."])
            continue
        entry = Entry(
            found["id"][0],
            n,
            invoice_ids=found["invoice_ids"],
            payment_id=_first(found["payment_id"]),
            expense_ids=found["expense_id"],
            vendor_id=_first(found["vendor_id"]),
            category_id=_first(found["ninja_category_id"]),
        )
        named = entry.invoice_ids or entry.payment_id or entry.expense_ids or entry.vendor_id or entry.category_id
        if not named and not any(k.startswith(f"transactions.{n}.") for k in errors):
            errors[f"transactions.{n}"] = [
                "Name the invoice_ids, payment_id, expense_id, vendor_id or ninja_category_id to match."
            ]
        entries.append(entry)
    if errors:
        raise Invalid(errors)
    if len({e.tx_id for e in entries}) != len(entries):
        raise Invalid({"transactions": ["The transactions may name each transaction once."]})
    return entries


def _first(decoded: list[int]) -> int | None:
    return decoded[0] if decoded else None


async def _live(db: Db, company_id: int, table: str, wanted: list[int]) -> bool:
    found = await db.fetchval(
        f"SELECT count(*) FROM {table} WHERE company_id = $1 AND id = ANY($2::bigint[]) AND is_deleted = false",
        company_id,
        wanted,
    )
    return int(found) == len(wanted)
