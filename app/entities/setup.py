"""Company set-up lists the web app loads on every page: designs, tags, payment gateways, bank accounts."""

from __future__ import annotations

from . import filters as f
from .common import standard
from .spec import Entity, Field, boolean, custom_values, integer, obj, text

NAME_SEARCH = f.search("({t}.name ILIKE ?)")
BASIC_SORTS = {"id": "{t}.id", "name": "{t}.name", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"}

design = Entity(
    "design",
    "designs",
    label="Design",
    fields=(
        *standard(assigned=False),
        text("name"),
        Field("is_custom", "bool", writable=False, expr="true"),
        boolean("is_active", default=True),
        boolean("is_template"),
        obj("design"),
        Field("is_free", "bool", writable=False, expr="({t}.id <= 4)"),
        text("entities"),
    ),
    filters=(NAME_SEARCH, f.like("name"), f.flag("template", "is_template"), *f.common()),
    sorts=BASIC_SORTS,
)

tag = Entity(
    "tag",
    "tags",
    label="Tag",
    fields=(*standard(assigned=False), text("name"), text("color", 32), text("entity_type", 64)),
    filters=(NAME_SEARCH, f.like("name"), f.eq("entity_type"), *f.common()),
    sorts=BASIC_SORTS,
)

_REQUIRE = (
    "require_cvv",
    "require_billing_address",
    "require_shipping_address",
    "require_client_name",
    "require_zip",
    "require_postal_code",
    "require_client_phone",
    "require_contact_name",
    "require_contact_email",
    "require_custom_value1",
    "require_custom_value2",
    "require_custom_value3",
    "require_custom_value4",
)

company_gateway = Entity(
    "company_gateway",
    "company_gateways",
    label="Company gateway",
    fields=(
        *standard(assigned=False),
        text("gateway_key"),
        integer("accepted_credit_cards", default=0),
        *(boolean(name) for name in _REQUIRE),
        boolean("show_billing_address"),
        boolean("show_shipping_address"),
        boolean("update_details"),
        # Gateway secrets are stored but never echoed: the config is shown masked.
        Field("config", "text", expr="CASE WHEN {t}.config <> '' THEN '********' ELSE '' END"),
        obj("fees_and_limits"),
        *custom_values(),
        text("label"),
        text("token_billing", default="off"),
        boolean("test_mode"),
        boolean("always_show_required_fields"),
    ),
    filters=(f.search("({t}.label ILIKE ? OR {t}.gateway_key ILIKE ?)"), *f.common()),
    sorts={"id": "{t}.id", "label": "{t}.label", "created_at": "{t}.created_at"},
)

bank_integration = Entity(
    "bank_integration",
    "bank_integrations",
    label="Bank integration",
    fields=(
        *standard(assigned=False),
        text("provider_name"),
        integer("provider_id", default=0),
        integer("bank_account_id", default=0),
        text("bank_account_name"),
        text("bank_account_number"),
        text("bank_account_status"),
        text("bank_account_type"),
        text("nordigen_institution_id"),
        Field("balance", "money", writable=True),
        text("currency"),
        text("nickname"),
        text("from_date"),
        boolean("disabled_upstream"),
        boolean("auto_sync"),
        text("integration_type"),
    ),
    filters=(f.search("({t}.bank_account_name ILIKE ? OR {t}.nickname ILIKE ?)"), *f.common()),
    sorts={"id": "{t}.id", "bank_account_name": "{t}.bank_account_name", "created_at": "{t}.created_at"},
)
