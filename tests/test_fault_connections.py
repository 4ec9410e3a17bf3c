"""Database faults against a real server process: backends killed under a write load (as a failover, an
idle-session timeout or an operator would), an exhausted pool, a PostgreSQL restart, and shutdown after all
of it. The server must answer every request (2xx, or a 503 with Retry-After while the database is out of
reach), recover by itself, keep every pool slot usable, and stop in bounded time."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from conftest import HEADERS
from live import in_thread
from server_process import ServerProcess, new_database, prepared_database

from app.db import split_socket_host

POOL = 4
ATTACK_SECONDS = 6.0
KILL_EVERY = 0.2
KILL_SQL = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
)
LOCK_WAITERS_SQL = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND state = 'active'"
)


async def connect(url: str) -> asyncpg.Connection:
    dsn, options = split_socket_host(url)
    return await asyncpg.connect(dsn, **options)


def api(base: str, token: str, timeout: float = 10) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers={**HEADERS, "X-API-TOKEN": token}, timeout=timeout)


async def write_load(base: str, token: str, url: str, seconds: float, writers: int = 12) -> dict[str, Any]:
    """`writers` clients creating clients and invoices and paying them, while every KILL_EVERY s the
    server's busy backends are terminated. -> status counts, hung requests, the slowest answer, kills."""
    stop = time.monotonic() + seconds
    statuses: Counter[Any] = Counter()
    slowest = 0.0

    async def call(http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        nonlocal slowest
        started = time.monotonic()
        try:
            r = await http.request(method, path, json=body)
        except httpx.TimeoutException:
            statuses["hung"] += 1
            return None
        finally:
            slowest = max(slowest, time.monotonic() - started)
        statuses[r.status_code] += 1
        if r.status_code == 503:
            assert r.json() == {"message": "Server busy", "errors": {}} and r.headers["retry-after"]
        return r.json()["data"] if r.status_code == 200 else None

    async def writer(i: int) -> None:
        async with api(base, token) as http:
            n = 0
            while time.monotonic() < stop:
                n += 1
                client = await call(http, "POST", "/api/v1/clients", {"name": f"Load {i}-{n}"})
                if client is None:
                    continue
                invoice = await call(
                    http,
                    "POST",
                    "/api/v1/invoices?mark_sent=true",
                    {"client_id": client["id"], "line_items": [{"product_key": "x", "cost": 10, "quantity": 2}]},
                )
                if invoice is None:
                    continue
                await call(
                    http,
                    "POST",
                    "/api/v1/payments",
                    {
                        "client_id": client["id"],
                        "amount": 20,
                        "invoices": [{"invoice_id": invoice["id"], "amount": 20}],
                    },
                )
                await call(http, "PUT", f"/api/v1/clients/{client['id']}", {"name": f"Load {i}-{n} paid"})

    async def killer() -> int:
        conn = await connect(url)
        killed = 0
        try:
            while time.monotonic() < stop:
                killed += int(await conn.fetchval(KILL_SQL))
                await asyncio.sleep(KILL_EVERY)
        finally:
            await conn.close()
        return killed

    results = await asyncio.gather(killer(), *(writer(i) for i in range(writers)))
    return {"statuses": statuses, "slowest": slowest, "killed": results[0]}


async def every_slot_usable(base: str, token: str, url: str, company_id: int) -> None:
    """Hold the company row (numbering locks it), fire POOL creates: each must hold a pool connection at
    once (POOL backends waiting on the lock), and one more must be refused with a 503 within the acquire
    timeout instead of hanging. Then let them all finish."""
    holder, watcher = await connect(url), await connect(url)
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM companies WHERE id = $1 FOR UPDATE", company_id)
        async with api(base, token) as http:
            creates = [
                asyncio.create_task(http.post("/api/v1/clients", json={"name": f"Slot {i}"})) for i in range(POOL)
            ]
            waiting = 0
            for _ in range(100):  # from another connection: pg_stat_activity is snapshotted per transaction
                waiting = int(await watcher.fetchval(LOCK_WAITERS_SQL))
                if waiting >= POOL:
                    break
                await asyncio.sleep(0.05)
            finished = [(t.result().status_code, t.result().text[:80]) for t in creates if t.done()]
            assert waiting == POOL, f"only {waiting} of {POOL} pool slots could be used; answered: {finished}"
            started = time.monotonic()
            r = await http.get("/api/v1/clients")
            assert time.monotonic() - started < 3.0
            assert r.status_code == 503 and r.json() == {"message": "Server busy", "errors": {}}
            assert r.headers["retry-after"] == "1"
            await tx.commit()
            done = await asyncio.gather(*creates)
            assert [x.status_code for x in done] == [200] * POOL
    finally:
        await holder.close()
        await watcher.close()


async def recovered(base: str, token: str, within: float = 10.0) -> float:
    """Seconds until a plain list answers 200 again."""
    started = time.monotonic()
    async with api(base, token, timeout=5) as http:
        while time.monotonic() - started < within:
            try:
                if (await http.get("/api/v1/clients")).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"the server did not recover within {within} s")


