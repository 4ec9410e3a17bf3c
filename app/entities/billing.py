"""Invoices and their invitations (upstream InvoiceTransformer / InvoiceInvitationTransformer)."""

from __future__ import annotations

from datetime import date as Date
from typing import Any

from .. import ids
from ..settings import base_url
from . import filters as f
from .common import standard
from .spec import Built, Entity, Field, Filter, Relation, boolean, custom_values, date, obj, ref, text, ts

STATUS_DRAFT, STATUS_SENT, STATUS_PARTIAL, STATUS_PAID, STATUS_CANCELLED, STATUS_REVERSED = 1, 2, 3, 4, 5, 6
OPEN = "{t}.status_id IN (2, 3)"  # Sent or Partial: the invoices that are owed

CLIENT_OF = "EXISTS (SELECT 1 FROM clients c WHERE c.company_id = {t}.company_id AND c.id = {t}.client_id AND ({cond}))"
CONTACT_OF = (
    "EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.company_id = {t}.company_id "
    "AND cc.client_id = {t}.client_id AND cc.is_deleted = false AND ({cond}))"
)
INVOICE_SEARCH = (
    "("
    + " OR ".join(
        [
            f"{{t}}.{c} ILIKE ?"
            for c in ("number", "po_number", "custom_value1", "custom_value2", "custom_value3", "custom_value4")
        ]
        + [
            CLIENT_OF.replace("{cond}", "c.name ILIKE ?"),
            CONTACT_OF.replace("{cond}", "cc.first_name ILIKE ? OR cc.last_name ILIKE ? OR cc.email ILIKE ?"),
        ]
    )
    + ")"
)


def _money(name: str, writable: bool = True, default: Any = None) -> Field:
    return Field(name, "money", writable=writable, default=default)


def _moment(name: str) -> Field:
    """A datetime column emitted raw as upstream does ("YYYY-MM-DD HH:MM:SS", UTC) or ""."""
    return Field(
        name,
        "text",
        writable=False,
        expr=f"COALESCE(to_char({{t}}.{name} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')",
    )


# ---- filters -------------------------------------------------------------------------------------
CLIENT_STATUS = {
    "draft": "{t}.status_id = 1",
    "paid": "{t}.status_id = 4",
    "cancelled": "{t}.status_id = 5",
    "unpaid": OPEN,
    "overdue": f"({OPEN} AND {{t}}.is_deleted = false AND ({{t}}.due_date < CURRENT_DATE "
    "OR {t}.partial_due_date < CURRENT_DATE))",
}


def _client_status(v: str) -> Built | None:
    wanted = {s.strip().lower() for s in v.split(",")}
    if "all" in wanted:
        return None
    chosen = [CLIENT_STATUS[s] for s in sorted(wanted) if s in CLIENT_STATUS]
    return ("(" + " OR ".join(chosen) + ")", ()) if chosen else None


def _status_ids(v: str) -> Built | None:
    chosen = sorted({int(s) for s in v.split(",") if s.strip().isdigit() and 0 < int(s) < 100})
    return ("{t}.status_id = ANY(?::int[])", (chosen,)) if chosen else None


def _parse_day(text: str) -> Date | None:
    moment = f.parse_moment(text)
    if moment is not None:
        return moment.date()
    try:
        return Date.fromisoformat(text.strip())
    except ValueError:
        return None


def date_range(param: str, column: str) -> Filter:
    """`date_range=2024-01-01,2024-01-31` (inclusive); anything unparseable is ignored, as upstream."""

    def build(v: str) -> Built | None:
        start, sep, end = v.partition(",")
        a, b = _parse_day(start), _parse_day(end)
        if not sep or a is None or b is None:
            return None
        return (f"{{t}}.{column} BETWEEN ? AND ?", (a, b))

    return Filter(param, build)


def _switch(sql: str) -> Any:
    """A flag filter whose value does not matter (`?overdue=true`), except an explicit false/0."""
    return lambda v: None if v.strip().lower() in {"0", "false"} else (sql, ())


UPCOMING = (
    f"({OPEN} AND {{t}}.is_deleted = false AND {{t}}.balance > 0 "
    "AND ({t}.due_date IS NULL OR {t}.due_date > CURRENT_DATE))"
)
OVERDUE = (
    f"({OPEN} AND {{t}}.is_deleted = false AND {{t}}.balance > 0 "
    "AND ({t}.due_date < CURRENT_DATE OR {t}.partial_due_date < CURRENT_DATE))"
)


def _payable(v: str) -> Built:
    client_id = ids.decode_or_none(v)
    if client_id is None:
        return f.NOTHING
    return (f"({OPEN} AND {{t}}.is_deleted = false AND {{t}}.balance > 0 AND {{t}}.client_id = ?)", (client_id,))


def _without_deleted_clients(v: str) -> Built | None:
    if v.strip().lower() not in {"1", "true"}:
        return None
    return (CLIENT_OF.replace("{cond}", "c.is_deleted = false"), ())


