"""All REST routes: literal paths first, then the generic routes of every registry entity."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from app.services import REGISTRY

from . import (
    banking,
    client_tools,
    company_users,
    dashboard,
    doc_actions,
    documents,
    endpoints,
    payments,
    session,
    subscriptions,
    tasks,
    team,
)
from .routing import grouped


def routes() -> list[BaseRoute]:
    # documents.ROUTES precede the generic /documents/{id} routes (literal download and bulk paths).
    out: list[BaseRoute] = [*team.ROUTES, *session.ROUTES, *company_users.ROUTES, *documents.ROUTES]
    out += payments.ROUTES  # payment refunds
    out += banking.ROUTES  # bank transaction matching
    out += dashboard.ROUTES  # search and charts
    out += client_tools.ROUTES  # purge, merge, statement, tax data, e-mail reactivation
    out += subscriptions.ROUTES  # the purchase page's steps
    out += tasks.ROUTES  # the kanban's sort
    for entity in REGISTRY.values():
        if entity.routes:
            built = endpoints.build(entity)  # `/{id}/edit` among them, before the actions' `/{id}/{action}`
            out += built + _slashed(built, entity.path)
            if doc_actions.takes_actions(entity):
                out.append(doc_actions.action_route(entity))
    # The public logo route has no resource segment of /api/v1 to group by: it stands after the groups.
    return [*grouped(out), *session.PUBLIC_ROUTES]


# Upstream documents the scheduler list and create at `/task_schedulers/` (its OpenAPI paths end in a slash).
SLASHED = ("task_schedulers",)


def _slashed(built: list[Route], path: str) -> list[BaseRoute]:
    if path not in SLASHED:
        return []
    base = f"/api/v1/{path}"
    return [Route(base + "/", r.endpoint, methods=r.methods) for r in built if r.path == base and r.methods]
