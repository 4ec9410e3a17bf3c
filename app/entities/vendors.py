"""Vendors and their contacts (upstream VendorTransformer / VendorContactTransformer). The rules (numbering
with the vendor counter, the company currency by default, contacts replaced as a client's are) live in
app/services/vendors/."""

from __future__ import annotations

from typing import Any

from ..settings import base_url
from . import filters as f
from .common import standard
from .crm import CLASSIFICATIONS
from .spec import Built, Entity, Field, Filter, Relation, boolean, code, custom_values, text, ts

CONTACT_OF = (
    "EXISTS (SELECT 1 FROM vendor_contacts vc WHERE vc.company_id = {t}.company_id "
    "AND vc.vendor_id = {t}.id AND vc.is_deleted = false AND ({cond}))"
)
DISPLAY_NAME = (
    "CASE WHEN {t}.name <> '' THEN {t}.name ELSE COALESCE((SELECT CASE WHEN vc.first_name <> '' "
    "OR vc.last_name <> '' THEN btrim(vc.first_name || ' ' || vc.last_name) ELSE vc.email END "
    "FROM vendor_contacts vc WHERE vc.company_id = {t}.company_id AND vc.vendor_id = {t}.id "
    "AND vc.is_deleted = false AND (vc.email <> '' OR vc.first_name <> '' OR vc.last_name <> '') "
    "ORDER BY vc.is_primary DESC, vc.id LIMIT 1), 'No Contact Set') END"
)
VENDOR_SEARCH = (
    "("
    + " OR ".join(
        f"{{t}}.{c} ILIKE ?"
        for c in ("name", "id_number", "number", "custom_value1", "custom_value2", "custom_value3", "custom_value4")
    )
    + " OR "
    + CONTACT_OF.replace("{cond}", "vc.first_name ILIKE ? OR vc.last_name ILIKE ? OR vc.email ILIKE ?")
    + ")"
)
NUMERIC_NUMBER = "NULLIF(regexp_replace({t}.number, '[^0-9]', '', 'g'), '')::numeric"


def _email(v: str) -> Built | None:
    v = v.strip()
    return None if not v else (CONTACT_OF.replace("{cond}", "lower(vc.email) = lower(?)"), (v,))


def _shape_contact(row: dict[str, Any]) -> None:
    row["link"] = f"{base_url()}/vendor/key_login/{row['contact_key']}"


vendor = Entity(
    "vendor",
    "vendors",
    label="Vendor",
    documents=True,
    number_counter="vendor",
    fields=(
        *standard(),
        text("name"),
        text("website"),
        text("private_notes", 65535),
        text("public_notes", 65535),
        Field("display_name", "text", writable=False, expr=DISPLAY_NAME),
        ts("last_login"),
        text("address1"),
        text("address2"),
        text("phone"),
        text("city"),
        text("state"),
        text("postal_code"),
        code("country_id", "countries"),
        code("currency_id", "currencies"),
        code("language_id", "languages"),
        *custom_values(),
        text("vat_number"),
        text("id_number"),
        text("number"),
        text("classification", choices=CLASSIFICATIONS),
        text("routing_id"),
        text("transaction_name", internal=True),
    ),
    search=VENDOR_SEARCH,
    filters=(
        f.search(VENDOR_SEARCH),
        f.like("name"),
        Filter("email", _email),
        f.eq("id_number"),
        f.eq("number"),
        f.ref_eq("vendor_id", "id"),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "name": "lower({t}.name)",
        "display_name": "lower({t}.name)",
        "number": NUMERIC_NUMBER,
        "id_number": "lower({t}.id_number)",
        "city": "lower({t}.city)",
        "country_id": "{t}.country_id",
        "currency_id": "{t}.currency_id",
        "website": "lower({t}.website)",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "archived_at": "{t}.deleted_at",
    },
    relations=(
        Relation(
            "contacts",
            "vendor_contact",
            fk="vendor_id",
            order="{t}.is_primary DESC, {t}.id",
            where="{t}.deleted_at IS NULL",
        ),
        Relation("documents", "document", morph="vendors"),
        Relation("activities", "activity", fk="vendor_id", order="{t}.id DESC"),
    ),
    default_includes=("contacts", "documents"),
    activity={"create": 30, "update": 62, "archive": 31, "delete": 32, "restore": 33},
)

vendor_contact = Entity(
    "vendor_contact",
    "vendor_contacts",
    label="Contact",
    routes=False,
    fields=(
        Field("id", "id", writable=False),
        text("first_name"),
        text("last_name"),
        boolean("send_email"),
        text("email"),
        boolean("is_primary"),
        text("phone"),
        *custom_values(),
        text("contact_key", writable=False, internal=True),
        text("link", writable=False, expr="''"),
        ts("last_login"),
        Field("password", "text", expr="CASE WHEN {t}.password_hash <> '' THEN '**********' ELSE '' END"),
        ts("created_at"),
        ts("updated_at"),
        ts("archived_at", column="deleted_at"),
    ),
    shape=_shape_contact,
)
