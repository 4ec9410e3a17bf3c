"""`GET /api/v1/{entity}/{id}/{action}` (upstream performAction), for the entities whose service performs
actions: the item envelope of the affected row (for convert/clone: the new invoice or quote), a message for
email, 400 for an action that does not exist. Bulk variants go through the generic `POST /{entity}/bulk` into
the same services; the flags of create/update (`?mark_sent=true`, ...) are read by the generic handlers."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import Principal
from app.services import SERVICES, Entity, EntityService, service_for

from .endpoints import principal, service
from .params import path_id
from .responses import JSON, item


@runtime_checkable
class Performs(Protocol):
    """The services that take single actions (invoices, quotes, credits, ...)."""

    async def perform(self, who: Principal, entity_id: int, action: str, /) -> tuple[Entity, int] | str: ...


def action_route(entity: Entity) -> Route:
    async def perform(request: Request) -> Response:
        action = request.path_params["action"]
        if action == "upload":  # the document upload path exists for PUT/POST only
            raise HTTPException(405, headers={"Allow": "PUT, POST"})
        who = principal(request)
        svc = service(request, entity)
        entity_id = path_id(request, entity.title)
        await svc.get(who, entity_id)  # missing or foreign: 404 before anything else
        assert isinstance(svc, Performs), f"{entity.name}: its service takes no actions"
        result = await svc.perform(who, entity_id, action)
        if isinstance(result, str):
            return JSON({"message": result})
        target, row_id = result
        include = request.query_params.get("include", "")
        return item((await service_for(target, svc.db).show(who, row_id, include)).data)

    return Route(f"/api/v1/{entity.path}/{{id}}/{{action}}", perform, methods=["GET"])


def takes_actions(entity: Entity) -> bool:
    """Whether the entity's service performs single actions (its `GET /{entity}/{id}/{action}` route exists)."""
    return issubclass(SERVICES.get(entity.name, EntityService), Performs)
