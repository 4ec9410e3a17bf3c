"""`GET /api/v1/subscriptions/steps` (the purchase page's steps) and `POST /api/v1/subscriptions/steps/check` (200
`[]` for a valid list, else 422). Registered before the generic subscription routes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services.subscriptions import subscriptions

from .params import read_body
from .responses import JSON


async def steps(request: Request) -> Response:
    return JSON(subscriptions.steps_catalog())


async def check(request: Request) -> Response:
    body, _ = await read_body(request)
    subscriptions.check_steps(body)
    return JSON([])


ROUTES = [
    Route("/api/v1/subscriptions/steps", steps, methods=["GET"]),
    Route("/api/v1/subscriptions/steps/check", check, methods=["POST"]),
]
