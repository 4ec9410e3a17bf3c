"""All REST routes: literal paths first, then the generic routes of every registry entity."""

from __future__ import annotations

from starlette.routing import BaseRoute

from app.services import REGISTRY

from . import company_users, dashboard, doc_actions, documents, endpoints, payments, session, tasks
from .routing import grouped


def routes() -> list[BaseRoute]:
    # documents.ROUTES precede the generic /documents/{id} routes (literal download and bulk paths).
    out: list[BaseRoute] = [*session.ROUTES, *company_users.ROUTES, *documents.ROUTES]
    out += payments.ROUTES  # payment refunds
    out += dashboard.ROUTES  # search and charts
    out += tasks.ROUTES  # the kanban's sort
    for entity in REGISTRY.values():
        if entity.routes:
            out += endpoints.build(entity)  # `/{id}/edit` among them, before the actions' `/{id}/{action}`
            if doc_actions.takes_actions(entity):
                out.append(doc_actions.action_route(entity))
    return grouped(out)
