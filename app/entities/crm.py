"""Clients, their contacts, gateway tokens and group settings."""

from __future__ import annotations

from typing import Any

from ..settings import base_url
from . import filters as f
from .common import standard
from .spec import Built, Entity, Field, Filter, Relation, boolean, code, custom_values, money, obj, ref, text, ts

CLASSIFICATIONS = ("", "individual", "business", "company", "partnership", "trust", "charity", "government", "other")

CONTACT_OF = (
    "EXISTS (SELECT 1 FROM client_contacts cc WHERE cc.company_id = {t}.company_id "
    "AND cc.client_id = {t}.id AND cc.is_deleted = false AND ({cond}))"
)

DISPLAY_NAME = (
    "CASE WHEN length({t}.name) > 1 THEN {t}.name ELSE COALESCE((SELECT CASE WHEN cc.first_name <> '' "
    "OR cc.last_name <> '' THEN btrim(cc.first_name || ' ' || cc.last_name) ELSE cc.email END "
    "FROM client_contacts cc WHERE cc.company_id = {t}.company_id AND cc.client_id = {t}.id "
    "AND cc.is_deleted = false AND (cc.email <> '' OR cc.first_name <> '' OR cc.last_name <> '') "
    "ORDER BY cc.is_primary DESC, cc.id LIMIT 1), 'No Contact Set') END"
)

_CLIENT_SEARCH_COLUMNS = (
    "name",
    "id_number",
    "number",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
)
CLIENT_SEARCH = (
    "("
    + " OR ".join(f"{{t}}.{c} ILIKE ?" for c in _CLIENT_SEARCH_COLUMNS)
    + " OR "
    + CONTACT_OF.replace(
        "{cond}", " OR ".join(f"cc.{c} ILIKE ?" for c in ("first_name", "last_name", "email", "phone"))
    )
    + ")"
)


def _email(v: str) -> Built | None:
    v = v.strip()
    return None if not v else (CONTACT_OF.replace("{cond}", "lower(cc.email) = lower(?)"), (v,))


def _shape_contact(row: dict[str, Any]) -> None:
    row["link"] = f"{base_url()}/client/key_login/{row['contact_key']}"


