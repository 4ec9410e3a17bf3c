"""The records of what happened: activities, the client ledger and system logs."""

from __future__ import annotations

from typing import Any

from .. import ids
from . import filters as f
from .spec import Entity, Field, boolean, integer, obj, ref, text, ts

ACTIVITY_REFS = (
    "client_id",
    "recurring_invoice_id",
    "recurring_expense_id",
    "purchase_order_id",
    "vendor_id",
    "vendor_contact_id",
    "invoice_id",
    "quote_id",
    "payment_id",
    "credit_id",
    "expense_id",
    "task_id",
    "token_id",
    "contact_id",
)

activity = Entity(
    "activity",
    "activities",
    plural="activities",
    label="Activity",
    writable=False,
    default_order="{t}.id DESC",
    soft_delete=False,
    fields=(
        Field("id", "id", writable=False),
        Field("activity_type_id", "code", writable=False),
        ref("user_id", "user", writable=False),
        ref("company_id", "company", writable=False),
        *(ref(name, "", writable=False) for name in ACTIVITY_REFS),
        text("notes", writable=False),
        text("ip", writable=False),
        boolean("is_system", writable=False),
        ts("created_at"),
        ts("updated_at"),
    ),
    filters=(
        f.ref_eq("client_id"),
        f.ref_eq("invoice_id"),
        f.ref_eq("payment_id"),
        f.ref_eq("credit_id"),
        f.ref_eq("quote_id"),
        f.ref_eq("user_id"),
        f.int_eq("activity_type_id"),
        f.since("created_at"),
    ),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at", "activity_type_id": "{t}.activity_type_id"},
)


def _shape_ledger(row: dict[str, Any]) -> None:
    kind = row.pop("ledgerable_type")
    owner = row.pop("ledgerable_id")
    ordered = {f"{kind}_id": ids.encode_ref(owner)}
    ordered.update(row)
    row.clear()
    row.update(ordered)


company_ledger = Entity(
    "company_ledger",
    "company_ledgers",
    plural="company_ledger",
    label="Ledger entry",
    writable=False,
    soft_delete=False,
    shape=_shape_ledger,
    fields=(
        Field("ledgerable_type", "text", writable=False, internal=True),
        Field("ledgerable_id", "int", writable=False, internal=True),
        text("notes", writable=False),
        Field("balance", "money", writable=False),
        Field("adjustment", "money", writable=False),
        integer("activity_id", writable=False),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
    ),
    filters=(f.ref_eq("client_id"),),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at"},
)

system_log = Entity(
    "system_log",
    "system_logs",
    label="System log",
    writable=False,
    soft_delete=False,
    fields=(
        Field("id", "id", writable=False),
        ref("user_id", "user", writable=False),
        ref("client_id", "client", writable=False),
        integer("event_id", writable=False),
        integer("category_id", writable=False),
        integer("type_id", writable=False),
        obj("log", writable=False),
        ts("created_at"),
        ts("updated_at"),
    ),
    filters=(f.ref_eq("client_id"),),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at"},
)