def test_killed_backends_never_cost_a_pool_slot(database_url: str, tmp_path: Path) -> None:
    url, account = new_database(database_url)
    server = ServerProcess(url, tmp_path, DB_POOL_MAX=str(POOL), DB_POOL_TIMEOUT="1")
    try:
        outcome = in_thread(lambda: write_load(server.base, account["token"], url, ATTACK_SECONDS))
        statuses = outcome["statuses"]
        assert outcome["killed"] > 10 and statuses[200] > 20, outcome
        assert statuses["hung"] == 0 and set(statuses) <= {200, 503}, outcome
        assert outcome["slowest"] < 5.0, outcome
        in_thread(lambda: recovered(server.base, account["token"]))
        company = int(in_thread(lambda: _company_id(url)))
        in_thread(lambda: every_slot_usable(server.base, account["token"], url, company))
    finally:
        took = server.stop()
    assert took < 8.0


async def _company_id(url: str) -> int:
    conn = await connect(url)
    try:
        return int(await conn.fetchval("SELECT id FROM companies ORDER BY id LIMIT 1"))
    finally:
        await conn.close()


def _pg_ctl(pg: Any, *args: str) -> None:
    from pgserver._commands import pg_ctl  # the embedded server's own pg_ctl, run as its system user

    pg_ctl(list(args), pgdata=pg.pgdata, user=pg.system_user, timeout=30)


def test_a_postgresql_restart_is_a_503_then_the_server_recovers(tmp_path: Path) -> None:
    from app.embedded import start

    url, pg = start(tmp_path / "pg", database="restart", cleanup="stop")
    try:
        account = prepared_database(url)
        server = ServerProcess(url, tmp_path, DB_POOL_MAX=str(POOL), DB_POOL_TIMEOUT="1")
        try:
            in_thread(lambda: recovered(server.base, account["token"]))
            _pg_ctl(pg, "-w", "-m", "fast", "stop")

            async def while_down() -> httpx.Response:
                async with api(server.base, account["token"]) as http:
                    return await http.get("/api/v1/clients")

            started = time.monotonic()
            r = in_thread(while_down)
            assert time.monotonic() - started < 3.0
            assert r.status_code == 503 and r.json() == {"message": "Server busy", "errors": {}}
            socket_dir = parse_qs(urlsplit(url).query)["host"][0]
            _pg_ctl(pg, "-w", "-o", '-h ""', "-o", f"-k {socket_dir}", "-l", str(pg.log), "start")
            in_thread(lambda: recovered(server.base, account["token"]))
            company = int(in_thread(lambda: _company_id(url)))
            in_thread(lambda: every_slot_usable(server.base, account["token"], url, company))
        finally:
            took = server.stop()
        assert took < 8.0
    finally:
        pg.cleanup()


def test_shutdown_is_bounded_with_requests_waiting_for_the_pool(database_url: str, tmp_path: Path) -> None:
    """SIGTERM while every connection is held and more requests queue for one: the worker still exits."""
    pool = POOL
    url, account = new_database(database_url)
    server = ServerProcess(url, tmp_path, DB_POOL_MAX=str(pool), DB_POOL_TIMEOUT="1")
    company = int(in_thread(lambda: _company_id(url)))

    async def scenario() -> float:
        holder = await connect(url)
        try:
            tx = holder.transaction()
            await tx.start()
            await holder.execute("SELECT 1 FROM companies WHERE id = $1 FOR UPDATE", company)
            async with api(server.base, account["token"], timeout=30) as http:
                calls = [
                    asyncio.create_task(http.post("/api/v1/clients", json={"name": f"Held {i}"}))
                    for i in range(pool * 2)
                ]
                await asyncio.sleep(0.5)
                took = await asyncio.get_running_loop().run_in_executor(None, server.stop)
                await asyncio.gather(*calls, return_exceptions=True)
            await tx.rollback()
            return float(took)
        finally:
            await holder.close()

    assert in_thread(scenario) < 15.0
