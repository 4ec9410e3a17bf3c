"""A PostgreSQL wire-protocol relay that counts the statements a client sends.

pgserver's PostgreSQL ships without pg_stat_statements, and pg_stat_database only counts transactions, so
the harness counts on the wire: every Execute message (extended protocol, what asyncpg uses for
parameterised statements) and every simple Query message (BEGIN, COMMIT, the pool's reset query) is one
statement round trip. The relay remembers each statement's SQL (from Parse) and the parameters it
was last bound with (from Bind), so the harness can EXPLAIN the exact statements a target ran.

It runs in a thread of the harness and only in front of the "counting" instance of each target, never in
front of the instance being timed.
"""

from __future__ import annotations

import asyncio
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

SPECIAL_CODES = {80877103, 80877104, 80877102}  # SSLRequest, GSSENCRequest, CancelRequest


@dataclass
class Seen:
    calls: int = 0
    sample: tuple[tuple[int, ...], tuple[bytes | None, ...]] | None = None  # last (format codes, raw values)


@dataclass
class _Conn:
    statements: dict[str, str] = field(default_factory=dict)
    portals: dict[str, tuple[str, Any]] = field(default_factory=dict)


def _cstr(buf: bytes, pos: int) -> tuple[str, int]:
    end = buf.index(b"\0", pos)
    return buf[pos:end].decode("utf-8", "replace"), end + 1


class CountingProxy:
    def __init__(self, upstream: str | tuple[str, int]) -> None:
        """`upstream`: a Unix socket path, or (host, port)."""
        self.upstream = upstream
        self.counts: dict[str, Seen] = {}
        self.lock = threading.Lock()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()

    # ---- control (harness thread) -------------------------------------------------------------
    def start(self) -> int:
        threading.Thread(target=self._run, name="pgproxy", daemon=True).start()
        self._ready.wait(10)
        return self.port

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)

    def snapshot(self) -> dict[str, tuple[int, Any]]:
        with self.lock:
            return {sql: (s.calls, s.sample) for sql, s in self.counts.items()}

    @staticmethod
    def diff(before: dict[str, tuple[int, Any]], after: dict[str, tuple[int, Any]]) -> dict[str, tuple[int, Any]]:
        out = {}
        for sql, (calls, sample) in after.items():
            n = calls - before.get(sql, (0, None))[0]
            if n:
                out[sql] = (n, sample)
        return out

    # ---- relay (proxy thread) -----------------------------------------------------------------
    def _run(self) -> None:
        self._loop = loop = asyncio.new_event_loop()

        async def boot() -> None:
            server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()

        loop.run_until_complete(boot())
        loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if isinstance(self.upstream, str):
                up_r, up_w = await asyncio.open_unix_connection(self.upstream)
            else:
                up_r, up_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        conn = _Conn()
        await asyncio.gather(self._pump_client(reader, up_w, conn), self._pump(up_r, writer), return_exceptions=True)
        for w in (writer, up_w):
            w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def _pump_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: _Conn) -> None:
        try:
            # Untyped start-up packets: SSL/GSS requests (answered with one byte), then the StartupMessage.
            while True:
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                rest = await reader.readexactly(length - 8)
                writer.write(head + rest)
                await writer.drain()
                if code not in SPECIAL_CODES:
                    break
                if code == 80877102:
                    return
            while True:
                head = await reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await reader.readexactly(length - 4)
                self._inspect(kind, body, conn)
                writer.write(head + body)
                await writer.drain()
                if kind == b"X":
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    def _count(self, sql: str, sample: Any) -> None:
        with self.lock:
            seen = self.counts.get(sql)
            if seen is None:
                seen = self.counts[sql] = Seen()
            seen.calls += 1
            if sample is not None:
                seen.sample = sample

    def _inspect(self, kind: bytes, body: bytes, conn: _Conn) -> None:
        if kind == b"Q":
            self._count(_cstr(body, 0)[0], None)
        elif kind == b"P":
            name, pos = _cstr(body, 0)
            conn.statements[name] = _cstr(body, pos)[0]
        elif kind == b"B":
            portal, pos = _cstr(body, 0)
            stmt, pos = _cstr(body, pos)
            (nfmt,) = struct.unpack_from("!h", body, pos)
            pos += 2
            fmts = struct.unpack_from(f"!{nfmt}h", body, pos)
            pos += 2 * nfmt
            (nparams,) = struct.unpack_from("!h", body, pos)
            pos += 2
            values: list[bytes | None] = []
            for _ in range(nparams):
                (n,) = struct.unpack_from("!i", body, pos)
                pos += 4
                if n < 0:
                    values.append(None)
                else:
                    values.append(body[pos : pos + n])
                    pos += n
            conn.portals[portal] = (stmt, (tuple(fmts), tuple(values)))
        elif kind == b"E":
            portal, _ = _cstr(body, 0)
            stmt, sample = conn.portals.get(portal, ("", None))
            self._count(conn.statements.get(stmt, "<unknown statement>"), sample)
        elif kind == b"C" and body[:1] == b"S":
            conn.statements.pop(_cstr(body, 1)[0], None)


def classify(sql: str) -> str:
    """'tx' for transaction control, 'reset' for a pool's connection reset, else 'sql'."""
    head = sql.lstrip().split(None, 1)[0].rstrip(";").upper() if sql.strip() else ""
    if head in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END"}:
        return "tx"
    if "pg_advisory_unlock_all" in sql or "RESET ALL" in sql.upper() or "DISCARD ALL" in sql.upper():
        return "reset"
    return "sql"


def decode_params(sample: Any, type_oids: list[int]) -> list[Any] | None:
    """Binary bind values -> Python values for the common types, or None when one can't be decoded."""
    if sample is None:
        return [] if not type_oids else None
    fmts, raw = sample
    if len(raw) != len(type_oids):
        return None
    out = []
    for i, (oid, value) in enumerate(zip(type_oids, raw, strict=False)):
        fmt = fmts[0] if len(fmts) == 1 else (fmts[i] if fmts else 0)
        if value is None:
            out.append(None)
            continue
        decoded = _decode_one(oid, value, fmt)
        if decoded is _FAIL:
            return None
        out.append(decoded)
    return out


_FAIL = object()
_SCALARS = {20: "!q", 23: "!i", 21: "!h", 701: "!d", 700: "!f"}
_ARRAYS = {1016: 20, 1007: 23, 1005: 21, 1009: 25, 1015: 1043}


def _decode_one(oid: int, value: bytes, fmt: int) -> Any:
    if fmt == 0:  # text format
        text = value.decode()
        if oid in (20, 21, 23):
            return int(text)
        return text if oid in (25, 1043, 19, 1042, 705) else _FAIL
    if oid in _SCALARS:
        return struct.unpack(_SCALARS[oid], value)[0]
    if oid == 16:
        return value == b"\x01"
    if oid in (25, 1043, 19, 1042, 705):
        return value.decode()
    if oid == 17:
        return value
    if oid in _ARRAYS:
        ndim, _flags, _elem = struct.unpack_from("!iii", value, 0)
        if ndim == 0:
            return []
        if ndim != 1:
            return _FAIL
        size, _lb = struct.unpack_from("!ii", value, 12)
        pos, items = 20, []
        for _ in range(size):
            (n,) = struct.unpack_from("!i", value, pos)
            pos += 4
            if n < 0:
                items.append(None)
                continue
            item = _decode_one(_ARRAYS[oid], value[pos : pos + n], 1)
            if item is _FAIL:
                return _FAIL
            items.append(item)
            pos += n
        return items
    return _FAIL
