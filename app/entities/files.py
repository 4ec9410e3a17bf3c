"""Documents: the files uploaded to any entity that takes them (documentable_type names the parent)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import ids
from ..settings import base_url
from . import filters as f
from .common import standard
from .spec import Built, Entity, Field, Filter, boolean, integer, text

# documentable_type -> the web app's route for the parent (upstream Document::link()).
DOCUMENT_LINKS = {
    "clients": "/clients/{}",
    "invoices": "/invoices/{}/edit",
    "quotes": "/quotes/{}/edit",
    "credits": "/credits/{}/edit",
    "payments": "/payments/{}/edit",
    "expenses": "/expenses/{}/edit",
    "projects": "/projects/{}",
    "tasks": "/tasks/{}/edit",
    "vendors": "/vendors/{}",
    "recurring_invoices": "/recurring_invoices/{}/edit",
}


def _shape_document(row: dict[str, Any]) -> None:
    kind = row.pop("documentable_type")
    parent = row.pop("documentable_id")
    row["url"] = f"{base_url()}/api/v1/documents/{row['id']}/download"
    template = DOCUMENT_LINKS.get(kind)
    row["link"] = template.format(ids.encode(parent)) if template and parent else ""


def _document_type(v: str) -> Built | None:
    conditions = {
        "private": "NOT {t}.is_public",
        "public": "{t}.is_public",
        "pdf": "{t}.type = 'pdf'",
        "image": "{t}.type IN ('png','jpeg','jpg','gif','tiff','webp','psd')",
    }
    conditions["other"] = "NOT ({t}.type = 'pdf' OR " + conditions["image"] + ")"
    chosen = [conditions[x.strip()] for x in v.split(",") if x.strip() in conditions]
    return (" AND ".join(f"({c})" for c in chosen), ()) if chosen else None


def _company_documents(v: str) -> Built | None:
    return ("{t}.documentable_type = 'companies'", ()) if v.strip().lower() in {"1", "true"} else None


def _client_filter(owners: Sequence[Entity]) -> Filter:
    """`client_id`: documents of the client itself and of its own records (invoices, quotes, expenses, ...):
    every one of `owners` that takes uploads and has a client_id, so new entities are covered when they
    register."""
    parts = ["({t}.documentable_type = 'clients' AND {t}.documentable_id = ?)"]
    for child in owners:
        column = child.field("client_id")
        if child.documents and child.name != "client" and column is not None and column.kind == "ref":
            parts.append(
                f"({{t}}.documentable_type = '{child.path}' AND {{t}}.documentable_id IN (SELECT c.id "
                f"FROM {child.table} c WHERE c.company_id = {{t}}.company_id AND c.{column.col} = ?))"
            )
    condition = "(" + " OR ".join(parts) + ")"

    def build(v: str) -> Built:
        client_id = ids.decode_or_none(v)
        if client_id is None:
            return f.NOTHING
        return condition, (client_id,) * len(parts)

    return Filter("client_id", build)


def document_entity(owners: Sequence[Entity]) -> Entity:
    """The document entity, given every other entity (its client filter names those that take uploads):
    app.entities builds it once the others exist."""
    return Entity(
        "document",
        "documents",
        label="Document",
        shape=_shape_document,
        writable=False,  # uploads create them; rest/documents.py serves update, delete, bulk and download
        bulk_actions=("delete", "download"),
        fields=(
            *standard(),
            Field("project_id", "text", writable=False, expr="''"),
            Field("vendor_id", "text", writable=False, expr="''"),
            Field("url", "text", writable=False, expr="''"),
            Field("preview", "text", writable=False, expr="''"),
            text("name"),
            text("type", writable=False),
            text("disk", writable=False),
            text("hash", writable=False),
            integer("size", writable=False),
            integer("width", writable=False),
            integer("height", writable=False),
            boolean("is_default", writable=False),
            boolean("is_public", default=True),
            Field("link", "text", writable=False, expr="''"),
            Field("documentable_type", "text", writable=False, internal=True),
            Field("documentable_id", "int", writable=False, internal=True),
        ),
        filters=(
            f.search("({t}.name ILIKE ?)"),
            Filter("type", _document_type),
            Filter("company_documents", _company_documents),
            _client_filter(owners),
            *f.common(),
        ),
        sorts={
            "id": "{t}.id",
            "name": "{t}.name",
            "type": "{t}.type",
            "size": "{t}.size",
            "created_at": "{t}.created_at",
            "updated_at": "{t}.updated_at",
            "is_public": "{t}.is_public",
        },
    )
