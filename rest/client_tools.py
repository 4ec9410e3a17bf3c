"""The client tools: `POST /clients/{id}/purge`, `POST /clients/{id}/{other}/merge`, `POST /client_statement`,
`POST /clients/{id}/updateTaxData`, `POST /reactivate_email/{bounce_id}`. Registered before the generic client
routes. A client id of another company answers like a missing one (404) before anything else is checked."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import REGISTRY
from app.services.crm import merge, providers, purge, statement

from .endpoints import principal, service
from .params import path_id, read_body
from .responses import JSON, item, message

CLIENT = REGISTRY["client"]


async def _client(request: Request) -> int:
    client_id = path_id(request, CLIENT.title)
    await service(request, CLIENT).get(principal(request), client_id)  # 404 for a missing or foreign id
    return client_id


async def purge_client(request: Request) -> Response:
    client_id = await _client(request)
    await purge.purge(request.app.state.db, principal(request), client_id)
    return message("Success")


async def merge_clients(request: Request) -> Response:
    client_id = await _client(request)
    who = principal(request)
    svc = service(request, CLIENT)
    await merge.merge(svc.db, who, client_id, request.path_params["other"])
    include = request.query_params.get("include", "")
    return item((await svc.show(who, client_id, include)).data)


async def client_statement(request: Request) -> Response:
    body, _ = await read_body(request)
    # the query string and the body as one input (booleans kept as sent)
    data = await statement.statement(request.app.state.db, principal(request), {**request.query_params, **body})
    return JSON({"data": data})


async def update_tax_data(request: Request) -> Response:
    await _client(request)
    providers.update_tax_data(principal(request))


async def reactivate_email(request: Request) -> Response:
    providers.reactivate_email()


ROUTES = [
    Route(f"/api/v1/{CLIENT.path}/{{id}}/purge", purge_client, methods=["POST"]),
    Route(f"/api/v1/{CLIENT.path}/{{id}}/updateTaxData", update_tax_data, methods=["POST"]),
    Route(f"/api/v1/{CLIENT.path}/{{id}}/{{other}}/merge", merge_clients, methods=["POST"]),
    Route("/api/v1/client_statement", client_statement, methods=["POST"]),
    Route("/api/v1/reactivate_email/{bounce_id}", reactivate_email, methods=["POST"]),
]
