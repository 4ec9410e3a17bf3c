"""Idempotency-Key on writes (docs/decisions.md, Stripe semantics), as pure ASGI inside the header contract so
the caller's company is known.

The state lives in PostgreSQL (table idempotency_keys), so every worker sees the same keys:
- the first request with a key inserts a 'pending' row (INSERT ... ON CONFLICT DO NOTHING, committed at once:
  the request's own connection has no transaction open here), runs, then stores its response. 2xx and 4xx
  responses are stored, except 409 and 429 (transient); a 5xx, a crash or a transient answer deletes the row
  so a retry runs again;
- the same key with the same request replays the stored status, headers and body, plus `Idempotent-Replayed:
  true`; with another request (method, path, query, body or user) it is a 422; while the first is pending, 409;
- rows older than 24 h are ignored and purged opportunistically; a 'pending' row older than PENDING_STALE
  (a worker that died mid-request) no longer blocks its key.

JSON bodies are hashed in a canonical form (key order and whitespace do not matter); any other body (multipart
uploads) is hashed byte for byte. Requests without a principal (login) are not covered.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any

from . import bodies
from .bodies import Body
from .db import Db
from .errors import BadRequest
from .middleware import ASGIApp, Receive, Scope, Send, respond
from .settings import Settings

HEADER = b"idempotency-key"
METHODS = frozenset({"POST", "PUT", "PATCH"})
MAX_KEY = 255
KEEP = "24 hours"
PENDING_STALE = "10 minutes"
PURGE_CHANCE = 0.02  # share of new keys that also purge a batch of expired rows
PURGE_BATCH = 500
INVALID = "The given data was invalid."
DIFFERENT = "The Idempotency-Key was used with a different request."
BUSY = "A request with this Idempotency-Key is being processed."
NOT_STORED = frozenset({409, 429})

EXPIRE_SQL = (
    f"DELETE FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND (created_at < now() - "
    f"interval '{KEEP}' OR (status = 'pending' AND created_at < now() - interval '{PENDING_STALE}'))"
)
CLAIM_SQL = (
    "INSERT INTO idempotency_keys (company_id, key, request_hash) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING 1"
)
FOUND_SQL = (
    "SELECT request_hash, status, response_status, response_headers, response_body FROM idempotency_keys "
    "WHERE company_id = $1 AND key = $2"
)
STORE_SQL = (
    "UPDATE idempotency_keys SET status = 'done', response_status = $4, response_headers = $5, "
    "response_body = $6 WHERE company_id = $1 AND key = $2 AND request_hash = $3"
)
RELEASE_SQL = "DELETE FROM idempotency_keys WHERE company_id = $1 AND key = $2 AND request_hash = $3"
PURGE_SQL = (
    f"DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(SELECT ctid FROM idempotency_keys "
    f"WHERE created_at < now() - interval '{KEEP}' LIMIT {PURGE_BATCH}))"
)


def canonical(body: Body, content_type: bytes) -> bytes | None:
    """A JSON body in one canonical spelling (parsed once: the handler reuses the tree); None for anything
    else, or broken JSON, which is hashed as it came."""
    if not content_type.split(b";")[0].strip().lower().endswith(b"json") or not body.raw().strip():
        return None
    try:
        tree = body.json()
        return json.dumps(
            tree, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=lambda d: {"\x00d": str(d)}
        ).encode("utf-8")
    except (BadRequest, ValueError, RecursionError, TypeError):
        return None


def request_hash(scope: Scope, user_id: int, body: Body | None, content_type: bytes) -> bytes:
    h = hashlib.sha256()
    for part in (
        scope["method"].encode(),
        scope["path"].encode("utf-8", "surrogateescape"),
        scope.get("query_string", b""),
        str(user_id).encode(),
    ):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    spelled = canonical(body, content_type) if body is not None else b""
    if spelled is not None:
        h.update(len(spelled).to_bytes(8, "big"))
        h.update(spelled)
    else:  # byte for byte, in chunks: an upload is not copied into memory to be hashed
        assert body is not None
        h.update(body.size.to_bytes(8, "big"))
        body.digest_into(h)
    return h.digest()


class Idempotency:
    def __init__(self, app: ASGIApp, settings: Settings, db: Db) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get("principal")
        raw_key = dict(scope.get("headers", ())).get(HEADER) if scope["type"] == "http" else None
        if raw_key is None or principal is None or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > MAX_KEY or "\x00" in key:
            await respond(
                send,
                422,
                {
                    "message": INVALID,
                    "errors": {
                        "idempotency_key": [
                            f"The idempotency key may not be greater than {MAX_KEY} characters."
                            if len(key) > MAX_KEY
                            else "The idempotency key must not contain NUL characters."
                        ]
                    },
                },
            )
            return
        headers = dict(scope["headers"])
        digest = request_hash(scope, principal.user_id, bodies.of(scope), headers.get(b"content-type", b""))
        company = principal.company_id
        await self.db.execute(EXPIRE_SQL, company, key)
        claimed = await self.db.fetchval(CLAIM_SQL, company, key, digest)
        if claimed is None:
            await self._answer_existing(send, company, key, digest, scope, receive)
            return
        if random.random() < PURGE_CHANCE:
            await self.db.execute(PURGE_SQL)
        await self._run(scope, receive, send, company, key, digest)

    async def _answer_existing(
        self, send: Send, company: int, key: str, digest: bytes, scope: Scope, replay: Receive
    ) -> None:
        row = await self.db.fetchrow(FOUND_SQL, company, key)
        if row is None:  # released between our insert and read (the first request failed): run it now
            if await self.db.fetchval(CLAIM_SQL, company, key, digest) is not None:
                await self._run(scope, replay, send, company, key, digest)
                return
            row = await self.db.fetchrow(FOUND_SQL, company, key)
        if row is None or row["status"] == "pending":
            if row is not None and bytes(row["request_hash"]) != digest:
                await respond(send, 422, {"message": INVALID, "errors": {"idempotency_key": [DIFFERENT]}})
                return
            await respond(send, 409, {"message": BUSY, "errors": {}})
            return
        if bytes(row["request_hash"]) != digest:
            await respond(send, 422, {"message": INVALID, "errors": {"idempotency_key": [DIFFERENT]}})
            return
        stored = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in row["response_headers"]]
        stored.append((b"idempotent-replayed", b"true"))
        await send({"type": "http.response.start", "status": row["response_status"], "headers": stored})
        await send({"type": "http.response.body", "body": bytes(row["response_body"] or b"")})

    async def _run(self, scope: Scope, receive: Receive, send: Send, company: int, key: str, digest: bytes) -> None:
        start: dict[str, Any] = {}
        parts: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except BaseException:
            await self.db.execute(RELEASE_SQL, company, key, digest)
            raise
        status = int(start.get("status", 500))
        if status >= 500 or status < 200 or status in NOT_STORED:
            await self.db.execute(RELEASE_SQL, company, key, digest)
            return
        headers = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in start.get("headers", ())]
        await self.db.execute(STORE_SQL, company, key, digest, status, headers, b"".join(parts))
