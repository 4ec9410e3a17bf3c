"""Slow and oversized bodies against a real server process with a small pool: sockets that trickle a body,
downloads nobody reads, a chunked body far past the limit with an Idempotency-Key, and a key whose request
died with its database connection. None of them may hold a connection, grow the worker, or block a key."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import in_thread
from server_process import ServerProcess, new_database
from test_documents import PDF
from test_fault_connections import LOCK_WAITERS_SQL, _company_id, api, connect

POOL = 2
SLOW_SOCKETS = 40
BODY_TIMEOUT = 4.0
MB = 1 << 20


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Any:
    url, account = new_database(database_url)
    server = ServerProcess(
        url, tmp_path, DB_POOL_MAX=str(POOL), DB_POOL_TIMEOUT="1", BODY_TIMEOUT=str(BODY_TIMEOUT), BODY_IDLE_TIMEOUT="3"
    )
    yield server, url, account
    server.stop()


async def answered_promptly(base: str, token: str, rounds: int = 15) -> list[float]:
    """Seconds each of `rounds` REST and GraphQL reads took; every one must be a 200."""
    took = []
    async with api(base, token, timeout=5) as http:
        for i in range(rounds):
            started = time.monotonic()
            if i % 3 == 2:
                r = await http.post("/graphql", json={"query": "{ clients { items { id } } }"})
            else:
                r = await http.get("/api/v1/clients")
            assert r.status_code == 200, r.text
            took.append(time.monotonic() - started)
    return took


async def status_line(reader: asyncio.StreamReader, within: float) -> bytes:
    return await asyncio.wait_for(reader.readline(), within)


def test_trickled_bodies_hold_no_connection_and_end_in_408(served: Any) -> None:
    server, _url, account = served

    async def scenario() -> tuple[list[float], list[bytes]]:
        sockets = []
        for _ in range(SLOW_SOCKETS):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                b"POST /api/v1/login HTTP/1.1\r\nHost: x\r\nX-Requested-With: XMLHttpRequest\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            sockets.append((reader, writer))
        stop = asyncio.Event()

        async def trickle() -> None:
            while not stop.is_set():
                for _, writer in sockets:
                    if not writer.is_closing():
                        writer.write(b" ")
                await asyncio.sleep(0.5)

        trickling = asyncio.create_task(trickle())
        try:
            took = await answered_promptly(server.base, account["token"])
            lines = await asyncio.gather(*(status_line(r, BODY_TIMEOUT + 5) for r, _ in sockets))
        finally:
            stop.set()
            await trickling
            for _, writer in sockets:
                writer.close()
        return took, lines

    took, lines = in_thread(scenario)
    assert max(took) < 1.0, took
    assert set(lines) == {b"HTTP/1.1 408 Request Timeout\r\n"}, set(lines)


def test_unread_downloads_hold_no_connection(served: Any) -> None:
    server, _url, account = served
    token = account["token"]

    async def scenario() -> list[float]:
        async with api(server.base, token) as http:
            client = (await http.post("/api/v1/clients", json={"name": "Files"})).json()["data"]["id"]
            big = PDF + b"0" * (20 * MB)
            r = await http.put(
                f"/api/v1/clients/{client}/upload", files=[("documents[]", ("big.pdf", big, "application/pdf"))]
            )
            assert r.status_code == 200, r.text
            document = r.json()["data"]["documents"][-1]["id"]
        sockets = []
        for _ in range(40):
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                f"GET /api/v1/documents/{document}/download HTTP/1.1\r\nHost: x\r\n"
                f"X-Requested-With: XMLHttpRequest\r\nX-API-TOKEN: {token}\r\n\r\n".encode()
            )
            sockets.append(writer)
        await asyncio.sleep(1.0)  # every download has started and stalled on a full socket buffer
        try:
            return await answered_promptly(server.base, token)
        finally:
            for writer in sockets:
                writer.close()

    took = in_thread(scenario)
    assert max(took) < 1.0, took


async def chunked(total: int, piece: int = 64 << 10) -> AsyncIterator[bytes]:
    yield b'{"name": "'
    sent = 0
    while sent < total:
        yield b"x" * piece
        sent += piece
    yield b'"}'


def test_an_oversized_chunked_body_is_refused_as_it_streams(served: Any) -> None:
    server, _url, account = served
    before = server.memory_kb("VmHWM")

    async def scenario() -> list[httpx.Response]:
        async with api(server.base, account["token"], timeout=30) as http:
            out = []
            for path in ("/api/v1/clients", "/api/v1/invoices", "/graphql", "/api/v1/login"):
                headers = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
                try:
                    out.append(await http.post(path, content=chunked(20 * MB), headers=headers))
                except (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError):
                    out.append(None)  # the server answered and closed while the client still sent
            return out

    answers = in_thread(scenario)
    grown = server.memory_kb("VmHWM") - before
    assert grown < 16 * 1024, f"the worker grew by {grown} kB"
    answered = [a.status_code for a in answers if a is not None]
    # a client still sending when the server answers may see the socket close instead of the answer;
    # at least one of the four must have read its 413, and none anything else
    assert answered and answered == [413] * len(answered), answers

    async def rows() -> int:
        conn = await connect(_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM idempotency_keys"))
        finally:
            await conn.close()

    assert in_thread(rows) == 0


def test_a_declared_length_over_the_limit_is_refused_before_reading(served: Any) -> None:
    server, _url, account = served

    async def scenario() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            f"POST /api/v1/clients HTTP/1.1\r\nHost: x\r\nX-Requested-With: XMLHttpRequest\r\n"
            f"X-API-TOKEN: {account['token']}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: k1\r\nContent-Length: {5 * MB}\r\n\r\n".encode()
        )
        try:
            return await status_line(reader, 3)  # not one byte of the body was sent
        finally:
            writer.close()

    assert in_thread(scenario) == b"HTTP/1.1 413 Request Entity Too Large\r\n"


def test_a_key_whose_request_lost_its_connection_can_be_retried_at_once(served: Any) -> None:
    server, url, account = served
    company = int(in_thread(lambda: _company_id(url)))
    key = {"Idempotency-Key": uuid.uuid4().hex}

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        holder, watcher = await connect(url), await connect(url)
        try:
            tx = holder.transaction()
            await tx.start()
            await holder.execute("SELECT 1 FROM companies WHERE id = $1 FOR UPDATE", company)
            async with api(server.base, account["token"]) as http:
                first = asyncio.create_task(http.post("/api/v1/clients", json={"name": "Once"}, headers=key))
                for _ in range(100):
                    if int(await watcher.fetchval(LOCK_WAITERS_SQL)):
                        break
                    await asyncio.sleep(0.05)
                await watcher.execute(  # the request's backend dies while it waits on the lock
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND state = 'active'"
                )
                lost = await first
                await tx.rollback()
                retry = await http.post("/api/v1/clients", json={"name": "Once"}, headers=key)
                return lost, retry
        finally:
            await holder.close()
            await watcher.close()

    lost, retry = in_thread(scenario)
    assert lost.status_code == 503 and lost.json() == {"message": "Server busy", "errors": {}}
    assert retry.status_code == 200, retry.text
    assert retry.json()["data"]["name"] == "Once"
    assert "idempotent-replayed" not in retry.headers
