"""Password confirmation of destructive actions (upstream's PasswordProtection middleware): the caller's own
password in `X-API-PASSWORD`, or base64-encoded in `X-API-PASSWORD-BASE64` (which wins when both are sent).
Anything else is upstream's 412 `{"message": "Invalid Password", "errors": {}}`. Upstream also lets a user
through without the header for a while after a login; tokens here carry no such window, so the header is
always needed. Wrong passwords are counted per user like login attempts, so a token cannot be used to guess
its owner's password."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping

from ...auth import Principal, check_password
from ...db import Db
from ...errors import PreconditionFailed
from ...settings import active
from . import throttle

INVALID = "Invalid Password"


def _sent(headers: Mapping[str, str]) -> str:
    encoded = headers.get("x-api-password-base64")
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
    return headers.get("x-api-password", "")


async def confirm(db: Db, who: Principal, headers: Mapping[str, str]) -> None:
    """Pass when the headers carry the caller's password; else 412 (429 once too many were wrong)."""
    password = _sent(headers)
    if not password or len(password) > 1000:
        raise PreconditionFailed(INVALID)
    settings = active()
    key = f"password:{who.user_id}"
    window = await throttle.reserve(db, key, settings.login_attempts, settings.login_window_seconds)
    hashed = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", who.user_id)
    if not hashed or not check_password(password, hashed):
        raise PreconditionFailed(INVALID)
    await throttle.release(db, key, window)
