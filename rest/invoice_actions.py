"""Invoice actions and payments' literal routes, registered before the generic entity routes:

* `GET /api/v1/invoices/{id}/{action}` (upstream performAction): the item envelope of the invoice (clones: the
  new invoice or quote), `{"message":"email sent"}` for email, 400 for an unknown action;
* `POST /api/v1/invoices` and `PUT /api/v1/invoices/{id}` with the query flags `mark_sent`, `paid`
  (`reference`), `amount_paid`: the generic handlers run with the flags in a context variable, which the
  invoice service reads inside the same transaction;
* `POST /api/v1/payments/refund` (R4.3): the refunded payment.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.entities import REGISTRY
from app.services.invoice_actions import FLAGS

from .doc_actions import action_route, flag_routes
from .endpoints import principal, service, shaped
from .params import merged, read_body
from .responses import item

INVOICE = REGISTRY["invoice"]
PAYMENT = REGISTRY["payment"]
FLAG_NAMES = ("mark_sent", "paid", "amount_paid", "reference")


async def refund(request: Request) -> Response:
    body, _ = await read_body(request)
    include = merged(request, body).get("include", "")
    row = await service(request, PAYMENT).refund(principal(request), body, include)  # type: ignore[attr-defined]
    return item(shaped(PAYMENT, row, include))


ROUTES = [
    Route(f"/api/v1/{PAYMENT.path}/refund", refund, methods=["POST"]),
    action_route(INVOICE),
    *flag_routes(INVOICE, FLAGS, FLAG_NAMES),
]
