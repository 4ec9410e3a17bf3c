"""One place that turns exceptions into upstream's error envelopes; nothing internal leaks."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from app.errors import AppError

from .responses import JSON


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return JSON(exc.body(), status_code=exc.status, headers=exc.headers or None)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return JSON({"message": "Route does not exist", "errors": {}}, status_code=404)
    if exc.status_code == 405:
        return JSON({"message": "Method not supported for this route", "errors": {}}, status_code=405,
                    headers=exc.headers)
    return JSON({"message": exc.detail, "errors": {}}, status_code=exc.status_code, headers=exc.headers)


# Unexpected exceptions are masked by app.middleware.HeaderContract, so the 500 carries the contract headers.
HANDLERS = {AppError: app_error, HTTPException: http_error}
