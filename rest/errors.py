"""One place that turns exceptions into upstream's error envelopes; nothing internal leaks."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from app.errors import AppError

from .responses import JSON
from .routing import flat

VERB_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return JSON(exc.body(), status_code=exc.status, headers=exc.headers or None)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return JSON({"message": "Route does not exist", "errors": {}}, status_code=404)
    if exc.status_code == 405:
        return JSON(
            {"message": "Method not supported for this route", "errors": {}},
            status_code=405,
            headers={**(exc.headers or {}), "Allow": _allow(request, exc)},
        )
    return JSON({"message": exc.detail, "errors": {}}, status_code=exc.status_code, headers=exc.headers)


def _allow(request: Request, exc: HTTPException) -> str:
    """Every verb some route serves at this path (Starlette names only the first route that matched,
    so `DELETE /clients` would claim only GET although POST creates). OPTIONS is always answered."""
    verbs: set[str] = {"OPTIONS"}
    for route in flat(getattr(request.app, "routes", [])):
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] is not Match.NONE:
            verbs |= set(methods)
    given = (exc.headers or {}).get("Allow", "")
    verbs |= {v.strip().upper() for v in given.split(",") if v.strip()}
    verbs.discard(request.method)
    return ", ".join(sorted(verbs, key=lambda v: (VERB_ORDER.index(v) if v in VERB_ORDER else 99, v)))


# Unexpected exceptions are masked by app.middleware.HeaderContract, so the 500 carries the contract headers.
HANDLERS = {AppError: app_error, HTTPException: http_error}
