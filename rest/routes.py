"""All REST routes: literal paths first, then the generic routes of every registry entity."""
from __future__ import annotations

from starlette.routing import BaseRoute

from app.entities import REGISTRY

from . import company_users, endpoints, session


def routes() -> list[BaseRoute]:
    out: list[BaseRoute] = [*session.ROUTES, *company_users.ROUTES]
    for entity in REGISTRY.values():
        if entity.routes:
            out += endpoints.build(entity)
    return out
