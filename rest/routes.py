"""All REST routes: literal paths first, then the generic routes of every registry entity."""
from __future__ import annotations

from starlette.routing import BaseRoute

from app.entities import REGISTRY

from . import company_users, doc_actions, documents, endpoints, invoice_actions, session
from . import dashboard
from .routing import grouped


def routes() -> list[BaseRoute]:
    # documents.ROUTES precede the generic /documents/{id} routes (literal download and bulk paths).
    out: list[BaseRoute] = [*session.ROUTES, *company_users.ROUTES, *documents.ROUTES]
    out += doc_actions.ROUTES   # quote/credit actions, before the generic entity routes
    out += invoice_actions.ROUTES   # invoice actions and flags, payment refunds
    out += dashboard.ROUTES   # search and charts
    for entity in REGISTRY.values():
        if entity.routes:
            out += endpoints.build(entity)
    return grouped(out)
