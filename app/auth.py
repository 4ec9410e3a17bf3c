"""Who is calling: an API token resolved to (company, user) and what that user may do."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass

import bcrypt

from .db import Db
from .errors import Forbidden

TOKEN_SQL = """
SELECT t.id AS token_id, t.company_id, t.user_id, t.account_id, cu.is_admin, cu.is_owner, cu.is_locked,
       cu.permissions, (u.is_deleted OR u.deleted_at IS NOT NULL) AS user_inactive
FROM company_tokens t
JOIN users u ON u.id = t.user_id
JOIN company_users cu ON cu.company_id = t.company_id AND cu.user_id = t.user_id AND cu.deleted_at IS NULL
JOIN companies c ON c.id = t.company_id
WHERE t.token_hash = $1 AND t.deleted_at IS NULL AND NOT t.is_deleted AND NOT c.is_deleted
"""


@dataclass(frozen=True, slots=True)
class Principal:
    company_id: int
    user_id: int
    account_id: int
    token_id: int
    is_admin: bool
    is_owner: bool
    permissions: frozenset[str]

    @property
    def is_superuser(self) -> bool:
        """Upstream's isSuperUser: the admin gates of users, tokens and companies open to either flag."""
        return self.is_admin or self.is_owner

    def can(self, action: str, entity: str) -> bool:
        """Upstream's User::hasPermission, matched on whole comma-separated names (never substrings):
        admins and owners may do everything; others need `<action>_<entity>` or `<action>_all`, and
        `edit_<entity>` or `edit_all` also grant the view. A few entities keep upstream's own policies:
        some are created by admins only, some with `create_all` only, some are visible to every member."""
        if self.is_admin or self.is_owner:
            return True
        if action == "view" and entity in VISIBLE_TO_MEMBERS:
            return True
        if action == "create" and entity in ADMIN_CREATES:
            return False
        granted = self.permissions
        if action == "create" and entity in CREATE_ALL_ONLY:
            return "create_all" in granted
        if f"{action}_{entity}" in granted or f"{action}_all" in granted:
            return True
        return action == "view" and (f"edit_{entity}" in granted or "edit_all" in granted)


# Upstream's policies that differ from the plain `<action>_<entity>` rule (app/Policies/*).
ADMIN_CREATES = frozenset(
    {
        "bank_integration",
        "bank_transaction_rule",
        "company_gateway",
        "group_setting",
        "task_scheduler",
        "tax_rate",
        "webhook",
        "company_token",
        "user",
        "client_gateway_token",
    }
)
CREATE_ALL_ONLY = frozenset({"design", "document", "payment_term", "task_status"})
# Lists upstream never narrows (designs, group settings, payment terms, task statuses): every member needs them.
VISIBLE_TO_MEMBERS = frozenset({"design", "group_setting", "payment_term", "task_status"})


def parse_permissions(stored: str) -> frozenset[str]:
    """The stored comma list (the web app's form; a JSON-array string is read the same way)."""
    cleaned = stored.strip().lstrip("[").rstrip("]")
    return frozenset(p.strip().strip('"').strip().lower() for p in cleaned.split(",") if p.strip().strip('"').strip())


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def new_token() -> str:
    """64 alphanumeric characters, like upstream's Str::random(64)."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(64))


def random_key(length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8", "surrogatepass"), bcrypt.gensalt(rounds=10)).decode()


def check_password(password: str, hashed: str) -> bool:
    if not hashed:
        return False
    try:
        return bcrypt.checkpw(password.encode("utf-8", "surrogatepass"), hashed.encode())
    except ValueError:
        return False


# The password a request offers for a password-protected action (X-API-PASSWORD, or X-API-PASSWORD-BASE64,
# which wins when both are sent), set by app.middleware for the request's task, read by the services that
# confirm it (app.services.accounts.passwords). None: no header was sent.
OFFERED_PASSWORD: ContextVar[str | None] = ContextVar("offered_password", default=None)


def offered_password(headers: dict[bytes, bytes]) -> str | None:
    encoded = headers.get(b"x-api-password-base64")
    if encoded:
        try:
            return base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""  # present but unreadable: a wrong password, never "none given"
    plain = headers.get(b"x-api-password")
    if plain is None:
        return None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        return ""


# A dummy hash so an unknown e-mail costs the same bcrypt work as a wrong password.
DUMMY_HASH = bcrypt.hashpw(b"lightninja", bcrypt.gensalt(rounds=10)).decode()


class TokenCache:
    """Per-process memo of resolved tokens, for `ttl` seconds at most.

    Revocations reach it as notifications (app.revocation), so it is only trusted while that listener
    vouches for it: `trust(until)` after each proof that the listener is alive, `distrust()` when it is
    lost. Untrusted, the cache neither answers nor stores, so a missed notification cannot keep a revoked
    token alive. Every eviction bumps `epoch`: a lookup that read the database before an eviction does not
    store its (possibly revoked) answer after it.
    """

    def __init__(self, ttl: float, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self.epoch = 0
        self._trusted_until = 0.0
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    @property
    def trusted(self) -> bool:
        return self.ttl > 0 and time.monotonic() < self._trusted_until

    def trust(self, until: float) -> None:
        """Serve from the cache until monotonic time `until`, unless told otherwise."""
        self._trusted_until = until

    def distrust(self) -> None:
        self._trusted_until = 0.0
        self.forget()

    def get(self, key: bytes) -> Principal | None:
        if not self.trusted:
            return None
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def put(self, key: bytes, principal: Principal, epoch: int) -> None:
        """Store what was read from the database while `epoch` was current."""
        if epoch != self.epoch or not self.trusted:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self.ttl, principal)

    def forget(self, key: bytes | None = None) -> None:
        """Evict one token, or everything."""
        self.epoch += 1
        if key is None:
            self._entries.clear()
        else:
            self._entries.pop(key, None)

    def forget_user(self, user_id: int) -> None:
        """Evict every token of a user (their membership, rights or account changed)."""
        self.epoch += 1
        for key in [k for k, (_, p) in self._entries.items() if p.user_id == user_id]:
            del self._entries[key]


async def authenticate(db: Db, token: str, cache: TokenCache) -> Principal:
    """Resolve X-API-TOKEN or raise upstream's 403s: Invalid token / User inactive / User access locked."""
    if not token or len(token) > 128:
        raise Forbidden("Invalid token")
    key = digest(token)
    principal = cache.get(key)
    if principal is not None:
        return principal
    epoch = cache.epoch
    row = await db.fetchrow(TOKEN_SQL, key)
    if row is None:
        raise Forbidden("Invalid token")
    if row["user_inactive"]:
        raise Forbidden("User inactive")
    if row["is_locked"]:
        raise Forbidden("User access locked")
    principal = Principal(
        company_id=row["company_id"],
        user_id=row["user_id"],
        account_id=row["account_id"],
        token_id=row["token_id"],
        is_admin=row["is_admin"],
        is_owner=row["is_owner"],
        permissions=parse_permissions(row["permissions"]),
    )
    cache.put(key, principal, epoch)
    return principal
