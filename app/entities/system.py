"""Documents, activities, the client ledger, system logs and users."""
from __future__ import annotations

from typing import Any

from .. import ids
from ..settings import base_url
from . import filters as f
from .common import standard
from .spec import Entity, Field, boolean, integer, obj, ref, text, ts

# documentable_type -> the web app's route for the parent (upstream Document::link()).
DOCUMENT_LINKS = {"clients": "/clients/{}", "invoices": "/invoices/{}/edit", "quotes": "/quotes/{}/edit",
                  "credits": "/credits/{}/edit", "payments": "/payments/{}/edit",
                  "expenses": "/expenses/{}/edit", "projects": "/projects/{}", "tasks": "/tasks/{}/edit",
                  "vendors": "/vendors/{}", "recurring_invoices": "/recurring_invoices/{}/edit"}


def _shape_document(row: dict[str, Any]) -> None:
    kind = row.pop("documentable_type")
    parent = row.pop("documentable_id")
    row["url"] = f"{base_url()}/api/v1/documents/{row['id']}/download"
    template = DOCUMENT_LINKS.get(kind)
    row["link"] = template.format(ids.encode(parent)) if template and parent else ""


def _document_type(v: str) -> f.Built | None:
    conditions = {"private": "NOT {t}.is_public", "public": "{t}.is_public",
                  "pdf": "{t}.type = 'pdf'", "image": "{t}.type IN ('png','jpeg','jpg','gif','tiff','webp','psd')"}
    conditions["other"] = "NOT ({t}.type = 'pdf' OR " + conditions["image"] + ")"
    chosen = [conditions[x.strip()] for x in v.split(",") if x.strip() in conditions]
    return (" AND ".join(f"({c})" for c in chosen), ()) if chosen else None


def _company_documents(v: str) -> f.Built | None:
    return ("{t}.documentable_type = 'companies'", ()) if v.strip().lower() in {"1", "true"} else None


def _document_client(v: str) -> f.Built:
    """Documents of the client itself and of its own records (invoices, quotes, expenses, ...): every
    entity that takes uploads and has a client_id, so new entities are covered when they register."""
    from . import REGISTRY   # the registry imports this module; read it at request time
    client_id = ids.decode_or_none(v)
    if client_id is None:
        return f.NOTHING
    parts = ["({t}.documentable_type = 'clients' AND {t}.documentable_id = ?)"]
    for child in REGISTRY.values():
        column = child.field("client_id")
        if child.documents and child.name != "client" and column is not None and column.kind == "ref":
            parts.append(f"({{t}}.documentable_type = '{child.path}' AND {{t}}.documentable_id IN (SELECT c.id "
                         f"FROM {child.table} c WHERE c.company_id = {{t}}.company_id AND c.{column.col} = ?))")
    return ("(" + " OR ".join(parts) + ")", (client_id,) * len(parts))


document = Entity(
    "document", "documents", label="Document", shape=_shape_document,
    writable=False,   # uploads create them; rest/documents.py serves update, delete, bulk and download
    bulk_actions=("delete", "download"),
    fields=(
        *standard(),
        Field("project_id", "text", writable=False, expr="''"),
        Field("vendor_id", "text", writable=False, expr="''"),
        Field("url", "text", writable=False, expr="''"), Field("preview", "text", writable=False, expr="''"),
        text("name"), text("type", writable=False), text("disk", writable=False),
        text("hash", writable=False), integer("size", writable=False), integer("width", writable=False),
        integer("height", writable=False), boolean("is_default", writable=False),
        boolean("is_public", default=True), Field("link", "text", writable=False, expr="''"),
        Field("documentable_type", "text", writable=False, internal=True),
        Field("documentable_id", "int", writable=False, internal=True),
    ),
    filters=(f.search("({t}.name ILIKE ?)"), f.Filter("type", _document_type),
             f.Filter("company_documents", _company_documents), f.Filter("client_id", _document_client),
             *f.common()),
    sorts={"id": "{t}.id", "name": "{t}.name", "type": "{t}.type", "size": "{t}.size",
           "created_at": "{t}.created_at", "updated_at": "{t}.updated_at", "is_public": "{t}.is_public"},
)

