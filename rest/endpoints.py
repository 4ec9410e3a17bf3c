"""Generic REST handlers, built per registry entity by closures: index, blank, store, show, edit, update,
destroy, bulk and upload. Entity-specific routes live in their own modules. Every handler is one service
call whose answer comes back shaped; this module only reads the request and writes the envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.auth import Principal
from app.errors import invalid
from app.services import Entity, EntityService, service_for
from app.services.billing.flags import BillingFlags
from app.services.files import documents

from .params import merged, path_id, read_body
from .responses import JSON, collection, item

Handler = Callable[[Request], Awaitable[Response]]


def principal(request: Request) -> Principal:
    who = request.scope["principal"]  # set by app.middleware for every authenticated request
    assert isinstance(who, Principal)
    return who


def service(request: Request, entity: Entity) -> EntityService:
    return service_for(entity, request.app.state.db)


def flags(request: Request, svc: EntityService) -> dict[str, Any]:
    """`flags=` for the services that read create/update flags (`?mark_sent=true`, ...), else nothing."""
    return {"flags": BillingFlags.parse(request.query_params)} if svc.flags_taken else {}


async def list_response(request: Request, entity: Entity, params: Mapping[str, Any]) -> Response:
    page = await service(request, entity).page(principal(request), params)
    return collection(request, page)


def build(entity: Entity) -> list[Route]:
    base = f"/api/v1/{entity.path}"
    what = entity.title

    async def index(request: Request) -> Response:
        return await list_response(request, entity, dict(request.query_params))

    async def blank(request: Request) -> Response:
        svc = service(request, entity)
        return item(svc.item(await svc.blank(principal(request))).data)

    async def show(request: Request) -> Response:
        include = request.query_params.get("include", "")
        found = await service(request, entity).show(principal(request), path_id(request, what), include)
        return item(found.data)

    async def store(request: Request) -> Response:
        body, files = await read_body(request)
        include = merged(request, body).get("include", "")
        svc = service(request, entity)
        fields = {k: v for k, v in body.items() if k != "is_public"} if files else body
        # One transaction: a rejected file (422) also undoes the creation.
        async with svc.db.transaction():
            row = await svc.create(principal(request), fields, include, **flags(request, svc))
            if files:
                row = await _attach(request, svc, row["id"], body, files, include)
        return item(svc.item(row, include).data)

    async def update(request: Request) -> Response:
        body, files = await read_body(request)
        _require_put(request, body)
        include = merged(request, body).get("include", "")
        svc = service(request, entity)
        entity_id = path_id(request, what)
        fields = {k: v for k, v in body.items() if k not in ("_method", "is_public")}
        # One transaction: a rejected file (422) also undoes the update of the entity's fields.
        async with svc.db.transaction():
            row = (
                await svc.update(principal(request), entity_id, fields, include, **flags(request, svc))
                if fields or not files
                else None
            )
            if files:
                row = await _attach(request, svc, entity_id, body, files, include)
        assert row is not None
        return item(svc.item(row, include).data)

    async def upload(request: Request) -> Response:
        body, files = await read_body(request)
        _require_put(request, body)
        include = merged(request, body).get("include", "")
        svc = service(request, entity)
        row = await _attach(request, svc, path_id(request, what), body, files, include)
        return item(svc.item(row, include).data)

    async def edit(request: Request) -> Response:
        """Upstream's edit form read: the row as `show` gives it, to a caller who may edit it."""
        include = request.query_params.get("include", "")
        svc = service(request, entity)
        who = principal(request)
        row = await svc.get(who, path_id(request, what), include)  # missing or foreign: 404 first
        svc.require_edit(who, row)
        return item(svc.item(row, include).data)

    async def destroy(request: Request) -> Response:
        include = request.query_params.get("include", "")
        svc = service(request, entity)
        row = await svc.destroy(principal(request), path_id(request, what), include)
        return item(svc.item(row, include).data)

    async def bulk(request: Request) -> Response:
        """Upstream answers a bulk call with the affected rows as a paginated list."""
        body, _ = await read_body(request)
        params = merged(request, body)
        action = body.get("action", params.get("action"))
        if not isinstance(action, str) or not action:
            raise invalid("action", "The action field is required.")
        svc = service(request, entity)
        who = principal(request)
        entity_ids = await svc.resolve_ids(who, body.get("ids"))
        made = await svc.bulk_made(who, action.strip(), entity_ids, body)
        if made is not None:  # an action that makes a record answers with it (projects' `invoice`)
            target, row_id = made
            return item((await service_for(target, svc.db).show(who, row_id)).data)
        return collection(request, await svc.bulk_page(who, entity_ids, params))

    routes = [Route(base, index, methods=["GET"])]
    if entity.writable:
        routes += [
            Route(f"{base}/create", blank, methods=["GET"]),
            Route(f"{base}/bulk", bulk, methods=["POST"]),
            Route(base, store, methods=["POST"]),
        ]
    if entity.documents:
        routes.append(Route(f"{base}/{{id}}/upload", upload, methods=["PUT", "POST"]))
    routes.append(Route(f"{base}/{{id}}", show, methods=["GET"]))
    if entity.writable:
        routes += [
            Route(f"{base}/{{id}}/edit", edit, methods=["GET"]),
            Route(f"{base}/{{id}}", update, methods=["PUT", "PATCH", "POST"]),
            Route(f"{base}/{{id}}", destroy, methods=["DELETE"]),
        ]
    return routes


def _require_put(request: Request, body: dict[str, Any]) -> None:
    """A POST reaches update/upload only as a method override (`_method=PUT` in a form body)."""
    if request.method == "POST" and str(body.get("_method", "")).upper() not in ("PUT", "PATCH"):
        raise HTTPException(405, headers={"Allow": "GET, PUT, PATCH, DELETE"})


async def _attach(
    request: Request, svc: EntityService, entity_id: int, body: dict[str, Any], files: list[Any], include: str
) -> dict[str, Any]:
    who = principal(request)
    row = await svc.get(who, entity_id)  # 404 before touching any file
    svc.require_edit(who, row)  # the same permission as an update
    await documents.attach(svc.db, who, svc.entity, entity_id, files, body.get("is_public"))
    return await svc.get(who, entity_id, include)


__all__ = ["build", "list_response", "principal", "JSON"]
