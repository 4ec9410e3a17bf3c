"""`POST /api/v1/bank_transactions/match`: the transactions it changed, as a list (upstream's answer); the
bank feed operations of `bank_integrations` (refresh_accounts, remove_account, get_transactions), which
answer for manual accounts. Registered before the generic routes of both."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import REGISTRY
from app.services.banking.integrations import BankIntegrationService
from app.services.banking.transactions import BankTransactionService

from .endpoints import principal, service
from .params import merged, read_body
from .responses import JSON, collection, item

TRANSACTION = REGISTRY["bank_transaction"]
INTEGRATION = REGISTRY["bank_integration"]


async def match(request: Request) -> Response:
    body, _ = await read_body(request)
    params = merged(request, body)
    svc = service(request, TRANSACTION)
    assert isinstance(svc, BankTransactionService)
    who = principal(request)
    changed = await svc.match(who, body)
    return collection(request, await svc.bulk_page(who, changed, params))


def integrations(request: Request) -> BankIntegrationService:
    svc = service(request, INTEGRATION)
    assert isinstance(svc, BankIntegrationService)
    return svc


async def refresh_accounts(request: Request) -> Response:
    body, _ = await read_body(request)
    page = await integrations(request).refresh_accounts(principal(request), merged(request, body))
    return collection(request, page)


async def remove_account(request: Request) -> Response:
    include = request.query_params.get("include", "")
    svc = integrations(request)
    row = await svc.remove_account(principal(request), request.path_params["account_id"], include)
    return item(svc.item(row, include).data)


async def get_transactions(request: Request) -> Response:
    return JSON({"message": await integrations(request).fetch_transactions(principal(request))})


BANKS = f"/api/v1/{INTEGRATION.path}"
ROUTES = [
    Route(f"/api/v1/{TRANSACTION.path}/match", match, methods=["POST"]),
    Route(f"{BANKS}/refresh_accounts", refresh_accounts, methods=["POST"]),
    Route(f"{BANKS}/remove_account/{{account_id}}", remove_account, methods=["POST"]),
    Route(f"{BANKS}/get_transactions/{{account_id}}", get_transactions, methods=["POST"]),
]
