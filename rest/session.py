"""Login, refresh, logout, ping, health check, statics, companies: the routes around the entities."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import ids
from app.errors import Invalid, Unauthorized
from app.services import system
from app.services.accounts import company_admin, logo, sessions, throttle
from app.settings import active

from .endpoints import principal
from .params import merged, read_body, read_body_with_files
from .responses import JSON, item

LOGO_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def _client_ip(request: Request) -> str:
    # X-Forwarded-For is not trusted: behind a proxy, run uvicorn with --proxy-headers.
    return request.client.host if request.client else ""


def _plain_text(value: str) -> bool:
    """Text PostgreSQL can compare: no NUL, no lone surrogates."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


async def precheck(request: Request) -> Response:
    body, _ = await read_body(request)
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        raise Invalid({"email": ["The email field is required."]})
    return JSON({"methods": ["password"], "secret_required": bool(active().api_secret)})


async def login(request: Request) -> Response:
    body, _ = await read_body(request)
    email, password = body.get("email"), body.get("password")
    errors = {}
    if not isinstance(email, str) or not email.strip():
        errors["email"] = ["The email field is required."]
    elif not _plain_text(email) or len(email.strip()) > 191:
        errors["email"] = ["The email must be a valid email address."]
    if not isinstance(password, str) or not password:
        errors["password"] = ["The password field is required."]
    elif len(password) > 1000:
        errors["password"] = ["The password may not be greater than 1000 characters."]
    if errors:
        raise Invalid(errors)
    assert isinstance(email, str) and isinstance(password, str)
    db, settings = request.app.state.db, active()
    key = f"login:{email.strip().lower()}|{_client_ip(request)}"
    # The attempt is counted before the password is checked, so concurrent guesses cannot all pass a
    # count that none of them has raised yet; only a failure keeps its slot.
    window = await throttle.reserve(db, key, settings.login_attempts, settings.login_window_seconds)
    try:
        data = await sessions.login(db, email.strip(), password)
    except Unauthorized:
        raise
    except Exception:
        await throttle.release(db, key, window)
        raise
    await throttle.release(db, key, window)
    return company_users_response(data)


def company_users_response(data: list[dict[str, Any]]) -> Response:
    """Upstream's paginated list of company users (login, refresh, POST /companies)."""
    total = len(data)
    return JSON(
        {
            "data": data,
            "meta": {
                "pagination": {
                    "total": total,
                    "count": total,
                    "per_page": max(total, 20),
                    "current_page": 1,
                    "total_pages": 1,
                    "links": {},
                }
            },
        }
    )


async def refresh(request: Request) -> Response:
    current_only = merged(request).get("current_company", "").lower() == "true"
    data = await sessions.refresh(request.app.state.db, principal(request), current_only)
    return company_users_response(data)


async def logout(request: Request) -> Response:
    await sessions.logout(
        request.app.state.db, principal(request), request.headers.get("x-api-token", ""), request.app.state.tokens
    )
    return JSON({"message": "Token revoked"})


async def ping(request: Request) -> Response:
    return JSON(await sessions.ping(request.app.state.db, principal(request)))


async def health_check(request: Request) -> Response:
    """Real checks: the database answers and the schema is at the version this code expects."""
    healthy, body = await system.health(request.app.state.db)
    return JSON(body, status_code=200 if healthy else 503)


async def statics(request: Request) -> Response:
    return Response(system.STATICS_JSON, media_type="application/json; charset=utf-8")


async def show_company(request: Request) -> Response:
    db = request.app.state.db
    company = await company_admin.show(db, principal(request), ids.decode(request.path_params["id"], "Company"))
    return item(company)


async def update_company(request: Request) -> Response:
    """The web app sends the logo here: multipart, `_method=PUT`, the file as `company_logo`."""
    body, documents, files = await read_body_with_files(request)
    company_id = ids.decode(request.path_params["id"], "Company")
    db, who = request.app.state.db, principal(request)
    company = await company_admin.update(db, who, company_id, body, files.get(logo.FIELD), documents)
    return item(company)


async def serve_logo(request: Request) -> Response:
    """A company's logo, public (an <img> in the web app or an e-mail sends no token): the URL changes with
    every new logo, so it may be cached for good; nosniff and a sandbox keep it an image."""
    found = await logo.serve(request.app.state.db, request.path_params["company"], request.path_params["name"])
    if found is None:
        return JSON({"message": "Logo not found", "errors": {}}, status_code=404)
    return Response(found, media_type=logo.CONTENT_TYPE, headers=LOGO_HEADERS)


ROUTES = [
    Route("/api/v1/login/precheck", precheck, methods=["POST"]),
    Route("/api/v1/login", login, methods=["POST"]),
    Route("/api/v1/refresh", refresh, methods=["POST"]),
    Route("/api/v1/logout", logout, methods=["POST"]),
    Route("/api/v1/ping", ping, methods=["GET"]),
    Route("/api/v1/health_check", health_check, methods=["GET"]),
    Route("/api/v1/statics", statics, methods=["GET"]),
    Route("/api/v1/companies/{id}", show_company, methods=["GET"]),
    Route("/api/v1/companies/{id}", update_company, methods=["PUT", "PATCH", "POST"]),
]
# Outside /api/v1, so outside the header contract: no token, no X-Requested-With.
PUBLIC_ROUTES = [Route(logo.URL_PREFIX + "/{company}/{name}", serve_logo, methods=["GET", "HEAD"])]
