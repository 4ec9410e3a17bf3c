"""Token revocation across processes: PostgreSQL NOTIFY from whoever revokes, LISTEN in every process.

Each worker caches resolved tokens (auth.TokenCache). Whatever revokes a token, or changes what it resolves
to, announces it with `announce_*` on its own connection, inside its transaction when it has one, so
PostgreSQL delivers the notification exactly when the change commits (and never when it rolls back).

Each process keeps one dedicated connection, outside the pool, that LISTENs and evicts. The cache is
trusted only while that connection is proven alive: a heartbeat renews the trust for TRUST_SECONDS after
each answered ping (notifications sent before a ping arrive before its answer), and losing the connection
clears and disables the cache at once, until a new connection LISTENs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import asyncpg

from .auth import TokenCache
from .db import Db, split_socket_host

log = logging.getLogger("lightninja")

CHANNEL = "lightninja_token_revoked"
APPLICATION_NAME = "lightninja-revocation"
HEARTBEAT_SECONDS = 0.25
TRUST_SECONDS = 0.75  # a silently dead listener is noticed within this: under the one-second promise
PING_TIMEOUT_SECONDS = 2.0
RETRY_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.0)  # back-off between reconnection attempts
# Payloads: "t:<sha256 hex>" one token, "u:<user id>" every token of a user, "*" everything.
FLUSH = "*"


async def _announce(db: Db, payload: str) -> None:
    await db.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)


async def announce_token(db: Db, key: bytes) -> None:
    """The token with digest `key` was revoked."""
    await _announce(db, "t:" + key.hex())


async def announce_user(db: Db, user_id: int) -> None:
    """What the tokens of `user_id` resolve to changed (rights, membership, lock, account)."""
    await _announce(db, f"u:{user_id}")


async def announce_flush(db: Db) -> None:
    await _announce(db, FLUSH)


def evict(cache: TokenCache, payload: str) -> None:
    kind, _, value = payload.partition(":")
    try:
        if kind == "t":
            cache.forget(bytes.fromhex(value))
            return
        if kind == "u":
            cache.forget_user(int(value))
            return
    except ValueError:
        pass
    cache.forget()  # a flush, or a payload this version does not know: evicting everything is safe


def _dsn(url: str) -> tuple[str, dict[str, Any]]:
    clean, options = split_socket_host(url)
    scheme, sep, rest = clean.partition("://")
    return ("postgresql" + sep + rest if "+" in scheme else clean), options  # postgresql+asyncpg:// too


class Listener:
    """`async with Listener(db, cache):` keeps the LISTEN connection up (reconnecting) while the block runs.
    With no cache (ttl <= 0) there is nothing to evict and no connection is made."""

    def __init__(self, db: Db, cache: TokenCache) -> None:
        self.url = db.url
        self.cache = cache
        self.pid: int | None = None  # server process of the LISTEN connection while connected
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()  # set once the cache is first trusted
        self._served = False

    async def __aenter__(self) -> Listener:
        if self.cache.ttl > 0:
            self._task = asyncio.create_task(self._run())
            # The app starts even without the listener (the cache just stays off), but normally the first
            # connection is up before requests arrive.
            try:
                await asyncio.wait_for(self._listening.wait(), 5)
            except TimeoutError:
                log.warning("token revocation listener not connected yet; the token cache is off until it is")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        failures = 0
        try:
            while True:
                try:
                    await self._session()
                except Exception as exc:  # any failure means the same: cache off, reconnect
                    log.warning("token revocation listener lost (%s); the token cache is off", exc)
                self._lost()
                failures = 0 if self._served else failures + 1
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
        finally:
            self._lost()

    async def _session(self) -> None:
        """One connection's life: LISTEN, then ping until it fails."""
        self._served = False
        dsn, options = _dsn(self.url)
        conn = await asyncpg.connect(
            dsn,
            timeout=PING_TIMEOUT_SECONDS,
            statement_cache_size=0,
            server_settings={"application_name": APPLICATION_NAME},
            **options,
        )
        try:
            conn.add_termination_listener(lambda _conn: self._lost())
            await conn.add_listener(CHANNEL, self._on_notify)
            # Whatever was cached before this LISTEN may have missed a notification.
            self.cache.forget()
            self.pid = conn.get_server_pid()
            while True:
                started = time.monotonic()
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT_SECONDS)
                if conn.is_closed():  # lost while the answer was on its way: _lost() already ran
                    return
                self.cache.trust(started + TRUST_SECONDS)
                self._served = True
                self._listening.set()
                await asyncio.sleep(HEARTBEAT_SECONDS)
        finally:
            conn.terminate()

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        evict(self.cache, payload)

    def _lost(self) -> None:
        self.pid = None
        self.cache.distrust()
