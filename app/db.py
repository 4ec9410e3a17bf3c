"""The only module that touches `databases` and asyncpg.

`databases` builds and closes the asyncpg pool; this module owns everything between: which connection a
request holds, transactions and savepoints, and what happens when a connection dies. That lifecycle is ours
because a killed backend must never cost a pool slot: every lease ends in `pool.release` (asyncpg terminates
and replaces a broken connection there), a rollback on a dead connection is not an error of its own, and
waiting for a free connection is bounded (`Unavailable`, a 503 with Retry-After, instead of a hang).

A request's statements share one lease, taken lazily at the first statement and handed back as soon as the
response starts (`hand_back`), so no connection waits on a slow client. Statements go straight to asyncpg
with `$n` parameters: asyncpg prepares and caches them.

`force_rollback` (tests) runs everything on one connection inside a transaction that is never committed;
transactions inside it are savepoints.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import databases
import orjson

from .errors import Unavailable

Record = asyncpg.Record
if TYPE_CHECKING:  # what a lease holds: a pooled connection (generic only in the stubs)
    Connection = asyncpg.pool.PoolConnectionProxy[Record]
log = logging.getLogger("lightninja")
T = TypeVar("T")

# Errors that mean "the connection or the server is gone", not "the statement is wrong".
LOST = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncio.TimeoutError,
)
RELEASE_TIMEOUT = 2.0


class NoRow(LookupError):
    """A statement that must return a row (`Db.fetchrow_one`) returned none: a broken invariant, not a 404."""


def split_socket_host(url: str) -> tuple[str, dict[str, Any]]:
    """`postgresql://u@/db?host=/run/sock` -> (url without host, {"host": "/run/sock"}).

    asyncpg understands a socket directory in `host=`, but `databases` only forwards the URL's netloc.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    options: dict[str, Any] = {}
    if "host" in query:
        options["host"] = query.pop("host")
    return urlunsplit(parts._replace(query=urlencode(query))), options


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb in and out as Python objects, encoded by orjson.
    for kind in ("jsonb", "json"):
        await conn.set_type_codec(
            kind, encoder=lambda v: orjson.dumps(v, default=float).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


async def _reset(conn: asyncpg.Connection) -> None:
    """What the pool runs when a connection comes back. The app keeps no session state (no SET, LISTEN,
    prepared cursors or session advisory locks: only transaction-scoped ones), so instead of asyncpg's
    RESET ALL / UNLISTEN / CLOSE ALL round trip on every release, only a stray transaction is ended."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class _Lease:
    """The connection one unit of work (a request, a CLI command) holds, with its transaction depth.
    Tasks spawned inside it (GraphQL resolvers run concurrently) share it; `lock` keeps asyncpg to one
    statement at a time. `broken` marks a transaction whose connection died: its statements fail until
    the outermost transaction has ended, instead of silently going on outside it."""

    __slots__ = ("conn", "lock", "depth", "broken")

    def __init__(self, conn: Connection | None = None, depth: int = 0) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()
        self.depth = depth
        self.broken = False


class Db:
    def __init__(
        self,
        url: str,
        *,
        force_rollback: bool = False,
        min_size: int = 2,
        max_size: int = 10,
        acquire_timeout: float = 2.0,
        close_timeout: float = 5.0,
    ) -> None:
        clean_url, options = split_socket_host(url)
        options.update(
            min_size=min_size, max_size=max_size, init=_init_connection, reset=_reset, statement_cache_size=1024
        )
        self.url = url
        self.database = databases.Database(clean_url, **options)
        self.force_rollback = force_rollback
        self.acquire_timeout = acquire_timeout
        self.close_timeout = close_timeout
        self.queries = 0  # statements sent; tests read it to prove a constant query count
        self._pool: asyncpg.Pool | None = None
        self._shared: _Lease | None = None  # the one connection of force_rollback mode
        self._current: ContextVar[_Lease | None] = ContextVar(f"lease-{id(self)}", default=None)

    async def connect(self) -> None:
        await self.database.connect()
        # databases 0.9 keeps the asyncpg pool it built on its backend; only its creation is borrowed.
        self._pool = self.database._backend._pool
        if self.force_rollback:
            conn = await self._acquire()
            await conn.execute("BEGIN")
            self._shared = _Lease(conn, depth=1)

    async def disconnect(self) -> None:
        """Bounded: connections still out after `close_timeout` are terminated, so shutdown never hangs."""
        pool = self._pool
        if pool is None:
            return
        shared, self._shared = self._shared, None
        if shared is not None and shared.conn is not None:
            if not shared.conn.is_closed():
                try:
                    await shared.conn.execute("ROLLBACK")  # the test's changes are never kept
                except Exception:
                    shared.conn.terminate()
            await self._give_back(shared.conn)
        try:
            await asyncio.wait_for(pool.close(), self.close_timeout)
        except (TimeoutError, Exception):
            pool.terminate()
        await self.database.disconnect()
        self._pool = None

    # -- leases ---------------------------------------------------------------------------------------

    async def _acquire(self) -> Connection:
        assert self._pool is not None, "Db.connect() first"
        try:
            return await self._pool.acquire(timeout=self.acquire_timeout)
        except TimeoutError:
            raise Unavailable() from None
        except LOST as exc:  # the server refuses or is unreachable (a restart): a retry will do
            raise Unavailable() from exc

    async def _give_back(self, conn: Connection) -> None:
        """Return `conn` to the pool whatever state it is in; asyncpg replaces a dead one."""
        assert self._pool is not None
        try:
            await self._pool.release(conn, timeout=RELEASE_TIMEOUT)
        except Exception:  # a reset that failed or timed out: asyncpg has terminated it, make sure
            conn.terminate()
            log.warning("a database connection was discarded on release", exc_info=True)
        except BaseException:
            conn.terminate()  # the pool gets the slot back through the termination
            raise

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """One lease for a whole request (or any unit of work), taken at its first statement."""
        if self._shared is not None or self._current.get() is not None:
            yield
            return
        lease = _Lease()
        token = self._current.set(lease)
        try:
            yield
        finally:
            self._current.reset(token)
            if lease.conn is not None:
                conn, lease.conn = lease.conn, None
                await self._give_back(conn)

    async def hand_back(self) -> None:
        """Return the current lease's connection early (the response is starting); a later statement of the
        same session takes a new one. Inside a transaction nothing is handed back."""
        lease = self._current.get()
        if lease is None or lease.depth or lease.conn is None:
            return
        async with lease.lock:
            conn, lease.conn = lease.conn, None
            if conn is not None:
                await self._give_back(conn)

    async def _connection(self, lease: _Lease) -> Connection:
        """The lease's connection (called under its lock), replaced when it died outside a transaction."""
        if lease.broken:
            raise Unavailable()
        conn = lease.conn
        if conn is not None and conn.is_closed() and lease.depth == 0 and lease is not self._shared:
            lease.conn = None
            await self._give_back(conn)
            conn = None
        if conn is None:
            conn = lease.conn = await self._acquire()
        return conn

    def _lost(self, lease: _Lease | None, conn: Connection, exc: BaseException) -> bool:
        if not (isinstance(exc, LOST) or conn.is_closed()):
            return False
        if lease is not None and lease.depth:
            lease.broken = True
        return True

    async def _run(self, call: Callable[[Connection], Awaitable[T]]) -> T:
        """`call` on this unit of work's connection (or one leased for it alone), a lost one made `Unavailable`."""
        lease = self._shared or self._current.get()
        if lease is None:  # no session: a lease for this one statement
            conn = await self._acquire()
            try:
                return await call(conn)
            except Exception as exc:
                if self._lost(None, conn, exc):
                    raise Unavailable() from exc
                raise
            finally:
                await self._give_back(conn)
        async with lease.lock:
            conn = await self._connection(lease)
            try:
                return await call(conn)
            except Exception as exc:
                if self._lost(lease, conn, exc):
                    raise Unavailable() from exc
                raise

    async def _execute(self, sql: str, *args: Any) -> str:
        return await self._run(lambda conn: conn.execute(sql, *args))

    # -- transactions ---------------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A transaction on this unit of work's lease; nested calls become savepoints."""
        lease = self._shared or self._current.get()
        if lease is None:
            async with self.session(), self.transaction():
                yield
            return
        depth = lease.depth
        await self._execute("BEGIN" if depth == 0 else f"SAVEPOINT s{depth}")
        lease.depth = depth + 1
        try:
            yield
        except BaseException:
            lease.depth = depth
            await self._undo(lease, depth)
            raise
        lease.depth = depth
        try:
            await self._execute("COMMIT" if depth == 0 else f"RELEASE SAVEPOINT s{depth}")
        finally:
            if depth == 0:
                lease.broken = False

    async def _undo(self, lease: _Lease, depth: int) -> None:
        """Roll back to where `depth` began. On a connection that died the server has already rolled
        back: the failure that got us here is the one worth raising, so this one is swallowed."""
        try:
            if not lease.broken:
                await self._execute("ROLLBACK" if depth == 0 else f"ROLLBACK TO SAVEPOINT s{depth}")
        except Exception:
            lease.broken = bool(depth)
            conn = lease.conn
            if conn is not None and not conn.is_closed():
                conn.terminate()  # never hand a connection back in an unknown transaction state
        finally:
            if depth == 0:
                lease.broken = False

    # -- statements -----------------------------------------------------------------------------------

    async def fetch(self, sql: str, *args: Any) -> list[Record]:
        self.queries += 1
        return await self._run(lambda conn: conn.fetch(sql, *args))

    async def fetchrow(self, sql: str, *args: Any) -> Record | None:
        self.queries += 1
        return await self._run(lambda conn: conn.fetchrow(sql, *args))

    async def fetchrow_one(self, sql: str, *args: Any) -> Record:
        """`fetchrow` for a statement that always returns a row (INSERT ... RETURNING, a row already locked
        or known to exist): no row raises `NoRow` instead of handing `None` to code that indexes it."""
        row = await self.fetchrow(sql, *args)
        if row is None:
            raise NoRow(f"no row for: {sql}")
        return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.queries += 1
        return await self._run(lambda conn: conn.fetchval(sql, *args))

    async def execute(self, sql: str, *args: Any) -> str:
        self.queries += 1
        return await self._execute(sql, *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.queries += 1
        await self._run(lambda conn: conn.executemany(sql, rows))

    async def script(self, sql: str) -> None:
        """Run a multi-statement script (schema, migrations): simple protocol, no parameters."""
        await self._execute(sql)
