"""Purchase orders and their invitations (upstream PurchaseOrderTransformer / PurchaseOrderInvitationTransformer):
the invoice's field set on the vendor side. `vendor_id` names the party (required), `client_id` is optional,
`expense_id` is the expense a conversion made. Statuses 1 draft, 2 sent, 3 accepted, 4 received, 5 cancelled.
The rules live in app/services/vendors/purchase_orders.py."""

from __future__ import annotations

from typing import Any

from ..settings import base_url
from . import filters as f
from .billing import _status_ids, _vocabulary, date_range, invoice, invoice_invitation
from .spec import Entity, Field, Filter, Relation, ref

PO_DRAFT, PO_SENT, PO_ACCEPTED, PO_RECEIVED, PO_CANCELLED = 1, 2, 3, 4, 5
VENDOR_NAME = "(SELECT v.name FROM vendors v WHERE v.company_id = {t}.company_id AND v.id = {t}.vendor_id)"
PO_SEARCH = (
    "("
    + " OR ".join(
        [f"{{t}}.{c} ILIKE ?" for c in ("number", "custom_value1", "custom_value2", "custom_value3", "custom_value4")]
        + ["{t}.date::text ILIKE ?", "{t}.amount::text ILIKE ?", "{t}.balance::text ILIKE ?", VENDOR_NAME + " ILIKE ?"]
    )
    + ")"
)
# upstream PurchaseOrderFilters' client_status vocabulary (no "received"); "sent" without its precedence bug
PO_STATUS = {
    "draft": "{t}.status_id = 1",
    "sent": "({t}.status_id = 2 AND {t}.is_deleted = false)",
    "accepted": "{t}.status_id = 3",
    "cancelled": "{t}.status_id = 5",
}
# the invoice's fields minus what belongs to a client's document; vendor_id becomes the writable party
_DROPPED = ("recurring_id", "auto_bill_enabled", "vendor_id", "entity_type")
PO_FIELDS = (
    *(x for x in invoice.fields if x.name not in _DROPPED),
    ref("vendor_id", "vendor"),
    Field("expense_id", "ref", writable=False),
    # the order's currency is its vendor's (upstream copies it into a column; here it is read through)
    Field(
        "currency_id",
        "code",
        writable=False,
        expr="COALESCE((SELECT v.currency_id::text FROM vendors v WHERE v.company_id = {t}.company_id "
        "AND v.id = {t}.vendor_id), '')",
    ),
    Field("entity_type", "text", writable=False, expr="'purchaseOrder'", default="purchaseOrder"),
)


def _shape_invitation(row: dict[str, Any]) -> None:
    row["link"] = f"{base_url()}/vendor/purchase_order/{row['key']}"


purchase_order_invitation = Entity(
    "purchase_order_invitation",
    "purchase_order_invitations",
    label="Invitation",
    routes=False,
    soft_delete=False,
    fields=tuple(
        ref("vendor_contact_id", "vendor_contact", writable=False) if x.name == "client_contact_id" else x
        for x in invoice_invitation.fields
    ),
    shape=_shape_invitation,
)

purchase_order = Entity(
    "purchase_order",
    "purchase_orders",
    label="Purchase order",
    documents=True,
    number_counter="purchase_order",
    fields=PO_FIELDS,
    search=PO_SEARCH,
    filters=(
        f.search(PO_SEARCH),
        _vocabulary(PO_STATUS),
        Filter("status_id", _status_ids),
        f.eq("number"),
        f.ref_eq("vendor_id"),
        f.ref_eq("client_id"),
        date_range("date_range", "date"),
        date_range("due_date_range", "due_date"),
        *f.common(),
    ),
    sorts={
        **{k: v for k, v in invoice.sorts.items() if k != "client_id"},
        "vendor_id": VENDOR_NAME,
    },
    relations=(
        Relation("invitations", "purchase_order_invitation", fk="purchase_order_id", where="{t}.deleted_at IS NULL"),
        Relation("documents", "document", morph="purchase_orders"),
        Relation("vendor", "vendor", kind="one", local="vendor_id"),
        Relation("expense", "expense", kind="one", local="expense_id"),
        Relation("activities", "activity", fk="purchase_order_id", order="{t}.id DESC"),
    ),
    default_includes=("invitations", "documents"),
    activity={"create": 130, "update": 131, "archive": 132, "delete": 133, "restore": 134, "email": 135, "accept": 137},
    bulk_actions=(
        "archive",
        "restore",
        "delete",
        "mark_sent",
        "accept",
        "cancel",
        "expense",
        "add_to_inventory",
        "email",
        "send_email",
    ),
)
