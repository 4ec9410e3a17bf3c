"""The only module that touches `databases`.

`databases` owns the pool, task-local connections and transactions (with savepoints when nested, and
`force_rollback` for tests). Statements go straight to the asyncpg connection underneath with `$n`
parameters: asyncpg prepares and caches them, while `databases` would recompile every string through
SQLAlchemy first.
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import databases
import orjson

Record = asyncpg.Record


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
        await conn.set_type_codec(kind, encoder=lambda v: orjson.dumps(v, default=float).decode(),
                                  decoder=orjson.loads, schema="pg_catalog")


async def _release(conn: asyncpg.Connection) -> None:
    """What the pool runs when a connection comes back. The app keeps no session state (no SET, LISTEN,
    prepared cursors or session advisory locks: only transaction-scoped ones), so instead of asyncpg's
    RESET ALL / UNLISTEN / CLOSE ALL round trip on every release, only a stray transaction is ended."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class Db:
    def __init__(self, url: str, *, force_rollback: bool = False, min_size: int = 2, max_size: int = 10) -> None:
        clean_url, options = split_socket_host(url)
        options.update(min_size=min_size, max_size=max_size, init=_init_connection, reset=_release,
                       statement_cache_size=1024)
        self.url = url
        self.database = databases.Database(clean_url, force_rollback=force_rollback, **options)
        self.queries = 0  # statements sent; tests read it to prove a constant query count

    async def connect(self) -> None:
        await self.database.connect()

    async def disconnect(self) -> None:
        await self.database.disconnect()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        """Hold one pooled connection for a whole request, so its statements don't re-acquire."""
        async with self.database.connection():
            yield

    @asynccontextmanager
    async def raw(self) -> AsyncIterator[asyncpg.Connection]:
        """The asyncpg connection of this task, serialised with `databases`' own per-connection lock
        (tests share one connection across tasks, and asyncpg allows one statement at a time)."""
        async with self.database.connection() as conn:
            async with conn._query_lock:  # noqa: SLF001 - the lock databases itself uses per query
                yield conn.raw_connection

    def transaction(self) -> Any:
        """A transaction on this task's connection; nested calls become savepoints."""
        return self.database.transaction()

    async def fetch(self, sql: str, *args: Any) -> list[Record]:
        self.queries += 1
        async with self.raw() as conn:
            return await conn.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Record | None:
        self.queries += 1
        async with self.raw() as conn:
            return await conn.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.queries += 1
        async with self.raw() as conn:
            return await conn.fetchval(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        self.queries += 1
        async with self.raw() as conn:
            return await conn.execute(sql, *args)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.queries += 1
        async with self.raw() as conn:
            await conn.executemany(sql, rows)

    async def script(self, sql: str) -> None:
        """Run a multi-statement script (schema, migrations): simple protocol, no parameters."""
        async with self.raw() as conn:
            await conn.execute(sql)
