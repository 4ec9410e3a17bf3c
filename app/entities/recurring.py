"""Recurring invoices and recurring quotes (upstream RecurringInvoiceTransformer, RecurringQuoteTransformer): the
invoice's shape plus the schedule; both share it. The rules (required frequency, next send date, auto-bill,
statuses, start/stop) live in app/services/billing/recurring.py; generating documents from them is not
implemented yet."""

from __future__ import annotations

from typing import Any

from ..settings import base_url
from . import filters as f
from .billing import CLIENT_OF, INVOICE_SEARCH, invoice, invoice_invitation
from .spec import Built, Entity, Field, Filter, Relation, boolean, date, integer, text

DRAFT, ACTIVE, PAUSED, COMPLETED, PENDING = 1, 2, 3, 4, -1
FREQUENCIES = range(1, 13)
AUTO_BILL = ("off", "always", "optin", "optout")
PENDING_SQL = "({t}.status_id = -1 OR ({t}.status_id = 2 AND {t}.next_send_date > now()))"
CLIENT_STATUS = {
    "draft": "{t}.status_id = 1",
    "active": "{t}.status_id = 2",
    "paused": "{t}.status_id = 3",
    "completed": "{t}.status_id = 4",
    "pending": PENDING_SQL,
}
# invoice fields a recurring invoice does not have, or has in another form
DROPPED = {
    "recurring_id",
    "reminder1_sent",
    "reminder2_sent",
    "reminder3_sent",
    "reminder_last_sent",
    "next_send_date",
    "status_id",
    "entity_type",
    "has_tasks",
    "has_expenses",
    "auto_bill_enabled",
}


def status_ids(v: str) -> Built | None:
    chosen = sorted({int(s) for s in v.split(",") if s.strip().lstrip("-").isdigit() and -2 < int(s) < 100})
    return ("{t}.status_id = ANY(?::int[])", (chosen,)) if chosen else None


def _without_deleted_clients(v: str) -> Built | None:
    if v.strip().lower() not in {"1", "true"}:
        return None
    return (CLIENT_OF.replace("{cond}", "c.is_deleted = false"), ())


def _portal_link(kind: str) -> Any:
    def shape_invitation(row: dict[str, Any]) -> None:
        row["link"] = f"{base_url()}/client/{kind}/{row['key']}"

    return shape_invitation


def schedule(entity_type: str) -> tuple[Field, ...]:
    """The schedule every recurring entity carries (recurring invoices, recurring expenses): the status (set
    by the service), the frequency (checked there, 1..12), the cycles left (-1 endless) and the next send date:
    `next_send_date` is the client-side date, as upstream emits it; next_send_datetime the UTC moment."""
    return (
        Field("status_id", "code", writable=False, default="1"),
        Field("entity_type", "text", writable=False, expr=f"'{entity_type}'", default=entity_type),
        Field("frequency_id", "code", writable=False, default="5"),
        integer("remaining_cycles", default=-1),
        date("next_send_date", column="next_send_date_client"),
        Field("next_send_date_client", "date", writable=False),
        Field(
            "next_send_datetime",
            "text",
            writable=False,
            expr="COALESCE(to_char({t}.next_send_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')",
        ),
        Field("recurring_dates", "array", writable=False, expr="'[]'::jsonb"),
    )


SCHEDULE_SORTS = {
    "next_send_date": "{t}.next_send_date",
    "next_send_datetime": "{t}.next_send_date",
    "next_send_date_client": "{t}.next_send_date_client",
    "frequency_id": "{t}.frequency_id",
    "remaining_cycles": "{t}.remaining_cycles",
    "last_sent_date": "{t}.last_sent_date",
}
# what a recurring billing document (invoice, quote) carries beside the schedule
DOCUMENT_SCHEDULE = (
    boolean("has_tasks", writable=False),
    boolean("has_expenses", writable=False),
    text("auto_bill", choices=AUTO_BILL),
    boolean("auto_bill_enabled", writable=False),
    text("due_date_days"),
)


def document_schedule(entity_type: str) -> tuple[Field, ...]:
    return (*schedule(entity_type), *DOCUMENT_SCHEDULE)


recurring_invoice_invitation = Entity(
    "recurring_invoice_invitation",
    "recurring_invoice_invitations",
    label="Invitation",
    routes=False,
    soft_delete=False,
    fields=invoice_invitation.fields,
    shape=_portal_link("recurring_invoice"),
)

recurring_invoice = Entity(
    "recurring_invoice",
    "recurring_invoices",
    label="Recurring Invoice",
    documents=True,
    number_counter="recurring_invoice",
    fields=(*(x for x in invoice.fields if x.name not in DROPPED), *document_schedule("recurringInvoice")),
    search=INVOICE_SEARCH,
    filters=(
        f.search(INVOICE_SEARCH),
        f.client_status(CLIENT_STATUS),
        Filter("status_id", status_ids),
        f.eq("number"),
        f.ref_eq("client_id"),
        Filter("without_deleted_clients", _without_deleted_clients),
        *f.common(),
    ),
    sorts={
        **{k: v for k, v in invoice.sorts.items() if k != "partial_due_date"},
        **SCHEDULE_SORTS,
        "auto_bill": "{t}.auto_bill",
    },
    relations=(
        Relation(
            "invitations", "recurring_invoice_invitation", fk="recurring_invoice_id", where="{t}.deleted_at IS NULL"
        ),
        Relation("documents", "document", morph="recurring_invoices"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("activities", "activity", fk="recurring_invoice_id", order="{t}.id DESC"),
    ),
    default_includes=("invitations", "documents"),
    activity={"create": 100, "update": 101, "archive": 102, "delete": 103, "restore": 104},
    bulk_actions=("archive", "restore", "delete", "start", "stop"),
)

recurring_quote_invitation = Entity(
    "recurring_quote_invitation",
    "recurring_quote_invitations",
    label="Invitation",
    routes=False,
    soft_delete=False,
    fields=invoice_invitation.fields,
    shape=_portal_link("recurring_quote"),
)

# Upstream's recurring quote: the recurring invoice's fields, filters and sorts, numbered with the recurring
# quote counter, invitations like a quote's; activities 110..114 name it (and its client).
recurring_quote = Entity(
    "recurring_quote",
    "recurring_quotes",
    label="Recurring Quote",
    documents=True,
    number_counter="recurring_quote",
    fields=(*(x for x in invoice.fields if x.name not in DROPPED), *document_schedule("recurringQuote")),
    search=INVOICE_SEARCH,
    filters=recurring_invoice.filters,
    sorts=recurring_invoice.sorts,
    relations=(
        Relation("invitations", "recurring_quote_invitation", fk="recurring_quote_id", where="{t}.deleted_at IS NULL"),
        Relation("documents", "document", morph="recurring_quotes"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("activities", "activity", fk="recurring_quote_id", order="{t}.id DESC"),
    ),
    default_includes=("invitations", "documents"),
    activity={"create": 110, "update": 111, "archive": 112, "delete": 113, "restore": 114},
    bulk_actions=recurring_invoice.bulk_actions,
)
