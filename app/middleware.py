"""The header contract, as pure ASGI so it wraps /api/v1 and /graphql alike (and their errors).

Order: CORS preflight -> X-Requested-With -> X-API-SECRET -> Content-Type -> X-API-TOKEN. Every
response, errors included, carries X-APP-VERSION, X-MINIMUM-CLIENT-VERSION and the CORS headers.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import orjson

from . import APP_VERSION, MINIMUM_CLIENT_VERSION, bodies
from .auth import TokenCache, authenticate
from .db import Db
from .errors import AppError, Forbidden, UnsupportedMediaType
from .settings import Settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("lightninja")

ALLOW_HEADERS = (
    "X-API-COMPANY-KEY,X-API-SECRET,X-API-TOKEN,X-API-PASSWORD,DNT,X-React,X-API-PASSWORD-BASE64,"
    "User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,"
    "Content-Disposition,Range,X-CSRF-TOKEN,X-XSRF-TOKEN,X-LIVEWIRE,Idempotency-Key,"
    "X-HTTP-Method-Override"
)
PREFLIGHT_HEADERS = "X-CLIENT-PLATFORM,X-CLIENT-VERSION," + ALLOW_HEADERS
# Routes reached without a token (they authenticate by other means or need none).
PRECHECK_PATH = "/api/v1/login/precheck"
PUBLIC_PATHS = frozenset({"/api/v1/login", PRECHECK_PATH})
BODY_TYPES = (b"application/json", b"multipart/form-data")
# The PHP SDK's bodies (http_build_query): REST only; GraphQL takes JSON (and multipart) as before.
FORM_TYPE = b"application/x-www-form-urlencoded"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _guarded(path: str) -> bool:
    return path.startswith("/api/") or path == "/graphql" or path.startswith("/graphql/")


class HeaderContract:
    def __init__(self, app: ASGIApp, settings: Settings, db: Db, tokens: TokenCache) -> None:
        self.app = app
        self.settings = settings
        self.db = db
        self.tokens = tokens
        origin = settings.cors_origins.encode()
        self.common = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", b"GET, POST, PUT, PATCH, DELETE, OPTIONS"),
            (b"access-control-allow-headers", ALLOW_HEADERS.encode()),
            (
                b"access-control-expose-headers",
                b"X-APP-VERSION,X-MINIMUM-CLIENT-VERSION,Content-Disposition,Retry-After",
            ),
            (b"x-app-version", APP_VERSION.encode()),
            (b"x-minimum-client-version", MINIMUM_CLIENT_VERSION.encode()),
        ]
        self.secret = settings.api_secret.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        common = self.common
        started = False

        async def send_with_headers(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                own = list(message.get("headers", ()))
                present = {k.lower() for k, _ in own}
                # one value per header: a route's own CORS/version header wins over the defaults
                message["headers"] = [*own, *((k, v) for k, v in common if k not in present)]
            await send(message)

        if scope["method"] == "OPTIONS":
            await self._preflight(send)
            return
        path = scope["path"]
        try:
            await self._guard(scope, receive, send_with_headers)
        except AppError as exc:  # raised outside the routes (the idempotency layer's statements: a 503)
            if started:
                raise
            await respond(send_with_headers, exc.status, exc.body(), exc.headers)
        except Exception:  # masked: the detail goes to the log, never to the client
            log.exception("unhandled error on %s %s", scope["method"], path)
            if started:
                raise
            await respond(send_with_headers, 500, {"message": "Server Error", "errors": {}})

    async def _guard(self, scope: Scope, receive: Receive, send_with_headers: Send) -> None:
        """Headers, then the token (a connection only for the lookup, returned at once), then the whole
        body (no connection held while a client sends it), then the app with one lazily taken connection
        that goes back to the pool as soon as the response starts (none held while a client reads it)."""
        path = scope["path"]
        if not _guarded(path):
            await self.app(scope, receive, send_with_headers)
            return
        headers = dict(scope["headers"])
        body = None
        try:
            self._check_headers(scope, headers)
            if path not in PUBLIC_PATHS:
                token = headers.get(b"x-api-token", b"").decode("latin-1")
                scope["principal"] = await authenticate(self.db, token, self.tokens)
            if scope["method"] in BODY_METHODS and _has_body(headers):
                body = await self._receive_body(receive, headers)
                if body is None:  # the client went away mid-body: nobody to answer
                    return
        except AppError as exc:
            await respond(send_with_headers, exc.status, _envelope(path, exc), exc.headers)
            return
        if body is not None:
            scope[bodies.SCOPE_KEY] = body
            receive = body.receive(receive)

        async def send_releasing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                await self.db.hand_back()
            await send_with_headers(message)

        try:
            async with self.db.session():
                await self.app(scope, receive, send_releasing)
        finally:
            if body is not None:
                body.close()

    async def _receive_body(self, receive: Receive, headers: dict[bytes, bytes]) -> bodies.Body | None:
        settings = self.settings
        multipart = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = settings.max_body_bytes if multipart else settings.max_json_bytes
        length = headers.get(b"content-length", b"").strip()
        if length.isdigit() and int(length) > limit:
            raise bodies.too_large(limit)
        return await bodies.receive_body(receive, limit, settings.body_timeout, settings.body_idle_timeout)

    def _check_headers(self, scope: Scope, headers: dict[bytes, bytes]) -> None:
        if self.settings.require_x_requested_with and headers.get(b"x-requested-with") != b"XMLHttpRequest":
            raise Forbidden("Missing or invalid X-Requested-With header")
        # precheck only says whether a secret is needed: the web app must reach it to show the field.
        if (
            self.secret
            and scope["path"] != PRECHECK_PATH
            and not hmac.compare_digest(headers.get(b"x-api-secret", b""), self.secret)
        ):
            # X-App-Version and X-Minimum-Client-Version come with every response (self.common)
            raise Forbidden("Invalid secret")
        method = scope["method"]
        if method == "POST":
            override = headers.get(b"x-http-method-override", b"").upper()
            if not override and b"_method=" in scope.get("query_string", b""):
                override = parse_qs(scope["query_string"].decode("latin-1")).get("_method", [""])[0].upper().encode()
            if override in (b"PUT", b"PATCH", b"DELETE"):
                scope["method"] = method = override.decode()
        if method in BODY_METHODS and _has_body(headers):
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            rest = scope["path"].startswith("/api/")
            if ctype not in BODY_TYPES and not (rest and ctype == FORM_TYPE):
                shown = ctype.decode("latin-1")[:100] or "none"
                accepted = "application/json, application/x-www-form-urlencoded" if rest else "application/json"
                raise UnsupportedMediaType(f"Unsupported Content-Type {shown}: send {accepted} or multipart/form-data")

    async def _preflight(self, send: Send) -> None:
        headers = [(k, v) for k, v in self.common if k != b"access-control-allow-headers"]
        headers += [
            (b"access-control-allow-headers", PREFLIGHT_HEADERS.encode()),
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", b"2"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"OK"})


def _envelope(path: str, exc: AppError) -> dict[str, Any]:
    """GraphQL clients get a body refused (413, 408) in GraphQL's error shape; the rest get the REST one."""
    if path.startswith("/graphql") and exc.status in (408, 413):
        return {
            "data": None,
            "errors": [{"message": exc.message, "extensions": {"code": exc.code, "status": exc.status, "errors": {}}}],
        }
    return exc.body()


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"0", b"")
    return b"chunked" in headers.get(b"transfer-encoding", b"").lower()


async def respond(send: Send, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
    payload = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
