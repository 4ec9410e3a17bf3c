"""All REST routes: literal paths first, then the generic routes of every registry entity."""
from __future__ import annotations

from starlette.routing import BaseRoute

from app.entities import REGISTRY

from . import company_users, documents, endpoints, session


def routes() -> list[BaseRoute]:
    # documents.ROUTES precede the generic /documents/{id} routes (literal download and bulk paths).
    out: list[BaseRoute] = [*session.ROUTES, *company_users.ROUTES, *documents.ROUTES]
    for entity in REGISTRY.values():
        if entity.routes:
            out += endpoints.build(entity)
    return out
