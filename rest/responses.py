"""JSON responses in upstream's envelopes, serialised with orjson."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from app.services import Page
from app.settings import base_url


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def item(data: Any, status: int = 200) -> JSON:
    return JSON({"data": data}, status_code=status)


def pagination(request: Request, page: Page) -> dict[str, Any]:
    """Fractal's paginator: links carry only `page`, on the request path without its query. The scheme and
    host are the configured APP_URL, never the request's Host header (a forged Host cannot plant links)."""
    base = base_url() + request.url.path
    links: dict[str, str] = {}
    if page.page > 1:
        links["previous"] = f"{base}?page={page.page - 1}"
    if page.page < page.total_pages:
        links["next"] = f"{base}?page={page.page + 1}"
    return {
        "total": page.total,
        "count": len(page.items),
        "per_page": page.per_page,
        "current_page": page.page,
        "total_pages": page.total_pages,
        "links": links,
    }


def collection(request: Request, page: Page) -> JSON:
    return JSON({"data": page.data, "meta": {"pagination": pagination(request, page)}})


def message(text: str, status: int = 200) -> JSON:
    return JSON({"message": text}, status_code=status)