ACTIVITY_REFS = ("client_id", "recurring_invoice_id", "recurring_expense_id", "purchase_order_id",
                 "vendor_id", "vendor_contact_id", "invoice_id", "quote_id", "payment_id", "credit_id",
                 "expense_id", "task_id", "token_id", "contact_id")

activity = Entity(
    "activity", "activities", plural="activities", label="Activity", writable=False,
    default_order="{t}.id DESC", soft_delete=False,
    fields=(
        Field("id", "id", writable=False), Field("activity_type_id", "code", writable=False),
        ref("user_id", "user", writable=False), ref("company_id", "company", writable=False),
        *(ref(name, "", writable=False) for name in ACTIVITY_REFS),
        text("notes", writable=False), text("ip", writable=False), boolean("is_system", writable=False),
        ts("created_at"), ts("updated_at"),
    ),
    filters=(f.ref_eq("client_id"), f.ref_eq("invoice_id"), f.ref_eq("payment_id"), f.ref_eq("credit_id"),
             f.ref_eq("quote_id"), f.ref_eq("user_id"), f.int_eq("activity_type_id"), f.since("created_at")),
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
    "company_ledger", "company_ledgers", plural="company_ledger", label="Ledger entry", writable=False,
    soft_delete=False, shape=_shape_ledger,
    fields=(
        Field("ledgerable_type", "text", writable=False, internal=True),
        Field("ledgerable_id", "int", writable=False, internal=True),
        text("notes", writable=False), Field("balance", "money", writable=False),
        Field("adjustment", "money", writable=False), integer("activity_id", writable=False),
        ts("created_at"), ts("updated_at"), ts("archived_at", column="deleted_at"),
    ),
    filters=(f.ref_eq("client_id"),),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at"},
)

system_log = Entity(
    "system_log", "system_logs", label="System log", writable=False, soft_delete=False,
    fields=(
        Field("id", "id", writable=False), ref("user_id", "user", writable=False),
        ref("client_id", "client", writable=False), integer("event_id", writable=False),
        integer("category_id", writable=False), integer("type_id", writable=False),
        obj("log", writable=False), ts("created_at"), ts("updated_at"),
    ),
    filters=(f.ref_eq("client_id"),),
    sorts={"id": "{t}.id", "created_at": "{t}.created_at"},
)

USER_SEARCH = "({t}.first_name ILIKE ? OR {t}.last_name ILIKE ? OR {t}.email ILIKE ?)"

user = Entity(
    "user", "users", label="User", writable=False,
    scope="EXISTS (SELECT 1 FROM company_users cu WHERE cu.user_id = {t}.id AND cu.company_id = ?)",
    fields=(
        Field("id", "id", writable=False), text("first_name"), text("last_name"), text("email"),
        text("phone"), text("signature", 65535), *(text(f"custom_value{i}") for i in range(1, 5)),
        ts("last_login"), ts("created_at"), ts("updated_at"), ts("archived_at", column="deleted_at"),
        boolean("is_deleted", writable=False),
        Field("email_verified_at", "ts", writable=False),
        Field("oauth_provider_id", "text", writable=False, expr="''"),
        Field("last_confirmed_email_address", "text", writable=False, expr="''"),
        Field("google_2fa_secret", "bool", writable=False, expr="false"),
        Field("has_password", "bool", writable=False, expr="({t}.password_hash <> '')"),
        Field("oauth_user_token", "text", writable=False, expr="''"),
        Field("verified_phone_number", "bool", writable=False, expr="false"),
        Field("language_id", "code", codes="languages"),
        boolean("user_logged_in_notification", default=True),
        Field("referral_code", "text", writable=False, expr="''"),
        Field("referral_meta", "object", writable=False,
              expr="'{{\"free\": 0, \"pro\": 0, \"enterprise\": 0}}'::jsonb"),
    ),
    filters=(f.search(USER_SEARCH), f.eq("email"), *f.common()),
    sorts={"id": "{t}.id", "first_name": "{t}.first_name", "last_name": "{t}.last_name",
           "email": "{t}.email", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"},
)
