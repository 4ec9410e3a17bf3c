"""Errors as GraphQL errors: an AppError keeps its message and carries `extensions {code, status, errors}`
(the REST status and 422 field errors); any other exception a resolver raises is logged and masked as
"Server Error" (status 500). Errors of the GraphQL layer itself (syntax, validation, limits, variable
coercion) pass through unchanged: they carry no internals. A literal a scalar could not read while the
document was validated (Python's ValueError, e.g. an Int of 5,000 digits) is the client's 400, in words
of our own rather than Python's.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from app.errors import AppError

log = logging.getLogger("lightninja")

SERVER_ERROR = {"code": "server_error", "status": 500, "errors": {}}
UNREADABLE = "The value cannot be read as its type."


def _cause(error: GraphQLError) -> BaseException | None:
    """The innermost original error (variable coercion wraps a GraphQLError around another)."""
    cause: BaseException | None = error.original_error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return cause


def _rebuild(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def convert(error: GraphQLError) -> GraphQLError:
    cause = _cause(error)
    if isinstance(cause, AppError):
        return _rebuild(error, cause.message, {"code": cause.code, "status": cause.status, "errors": cause.errors})
    if cause is None or isinstance(cause, GraphQLError):
        return error
    if error.path is None and isinstance(cause, ValueError):  # no field ran: validation of a literal
        return _rebuild(error, UNREADABLE, {"code": "bad_request", "status": 400, "errors": {}})
    log.error(
        "unhandled error in GraphQL field %s",
        ".".join(map(str, error.path or ())) or "-",
        exc_info=(type(cause), cause, cause.__traceback__),
    )
    return _rebuild(error, "Server Error", dict(SERVER_ERROR))