client = Entity(
    "client",
    "clients",
    label="Client",
    documents=True,
    number_counter="client",
    fields=(
        *standard(),
        text("name"),
        text("website"),
        text("private_notes", 65535),
        text("public_notes", 65535),
        Field("display_name", "text", writable=False, expr=DISPLAY_NAME),
        money("balance"),
        money("paid_to_date"),
        money("payment_balance"),
        money("credit_balance"),
        ref("group_settings_id", "group_setting"),
        ts("last_login"),
        code("size_id", "sizes"),
        code("industry_id", "industries"),
        text("client_hash", writable=False),
        text("address1"),
        text("address2"),
        text("phone"),
        text("city"),
        text("state"),
        text("postal_code"),
        code("country_id", "countries"),
        text("shipping_address1"),
        text("shipping_address2"),
        text("shipping_city"),
        text("shipping_state"),
        text("shipping_postal_code"),
        code("shipping_country_id", "countries"),
        *custom_values(),
        obj("settings", typed_settings=True),
        text("vat_number"),
        text("id_number"),
        text("number"),
        boolean("has_valid_vat_number"),
        boolean("is_tax_exempt"),
        text("routing_id"),
        text("classification", choices=CLASSIFICATIONS),
        obj("tax_info", column="tax_data"),
        obj("e_invoice"),
        Field("locations", "array", writable=False, expr="'[]'::jsonb"),
    ),
    search=CLIENT_SEARCH,
    filters=(
        f.search(CLIENT_SEARCH),
        f.like("name"),
        Filter("email", _email),
        f.eq("id_number"),
        f.eq("number"),
        f.compare("balance"),
        f.between("between_balance", "balance"),
        f.ref_eq("client_id", "id"),
        f.ref_eq("group", "group_settings_id"),
        *f.common(),
    ),
    # Text sorts ignore case, as upstream's MySQL collation does.
    sorts={
        "id": "{t}.id",
        "name": "lower({t}.name)",
        "display_name": "lower({t}.name)",
        "number": "NULLIF(regexp_replace({t}.number, '[^0-9]', '', 'g'), '')::numeric",
        "balance": "{t}.balance",
        "paid_to_date": "{t}.paid_to_date",
        "id_number": "lower({t}.id_number)",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "archived_at": "{t}.deleted_at",
        "website": "lower({t}.website)",
        "city": "lower({t}.city)",
        "country_id": "{t}.country_id",
        "last_login": "{t}.last_login",
        "credit_balance": "{t}.credit_balance",
        "contacts": "(SELECT min(cc.first_name) FROM client_contacts cc WHERE cc.company_id = "
        "{t}.company_id AND cc.client_id = {t}.id)",
        "email": "(SELECT min(cc.email) FROM client_contacts cc WHERE cc.company_id = "
        "{t}.company_id AND cc.client_id = {t}.id)",
    },
    relations=(
        Relation(
            "contacts",
            "client_contact",
            fk="client_id",
            order="{t}.is_primary DESC, {t}.id",
            where="{t}.deleted_at IS NULL",
        ),
        Relation("documents", "document", morph="clients"),
        Relation("gateway_tokens", "client_gateway_token", fk="client_id"),
        Relation("activities", "activity", fk="client_id", order="{t}.id DESC"),
        Relation("ledger", "company_ledger", fk="client_id", order="{t}.id DESC"),
        Relation("system_logs", "system_log", fk="client_id", order="{t}.id DESC"),
        Relation("group_settings", "group_setting", kind="one", local="group_settings_id"),
        Relation("invoices", "invoice", fk="client_id"),
    ),
    default_includes=("contacts", "documents", "gateway_tokens"),
    bulk_actions=("archive", "restore", "delete", "assign_group", "bulk_update"),
    activity={"create": 1, "archive": 2, "delete": 3, "restore": 26, "update": 61},
)

client_contact = Entity(
    "client_contact",
    "client_contacts",
    label="Contact",
    routes=False,
    fields=(
        Field("id", "id", writable=False),
        ref("user_id", "user", writable=False),
        text("first_name"),
        text("last_name"),
        text("email"),
        text("phone"),
        boolean("is_primary"),
        boolean("is_locked"),
        boolean("send_email", default=True),
        boolean("cc_only"),
        boolean("can_sign"),
        text("contact_key", writable=False),
        text("link", writable=False, expr="''"),
        Field("password", "text", expr="CASE WHEN {t}.password_hash <> '' THEN '**********' ELSE '' END"),
        ts("last_login"),
        *custom_values(),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
    ),
    shape=_shape_contact,
)

# Upstream's JSON has neither the client nor the routing number: both are written, never emitted.
client_gateway_token = Entity(
    "client_gateway_token",
    "client_gateway_tokens",
    label="Gateway token",
    fields=(
        Field("id", "id", writable=False),
        ref("client_id", "client", internal=True),
        text("token", 65535),
        text("routing_number", internal=True),
        text("gateway_customer_reference"),
        text("gateway_type_id"),
        ref("company_gateway_id", "company_gateway"),
        boolean("is_default"),
        obj("meta"),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
        boolean("is_deleted", writable=False),
    ),
    filters=(f.ref_eq("client_id"), *f.common()),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"},
)

group_setting = Entity(
    "group_setting",
    "group_settings",
    label="Group setting",
    documents=True,
    fields=(*standard(assigned=False), text("name"), obj("settings", typed_settings=True)),
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), *f.common()),
    sorts={"id": "{t}.id", "name": "{t}.name", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"},
    relations=(Relation("documents", "document", morph="group_settings"),),
    default_includes=("documents",),
)
