"""`GET /api/v1/{invoices|quotes|credits}/{id}/{action}` (upstream performAction): the item envelope of the
affected row (for convert/clone: the new invoice or quote), `{"message":"email sent"}` for email, 400 for an
action that does not exist. Bulk variants go through the generic `POST /{entity}/bulk` into the same
services. Create/update also take upstream's query flags, handed to the service in a context variable."""
from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.entities import REGISTRY
from app.entities.spec import Entity
from app.services import service_for
from app.services.billing_docs import FLAG_NAMES, FLAGS

from . import endpoints
from .endpoints import principal, service, shaped
from .params import path_id
from .responses import JSON, item

Flags = ContextVar[Mapping[str, str]]


def action_route(entity: Entity) -> Route:
    async def perform(request: Request) -> Response:
        action = request.path_params["action"]
        if action == "upload":   # the document upload path exists for PUT/POST only
            raise HTTPException(405, headers={"Allow": "PUT, POST"})
        who = principal(request)
        svc = service(request, entity)
        entity_id = path_id(request, entity.title)
        await svc.get(who, entity_id)   # missing or foreign: 404 before anything else
        result = await svc.perform(who, entity_id, action)  # type: ignore[attr-defined]
        if isinstance(result, str):
            return JSON({"message": result})
        target, row_id = result
        include = request.query_params.get("include", "")
        row = await service_for(target, svc.db).get(who, row_id, include)
        return item(shaped(target, row, include))
    return Route(f"/api/v1/{entity.path}/{{id}}/{{action}}", perform, methods=["GET"])


def flag_routes(entity: Entity, flags: Flags = FLAGS, names: tuple[str, ...] = FLAG_NAMES) -> list[Route]:
    """The generic store/update handlers, run with the query flags (`?mark_sent=true`, `?send_email=true`,
    quotes also `?approve=true`; invoices `?paid`, `?amount_paid`) in a context variable the service reads
    inside the same transaction."""
    base = f"/api/v1/{entity.path}"
    generic = [r for r in endpoints.build(entity) if isinstance(r, Route)]
    out = [r for r in generic if r.path in (f"{base}/bulk", f"{base}/create")]   # literal paths before {id}
    for route in generic:
        if route.methods and ({"POST", "PUT"} & route.methods) and route.path in (base, f"{base}/{{id}}"):
            handler = _with_flags(route.endpoint, flags, names)
            out.append(Route(route.path, handler, methods=sorted(route.methods - {"HEAD"})))
    return out


def _with_flags(handler: Any, flags: Flags, names: tuple[str, ...]) -> Any:
    async def run(request: Request) -> Response:
        token = flags.set({k: request.query_params[k] for k in names if k in request.query_params})
        try:
            return await handler(request)  # type: ignore[no-any-return]
        finally:
            flags.reset(token)
    return run


ROUTES = [action_route(REGISTRY["quote"]), action_route(REGISTRY["credit"]),
          *flag_routes(REGISTRY["quote"]), *flag_routes(REGISTRY["credit"])]
