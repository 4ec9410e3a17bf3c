"""`POST /api/v1/payments/refund`: the refunded payment. Registered before the generic payment routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import REGISTRY
from app.services.payments.service import PaymentService

from .endpoints import principal, service
from .params import merged, read_body
from .responses import item

PAYMENT = REGISTRY["payment"]


async def refund(request: Request) -> Response:
    body, _ = await read_body(request)
    include = merged(request, body).get("include", "")
    svc = service(request, PAYMENT)
    assert isinstance(svc, PaymentService)
    row = await svc.refund(principal(request), body, include)
    return item(svc.item(row, include).data)


ROUTES = [Route(f"/api/v1/{PAYMENT.path}/refund", refund, methods=["POST"])]
