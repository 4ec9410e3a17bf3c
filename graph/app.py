"""The ASGI GraphQL view mounted at /graphql (behind app.middleware, which has already checked the headers
and put the caller's Principal in the scope). JSON out through orjson; JSON in with exact decimals and a
size limit, as REST bodies."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from app.errors import AppError
from app.settings import Settings

from .context import Context
from .schema import build_schema


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def error_response(message: str, status: int, code: str) -> Response:
    """A request refused before execution, in the shape of a GraphQL error."""
    body = {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": code, "status": status, "errors": {}}}],
    }
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


class GraphQLApp(GraphQL[Context, None]):
    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(request.scope["principal"], request.app.state.db)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data, default=_default)

    def decode_json(self, data: str | bytes) -> object:
        """A body nested too deeply or with an integer too long to read is malformed JSON (strawberry's 400)
        like any other, not an exception strawberry does not expect."""
        try:
            return json.loads(data, parse_float=Decimal, parse_constant=_reject_constant)
        except (RecursionError, ValueError) as exc:
            raise json.JSONDecodeError(str(exc)[:120], "", 0) from None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP only (no websockets). A request strawberry refuses (bad JSON, a batch, a mutation over GET)
        answers with a GraphQL error body instead of plain text."""
        if scope["type"] != "http":
            return
        # the header contract has received the body already, within the size limit (app.bodies)
        request = Request(scope, receive)
        try:
            response = await self.run(request)
        except AppError as exc:
            response = error_response(exc.message, exc.status, exc.code)
        except HTTPException as exc:
            response = error_response(
                exc.reason, exc.status_code, "bad_request" if exc.status_code == 400 else "http_error"
            )
        await response(scope, receive, send)


def build(settings: Settings) -> GraphQLApp:
    schema = build_schema(
        settings.graphql_max_depth,
        settings.graphql_max_aliases,
        settings.graphql_max_tokens,
        settings.graphql_introspection,
    )
    return GraphQLApp(
        schema,
        allow_queries_via_get=True,
        multipart_uploads_enabled=False,
        graphql_ide="graphiql" if settings.graphql_introspection else None,
    )
