"""Password confirmation for sensitive actions (upstream's password_protected middleware).

A request confirms the password with X-API-PASSWORD (or X-API-PASSWORD-BASE64). A confirmation is
remembered on the token it was made with for the company's `default_password_timeout` (milliseconds; 0
means for ever), and each protected action without a header inside that window restarts it, as upstream's
sliding cache does. A login counts as a confirmation. A wrong header fails even inside the window, and
wrong passwords are throttled per user like logins.
"""

from __future__ import annotations

from ...auth import OFFERED_PASSWORD, Principal, check_password
from ...db import Db
from ...errors import PreconditionFailed
from ...settings import active
from . import throttle

DEFAULT_TIMEOUT_MS = 1_800_000

STATE_SQL = """
SELECT u.password_hash,
       COALESCE((c.attributes->>'default_password_timeout')::bigint, $3) AS timeout_ms,
       t.password_confirmed_at IS NOT NULL AND (
           COALESCE((c.attributes->>'default_password_timeout')::bigint, $3) = 0
           OR t.password_confirmed_at > now() - make_interval(
               secs => COALESCE((c.attributes->>'default_password_timeout')::bigint, $3) / 1000.0)
       ) AS recent
FROM company_tokens t JOIN users u ON u.id = t.user_id JOIN companies c ON c.id = t.company_id
WHERE t.company_id = $1 AND t.id = $2
"""
REMEMBER_SQL = "UPDATE company_tokens SET password_confirmed_at = now() WHERE company_id = $1 AND id = $2"


async def confirm(db: Db, who: Principal) -> None:
    """Pass, or 412 {"message": "Invalid Password"}; a pass (re)starts the token's window."""
    offered = OFFERED_PASSWORD.get()
    state = await db.fetchrow(STATE_SQL, who.company_id, who.token_id, DEFAULT_TIMEOUT_MS)
    if state is None:
        raise PreconditionFailed("Invalid Password")
    if offered is None:
        if not state["recent"]:
            raise PreconditionFailed("Invalid Password")
    else:
        await _check(db, who, offered, state["password_hash"])
    await db.execute(REMEMBER_SQL, who.company_id, who.token_id)


async def _check(db: Db, who: Principal, offered: str, hashed: str) -> None:
    """Wrong passwords count like failed logins, per user, so a token cannot be used to guess its owner's
    password (the counter shared with the other password checks)."""
    if not offered or len(offered) > 1000:
        raise PreconditionFailed("Invalid Password")
    settings = active()
    key = f"password:{who.user_id}"
    window = await throttle.reserve(db, key, settings.login_attempts, settings.login_window_seconds)
    if not check_password(offered, hashed):
        raise PreconditionFailed("Invalid Password")
    await throttle.release(db, key, window)


async def still_confirmed(db: Db, who: Principal) -> bool:
    """POST /password_timeout: whether the token's confirmation window is open (no extension)."""
    state = await db.fetchrow(STATE_SQL, who.company_id, who.token_id, DEFAULT_TIMEOUT_MS)
    return bool(state and state["recent"])
