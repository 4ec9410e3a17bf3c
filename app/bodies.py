"""Request bodies, received in full before anything else looks at them.

A body is read while no database connection is held, against a size limit that counts as the bytes stream
in (a `Content-Length` over it is refused before one byte is read; a chunked body is cut off at the limit)
and against a deadline (a client that trickles a body gets a 408). What arrived is kept in memory when small
and in a temporary file when large, then handed to the app again through `receive`. JSON is parsed at most
once per request, by whoever asks first (the idempotency layer or the handler).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import ExitStack
from decimal import Decimal
from typing import IO, Any

from .errors import BadRequest, RequestTimeout, TooLarge

Receive = Callable[[], Awaitable[dict[str, Any]]]

SCOPE_KEY = "lightninja.body"
IN_MEMORY = 1 << 20  # bodies up to this size stay in memory
REPLAY_CHUNK = 256 << 10  # a spooled body goes back to the app in chunks of this size


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate keys")
    return out


def parse_json(raw: bytes) -> Any:
    """Floats become Decimal (money is never a binary float); NaN/Infinity and duplicate keys are refused."""
    try:
        # JSON on the wire is UTF-8 (RFC 8259); json.loads would also guess UTF-16/32 from bytes
        text = raw.decode("utf-8")
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {str(exc)[:120]}") from None


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"The request body may not be larger than {limit} bytes.")


class Body:
    """A request body that has fully arrived."""

    def __init__(self, data: bytes | None, spool: Any, size: int) -> None:
        self._data = data
        self._spool = spool
        self.size = size
        self._parsed: tuple[Any, BadRequest | None] | None = None

    @classmethod
    def from_bytes(cls, data: bytes) -> Body:
        return cls(data, None, len(data))

    def raw(self) -> bytes:
        if self._data is not None:
            return self._data
        self._spool.seek(0)
        return bytes(self._spool.read())

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        if self._data is not None:
            yield self._data
            return
        self._spool.seek(0)
        while chunk := self._spool.read(REPLAY_CHUNK):
            yield chunk

    def digest_into(self, h: Any) -> None:
        """Feed the body to a hashlib object without copying a spooled body into memory."""
        if self._data is not None:
            h.update(self._data)
            return
        self._spool.seek(0)
        while chunk := self._spool.read(REPLAY_CHUNK):
            h.update(chunk)

    def json(self) -> Any:
        """The body parsed as JSON, once: later calls get the same tree (or the same 400)."""
        if self._parsed is None:
            try:
                self._parsed = (parse_json(self.raw()), None)
            except BadRequest as exc:
                self._parsed = (None, exc)
        value, error = self._parsed
        if error is not None:
            raise error
        return value

    def receive(self, then: Receive) -> Receive:
        """A `receive` that replays this body, then passes on the connection's own messages (disconnect)."""
        if self._spool is not None:
            self._spool.seek(0)
        done = False

        async def inner() -> dict[str, Any]:
            nonlocal done
            if done:
                return await then()
            if self._data is not None:
                done = True
                return {"type": "http.request", "body": self._data, "more_body": False}
            chunk = self._spool.read(REPLAY_CHUNK)
            done = not chunk
            return {"type": "http.request", "body": chunk, "more_body": bool(chunk)}

        return inner

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()


async def receive_body(receive: Receive, limit: int, timeout: float, idle: float) -> Body | None:
    """Read the whole body: 413 past `limit` bytes, 408 if it takes longer than `timeout` in all or `idle`
    between two chunks. None when the client went away before the end."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    parts: list[bytes] = []
    spool: IO[bytes] | None = None
    size = 0
    with ExitStack() as cleanup:  # the spool is closed on every way out but the Body that keeps it
        while True:
            left = deadline - loop.time()
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.0, min(left, idle)))
            except TimeoutError:
                raise RequestTimeout("The request body did not arrive in time.") from None
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            if spool is not None:
                spool.write(chunk)
            elif size > IN_MEMORY:
                spool = cleanup.enter_context(tempfile.TemporaryFile())
                for part in parts:
                    spool.write(part)
                spool.write(chunk)
                parts = []
            elif chunk:
                parts.append(chunk)
            if not message.get("more_body", False):
                break
        if spool is not None:
            cleanup.pop_all()
            return Body(None, spool, size)
    return Body(b"".join(parts), None, size)


def of(scope: Mapping[str, Any]) -> Body | None:
    """The body the header contract received for this request (None for a request without one)."""
    return scope.get(SCOPE_KEY)
