"""Subscriptions (upstream SubscriptionTransformer): products and recurring products a client buys together,
their price, promo, trial, seats, the portal steps, the webhook called after a purchase and the group settings
a buyer joins. The rules (product ids of this company, price, steps, webhook configuration) live in
app/services/subscriptions/; the purchase page itself is not served yet."""

from __future__ import annotations

from typing import Any

from .. import ids
from ..settings import base_url
from . import filters as f
from .common import standard
from .spec import Entity, Field, boolean, code, integer, money, obj, ref, text

AUTO_BILL = ("", "off", "always", "optin", "optout")
PRODUCT_LISTS = ("product_ids", "recurring_product_ids", "optional_product_ids", "optional_recurring_product_ids")


def _shape(row: dict[str, Any]) -> None:
    for name in PRODUCT_LISTS:
        row[name] = ",".join(ids.encode(int(i)) for i in row[f"{name}_list"])
    if not row["webhook_configuration"]:
        row["webhook_configuration"] = []  # upstream's PHP empty array
    row["purchase_page"] = f"{base_url()}/client/subscriptions/{row['id']}/purchase" if row["id"] else ""


subscription = Entity(
    "subscription",
    "subscriptions",
    label="Subscription",
    fields=(
        *standard(),
        ref("company_id", "company", writable=False),
        ref("group_id", "group_setting"),
        # comma lists of hashed product ids, read from the body and checked by the service
        *(Field(name, "text", writable=False, expr="''") for name in PRODUCT_LISTS),
        *(
            Field(f"{name}_list", "array", writable=False, internal=True, expr=f"to_jsonb({{t}}.{name})")
            for name in PRODUCT_LISTS
        ),
        text("name"),
        Field("frequency_id", "code", writable=False),  # checked in the service (1..12)
        text("auto_bill", choices=AUTO_BILL),
        text("promo_code"),
        code("currency_id", "currencies"),
        money("price"),
        money("promo_price"),
        money("promo_discount", writable=True),
        boolean("is_amount_discount"),
        boolean("allow_cancellation", default=True),
        boolean("per_seat_enabled"),
        integer("max_seats_limit", default=0),
        boolean("trial_enabled"),
        integer("trial_duration", default=0),
        boolean("allow_query_overrides"),
        boolean("allow_plan_changes"),
        integer("refund_period", default=0),
        obj("webhook_configuration"),
        text("purchase_page", writable=False, expr="''"),
        text("plan_map", writable=False, expr="''"),
        text("steps", max_length=1000),
        boolean("registration_required"),
        boolean("use_inventory_management"),
    ),
    search="({t}.name ILIKE ?)",
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), *f.common()),
    sorts={
        "id": "{t}.id",
        "name": "lower({t}.name)",
        "price": "{t}.price",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
    bulk_actions=("archive", "restore", "delete", "assign_invoice"),
    activity={"create": 80, "update": 81, "archive": 82, "delete": 83, "restore": 84},
    shape=_shape,
)
