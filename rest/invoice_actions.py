"""Invoice actions and payments' literal routes, registered before the generic entity routes:

* `GET /api/v1/invoices/{id}/{action}` (upstream performAction): the item envelope of the invoice (clones: the
  new invoice or quote), `{"message":"email sent"}` for email, 400 for an unknown action;
* `POST /api/v1/invoices` and `PUT /api/v1/invoices/{id}` with the query flags `mark_sent`, `paid`
  (`reference`), `amount_paid`: the generic handlers run with the flags in a context variable, which the
  invoice service reads inside the same transaction;
* `POST /api/v1/payments/refund` (R4.3): the refunded payment.
"""
from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.entities import REGISTRY
from app.services import service_for
from app.services.invoice_actions import FLAGS

from . import endpoints
from .endpoints import principal, service, shaped
from .params import merged, path_id, read_body
from .responses import JSON, item

INVOICE = REGISTRY["invoice"]
PAYMENT = REGISTRY["payment"]
FLAG_NAMES = ("mark_sent", "paid", "amount_paid", "reference")


async def perform(request: Request) -> Response:
    action = request.path_params["action"]
    if action == "upload":   # the document upload path exists for PUT/POST only
        raise HTTPException(405, headers={"Allow": "PUT, POST"})
    who = principal(request)
    svc = service(request, INVOICE)
    invoice_id = path_id(request, INVOICE.title)
    await svc.get(who, invoice_id)   # missing or foreign: 404 before anything else
    result = await svc.perform(who, invoice_id, action)  # type: ignore[attr-defined]
    if isinstance(result, str):
        return JSON({"message": result})
    target, row_id = result
    include = request.query_params.get("include", "")
    row = await service_for(target, svc.db).get(who, row_id, include)
    return item(shaped(target, row, include))


def _generic(path: str, method: str) -> Any:
    for route in endpoints.build(INVOICE):
        if isinstance(route, Route) and route.path == path and method in (route.methods or ()):
            return route.endpoint
    raise LookupError(path)


def _with_flags(handler: Any) -> Any:
    async def run(request: Request) -> Response:
        flags = {k: request.query_params[k] for k in FLAG_NAMES if k in request.query_params}
        token = FLAGS.set(flags)
        try:
            return await handler(request)   # type: ignore[no-any-return]
        finally:
            FLAGS.reset(token)
    return run


async def refund(request: Request) -> Response:
    body, _ = await read_body(request)
    include = merged(request, body).get("include", "")
    row = await service(request, PAYMENT).refund(principal(request), body, include)  # type: ignore[attr-defined]
    return item(shaped(PAYMENT, row, include))


BASE = f"/api/v1/{INVOICE.path}"
ROUTES = [
    Route(f"/api/v1/{PAYMENT.path}/refund", refund, methods=["POST"]),
    Route(f"{BASE}/{{id}}/{{action}}", perform, methods=["GET"]),
    Route(BASE, _with_flags(_generic(BASE, "POST")), methods=["POST"]),
    # PUT and PATCH only: a POST here is the generic bulk path or a form override of PUT
    Route(f"{BASE}/{{id}}", _with_flags(_generic(f"{BASE}/{{id}}", "PUT")), methods=["PUT", "PATCH"]),
]
