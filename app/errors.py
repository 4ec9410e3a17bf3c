"""Errors carry their HTTP status; each edge renders them in its own envelope."""

from __future__ import annotations

from typing import Any, ClassVar


class AppError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(
        self, message: str, errors: dict[str, list[str]] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, Any] = errors or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "errors": self.errors}


class BadRequest(AppError):
    status = 400
    code = "bad_request"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class RequestTimeout(AppError):
    status = 408
    code = "request_timeout"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"


class Unavailable(AppError):
    """503: the database is out of reach for now (pool exhausted, connection lost); worth a retry."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str = "Server busy", retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Invalid(AppError):
    """422 with per-field messages, the envelope every Invoice Ninja client parses."""

    status = 422
    code = "invalid"

    def __init__(self, errors: dict[str, list[str]], message: str = "The given data was invalid.") -> None:
        super().__init__(message, errors)


def invalid(field: str, message: str) -> Invalid:
    return Invalid({field: [message]})


class PreconditionFailed(AppError):
    """412: a password-protected action without the user's valid password (upstream's PasswordProtection)."""

    status = 412
    code = "precondition_failed"
