"""Payments and paymentables (upstream PaymentTransformer / PaymentableTransformer).

A paymentable is the pivot between a payment and an invoice or a credit: `amount` applied, `refunded` of it.
Money fields are read-only except the payment's `amount` (create) - services move money, never the client.
"""

from __future__ import annotations

from typing import Any

from . import filters as f
from .billing import date_range
from .common import standard
from .spec import Built, Entity, Field, Filter, Relation, boolean, code, custom_values, date, ref, text, ts

PAYMENT_PENDING, PAYMENT_CANCELLED, PAYMENT_FAILED, PAYMENT_COMPLETED = 1, 2, 3, 4
PAYMENT_PARTIALLY_REFUNDED, PAYMENT_REFUNDED = 5, 6

PAYMENT_SEARCH = (
    "({t}.number ILIKE ? OR {t}.transaction_reference ILIKE ? OR {t}.private_notes ILIKE ? OR "
    "{t}.custom_value1 ILIKE ? OR {t}.custom_value2 ILIKE ? OR {t}.custom_value3 ILIKE ? OR "
    "{t}.custom_value4 ILIKE ? OR EXISTS (SELECT 1 FROM clients c WHERE c.company_id = {t}.company_id "
    "AND c.id = {t}.client_id AND c.name ILIKE ?))"
)


def _shape_paymentable(row: dict[str, Any]) -> None:
    """The key is `credit_id` when the pivot points at a credit, `invoice_id` otherwise (never both)."""
    if row.get("credit_id"):
        row.pop("invoice_id", None)
    else:
        row.pop("credit_id", None)


paymentable = Entity(
    "paymentable",
    "paymentables",
    label="Paymentable",
    routes=False,
    soft_delete=False,
    writable=False,
    fields=(
        Field("id", "id", writable=False),
        ref("invoice_id", "invoice", writable=False),
        ref("credit_id", "credit", writable=False),
        Field("amount", "money", writable=False),
        Field("refunded", "money", writable=False),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
    ),
    shape=_shape_paymentable,
)


def _status_ids(v: str) -> Built | None:
    chosen = sorted({int(s) for s in v.split(",") if s.strip().isdigit() and 0 < int(s) < 100})
    return ("{t}.status_id = ANY(?::int[])", (chosen,)) if chosen else None


payment = Entity(
    "payment",
    "payments",
    label="Payment",
    documents=True,
    number_counter="payment",
    fields=(
        *standard(),
        ref("client_id", "client"),
        ref("client_contact_id", "client_contact", writable=False),
        *(
            Field(name, "ref", writable=False)
            for name in ("company_gateway_id", "project_id", "vendor_id", "transaction_id", "invitation_id")
        ),
        Field("amount", "money", writable=True),
        Field("applied", "money", writable=False),
        Field("refunded", "money", writable=False),
        Field(
            "exchange_rate",
            "money",
            writable=False,
            expr="(CASE WHEN {t}.exchange_rate = 0 THEN 1 ELSE {t}.exchange_rate END)::float8",
        ),
        text("transaction_reference"),
        date("date"),
        text("number"),
        text("private_notes", 65535),
        *custom_values(),
        code("type_id", "payment_types"),
        Field("status_id", "code", writable=False, default="4"),
        Field("gateway_type_id", "code", writable=False),
        Field("currency_id", "code", writable=False),
        Field("exchange_currency_id", "code", writable=False),
        boolean("is_manual", default=True, writable=False),
        text("idempotency_key", 64, internal=True),
    ),
    search=PAYMENT_SEARCH,
    filters=(
        f.search(PAYMENT_SEARCH),
        f.eq("number"),
        f.ref_eq("client_id"),
        Filter("status_id", _status_ids),
        date_range("date_range", "date"),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "number": "NULLIF(regexp_replace({t}.number, '[^0-9]', '', 'g'), '')::numeric",
        "date": "{t}.date",
        "amount": "{t}.amount",
        "applied": "{t}.applied",
        "refunded": "{t}.refunded",
        "status_id": "{t}.status_id",
        "transaction_reference": "{t}.transaction_reference",
        "client_id": "(SELECT c.name FROM clients c WHERE c.company_id = {t}.company_id AND c.id = {t}.client_id)",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "archived_at": "{t}.deleted_at",
    },
    relations=(
        Relation("paymentables", "paymentable", fk="payment_id", where="{t}.deleted_at IS NULL"),
        Relation("documents", "document", morph="payments"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("invoices", "invoice", through=("paymentables", "payment_id", "invoice_id")),
        Relation("credits", "credit", through=("paymentables", "payment_id", "credit_id")),
        Relation("activities", "activity", fk="payment_id", order="{t}.id DESC"),
    ),
    default_includes=("paymentables", "documents"),
    bulk_actions=("archive", "restore", "delete", "email", "email_receipt"),
    activity={"create": 10, "update": 11, "archive": 12, "delete": 13, "restore": 27},
)
