"""The dashboard's non-entity calls: POST /search and POST /charts/totals_v2, /charts/chart_summary_v2 (and the
v1 names, same answers). Their bodies are unwrapped JSON, as upstream's controllers answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services.dashboard import search as global_search
from app.services.dashboard.charts import Charts

from .endpoints import principal
from .params import merged, read_body
from .responses import JSON


async def search(request: Request) -> Response:
    body, _ = await read_body(request)
    params = merged(request, body)
    text = params.get("search") or params.get("filter") or ""
    return JSON(await global_search.search(request.app.state.db, principal(request), text))


async def totals(request: Request) -> Response:
    body, _ = await read_body(request)
    return JSON(await Charts(request.app.state.db, principal(request), merged(request, body)).totals())


async def chart_summary(request: Request) -> Response:
    body, _ = await read_body(request)
    return JSON(await Charts(request.app.state.db, principal(request), merged(request, body)).summary())


ROUTES = [
    Route("/api/v1/search", search, methods=["POST"]),
    Route("/api/v1/charts/totals_v2", totals, methods=["POST"]),
    Route("/api/v1/charts/totals", totals, methods=["POST"]),
    Route("/api/v1/charts/chart_summary_v2", chart_summary, methods=["POST"]),
    Route("/api/v1/charts/chart_summary", chart_summary, methods=["POST"]),
]