def _shape_invitation(row: dict[str, Any]) -> None:
    row["link"] = f"{base_url()}/client/invoice/{row['key']}"


invoice = Entity(
    "invoice",
    "invoices",
    label="Invoice",
    documents=True,
    number_counter="invoice",
    fields=(
        *standard(),
        ref("client_id", "client"),
        ref("project_id", "project"),
        *(Field(name, "ref", writable=False) for name in ("vendor_id", "design_id", "recurring_id", "subscription_id")),
        _money("amount", False),
        _money("balance", False),
        _money("paid_to_date", False),
        _money("total_taxes", False),
        _money("discount"),
        _money("partial"),
        _money("exchange_rate", default=1),
        *(_money(f"tax_rate{i}") for i in (1, 2, 3)),
        *(_money(f"custom_surcharge{i}") for i in (1, 2, 3, 4)),
        Field("status_id", "code", writable=False, default="1"),
        text("number"),
        text("po_number"),
        text("terms", 65535),
        text("public_notes", 65535),
        text("private_notes", 65535),
        text("footer", 65535),
        *(text(f"tax_name{i}") for i in (1, 2, 3)),
        *custom_values(),
        date("date"),
        date("due_date"),
        date("partial_due_date"),
        *(
            Field(name, "date", writable=False)
            for name in ("last_sent_date", "reminder1_sent", "reminder2_sent", "reminder3_sent", "reminder_last_sent")
        ),
        _moment("next_send_date"),
        boolean("uses_inclusive_taxes"),
        boolean("is_amount_discount", default=True),
        boolean("auto_bill_enabled"),
        *(boolean(f"custom_surcharge_tax{i}", writable=False) for i in (1, 2, 3, 4)),
        Field("has_tasks", "bool", writable=False, expr="false"),
        Field("has_expenses", "bool", writable=False, expr="false"),
        Field("line_items", "array", writable=False),
        Field("entity_type", "text", writable=False, expr="'invoice'", default="invoice"),
        Field("tax_info", "object", column="tax_data", writable=False),
        obj("e_invoice"),
    ),
    search=INVOICE_SEARCH,
    filters=(
        f.search(INVOICE_SEARCH),
        Filter("client_status", _client_status),
        Filter("status_id", _status_ids),
        f.eq("number"),
        f.ref_eq("client_id"),
        date_range("date_range", "date"),
        date_range("due_date_range", "due_date"),
        Filter("upcoming", _switch(UPCOMING)),
        Filter("overdue", _switch(OVERDUE)),
        Filter("payable", _payable),
        Filter("without_deleted_clients", _without_deleted_clients),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "number": "NULLIF(regexp_replace({t}.number, '[^0-9]', '', 'g'), '')::numeric",
        "date": "{t}.date",
        "due_date": "{t}.due_date",
        "balance": "{t}.balance",
        "amount": "{t}.amount",
        "status_id": "{t}.status_id",
        "partial_due_date": "{t}.partial_due_date",
        "client_id": "(SELECT c.name FROM clients c WHERE c.company_id = {t}.company_id AND c.id = {t}.client_id)",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "archived_at": "{t}.deleted_at",
    },
    relations=(
        Relation("invitations", "invoice_invitation", fk="invoice_id", where="{t}.deleted_at IS NULL"),
        Relation("documents", "document", morph="invoices"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("project", "project", kind="one", local="project_id"),
        Relation("activities", "activity", fk="invoice_id", order="{t}.id DESC"),
        Relation("payments", "payment", through=("paymentables", "invoice_id", "payment_id")),
        Relation("paymentables", "paymentable", fk="invoice_id", where="{t}.deleted_at IS NULL"),
    ),
    default_includes=("invitations", "documents"),
    bulk_actions=(
        "archive",
        "restore",
        "delete",
        "mark_sent",
        "mark_paid",
        "cancel",
        "reverse",
        "email",
        "send_email",
        "clone_to_invoice",
        "clone_to_quote",
    ),
    activity={"create": 4, "update": 5, "archive": 8, "delete": 9, "restore": 25},
)

invoice_invitation = Entity(
    "invoice_invitation",
    "invoice_invitations",
    label="Invitation",
    routes=False,
    soft_delete=False,
    fields=(
        Field("id", "id", writable=False),
        ref("client_contact_id", "client_contact", writable=False),
        text("key", writable=False),
        Field("link", "text", writable=False, expr="''"),
        _moment("sent_date"),
        _moment("viewed_date"),
        _moment("opened_date"),
        text("email_status", writable=False),
        text("email_error", writable=False),
        text("message_id", writable=False),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
    ),
    shape=_shape_invitation,
)


# ---- quotes and credits: the invoice's shape, their own statuses and client_status vocabularies ----------
QUOTE_DRAFT, QUOTE_SENT, QUOTE_APPROVED, QUOTE_CONVERTED, QUOTE_EXPIRED = 1, 2, 3, 4, -1
CREDIT_DRAFT, CREDIT_SENT, CREDIT_PARTIAL, CREDIT_APPLIED = 1, 2, 3, 4
EXPIRED = "({t}.status_id = 2 AND {t}.is_deleted = false AND {t}.due_date <= CURRENT_DATE)"
QUOTE_STATUS = {
    "draft": "{t}.status_id = 1",
    "sent": "({t}.status_id = 2 AND {t}.invoice_id IS NULL AND ({t}.due_date IS NULL OR {t}.due_date > CURRENT_DATE))",
    "approved": "({t}.status_id = 3 AND {t}.invoice_id IS NULL)",
    "expired": EXPIRED,
    "upcoming": "({t}.status_id = 2 AND {t}.is_deleted = false AND {t}.due_date > CURRENT_DATE)",
    "converted": "({t}.status_id = 4 OR {t}.invoice_id IS NOT NULL)",
}
CREDIT_STATUS = {
    "draft": "{t}.status_id = 1",
    "sent": "{t}.status_id = 2",
    "partial": "{t}.status_id = 3",
    "applied": "{t}.status_id = 4",
}


def _vocabulary(statuses: dict[str, str]) -> Filter:
    def build(v: str) -> Built | None:
        wanted = {s.strip().lower() for s in v.split(",")}
        chosen = [statuses[s] for s in sorted(wanted) if s in statuses]
        return None if "all" in wanted or not chosen else ("(" + " OR ".join(chosen) + ")", ())

    return Filter("client_status", build)


def _invitation(kind: str) -> Entity:
    def shape_row(row: dict[str, Any]) -> None:
        row["link"] = f"{base_url()}/client/{kind}/{row['key']}"

    return Entity(
        f"{kind}_invitation",
        f"{kind}_invitations",
        label="Invitation",
        routes=False,
        soft_delete=False,
        fields=invoice_invitation.fields,
        shape=shape_row,
    )


def _document(
    kind: str,
    label: str,
    status: Field,
    invoice_ref: Field,
    statuses: dict[str, str],
    activity: dict[str, int],
    actions: tuple[str, ...],
) -> Entity:
    """An invoice-shaped entity: the invoice's fields without recurring_id/auto_bill_enabled, plus invoice_id."""
    replaced = {
        "status_id": status,
        "entity_type": Field("entity_type", "text", writable=False, expr=f"'{kind}'", default=kind),
        "has_tasks": boolean("has_tasks", writable=False),
        "has_expenses": boolean("has_expenses", writable=False),
    }
    fields = tuple(
        replaced.get(x.name, x) for x in invoice.fields if x.name not in ("recurring_id", "auto_bill_enabled")
    )
    return Entity(
        kind,
        f"{kind}s",
        label=label,
        documents=True,
        number_counter=kind,
        fields=(*fields, invoice_ref),
        search=INVOICE_SEARCH,
        filters=(
            f.search(INVOICE_SEARCH),
            _vocabulary(statuses),
            Filter("status_id", _status_ids),
            f.eq("number"),
            f.ref_eq("client_id"),
            date_range("date_range", "date"),
            date_range("due_date_range", "due_date"),
            Filter("without_deleted_clients", _without_deleted_clients),
            *f.common(),
        ),
        sorts=invoice.sorts,
        relations=(
            Relation("invitations", f"{kind}_invitation", fk=f"{kind}_id", where="{t}.deleted_at IS NULL"),
            Relation("documents", "document", morph=f"{kind}s"),
            Relation("client", "client", kind="one", local="client_id"),
            Relation("activities", "activity", fk=f"{kind}_id", order="{t}.id DESC"),
        ),
        default_includes=("invitations", "documents"),
        activity=activity,
        bulk_actions=("archive", "restore", "delete", *actions),
    )


quote_invitation = _invitation("quote")
credit_invitation = _invitation("credit")
quote = _document(
    "quote",
    "Quote",
    # upstream's accessor emits -1 (expired) for a sent quote whose valid-until date has come
    Field(
        "status_id",
        "code",
        writable=False,
        default="1",
        expr=f"(CASE WHEN {EXPIRED} THEN '-1' ELSE {{t}}.status_id::text END)",
    ),
    Field("invoice_id", "ref", writable=False),
    QUOTE_STATUS,
    {"create": 18, "update": 19, "archive": 22, "delete": 23, "restore": 24, "email": 20, "approve": 29},
    (
        "mark_sent",
        "approve",
        "convert",
        "convert_to_invoice",
        "clone_to_invoice",
        "clone_to_quote",
        "email",
        "send_email",
    ),
)
credit = _document(
    "credit",
    "Credit",
    Field("status_id", "code", writable=False, default="1"),
    ref("invoice_id", "invoice"),
    CREDIT_STATUS,
    {"create": 14, "update": 15, "archive": 16, "delete": 17, "restore": 28},
    ("mark_sent", "email", "send_email"),
)
