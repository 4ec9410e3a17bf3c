"""`POST /api/v1/bank_transactions/match`: the transactions it changed, as a list (upstream's answer).
Registered before the generic bank transaction routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import REGISTRY
from app.services.banking.transactions import BankTransactionService

from .endpoints import principal, service
from .params import merged, read_body
from .responses import collection

TRANSACTION = REGISTRY["bank_transaction"]


async def match(request: Request) -> Response:
    body, _ = await read_body(request)
    params = merged(request, body)
    svc = service(request, TRANSACTION)
    assert isinstance(svc, BankTransactionService)
    who = principal(request)
    changed = await svc.match(who, body)
    return collection(request, await svc.bulk_page(who, changed, params))


ROUTES = [Route(f"/api/v1/{TRANSACTION.path}/match", match, methods=["POST"])]
