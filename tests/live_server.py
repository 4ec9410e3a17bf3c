"""A LIVE uvicorn on a real, committed PostgreSQL database of its own (not the rollback fixture), for the
race tests: the module-scoped `live` fixture starts the server in a thread on a fresh database, `Session` is a
company on it with an HTTP client and a Db for the invariants."""
from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import uvicorn

from app.db import Db
from app.main import create_app
from app.schema import upgrade
from app.services import accounts
from app.settings import Settings
from conftest import HEADERS, fresh_database
from test_invoices import web_line

ROUNDS_SECONDS = 20.0   # no scenario loops longer than this


def _in_thread(work: Any) -> Any:
    """Run a coroutine function to completion on a loop of its own (fixtures run outside the test loop)."""
    out: dict[str, Any] = {}

    def target() -> None:
        out["value"] = asyncio.run(work())
    t = threading.Thread(target=target)
    t.start()
    t.join(120)
    return out.get("value")


class Live:
    def __init__(self, url: str, base: str) -> None:
        self.url = url
        self.base = base

    def company(self) -> dict[str, str]:
        async def work() -> dict[str, str]:
            db = Db(self.url, min_size=1, max_size=1)
            await db.connect()
            try:
                return await accounts.create_account(db, f"race-{uuid.uuid4().hex[:12]}@example.com",
                                                     "secret-password", "Race Inc")
            finally:
                await db.disconnect()
        return _in_thread(work)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    url = fresh_database(database_url, f"lightninja_live_{uuid.uuid4().hex[:10]}")

    async def migrate() -> None:
        db = Db(url, min_size=1, max_size=1)
        await db.connect()
        try:
            await upgrade(db)
        finally:
            await db.disconnect()
    _in_thread(migrate)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    upload: Path = tmp_path_factory.mktemp("live-docs")
    settings = Settings(database_url=url, token_cache_seconds=0, upload_dir=upload, base_url="http://testserver",
                        # 100 racing creates serialise on one company's lock: they may queue for a
                        # connection longer than the default wait before a 503
                        pool_min=2, pool_max=40, pool_timeout=30)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    try:
        yield Live(url, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(30)


class Session:
    """A company on the live server: an HTTP client with its token and a Db for invariants."""

    def __init__(self, live: Live) -> None:
        info = live.company()
        self.company_id = info["company_id"]
        self.http = httpx.AsyncClient(base_url=live.base, timeout=60, headers={**HEADERS, "X-API-TOKEN": info["token"]},
                                      limits=httpx.Limits(max_connections=120))
        self.db = Db(live.url, min_size=1, max_size=2)

    async def __aenter__(self) -> "Session":
        await self.db.connect()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.http.aclose()
        await self.db.disconnect()

    async def client(self) -> str:
        r = await self.http.post("/api/v1/clients", json={"name": "Racer", "contacts": [{"first_name": "R"}]})
        assert r.status_code == 200, r.text
        return r.json()["data"]["id"]  # type: ignore[no-any-return]

    async def invoice(self, client_id: str, cost: float = 100) -> str:
        r = await self.http.post("/api/v1/invoices?mark_sent=true",
                                 json={"client_id": client_id, "line_items": [web_line(quantity=1, cost=cost)]})
        assert r.status_code == 200, r.text
        return r.json()["data"]["id"]  # type: ignore[no-any-return]

    def pay(self, client_id: str, *entries: tuple[str, float], **body: Any) -> Any:
        return self.http.post("/api/v1/payments", json={
            "client_id": client_id, **body, "invoices": [{"invoice_id": i, "amount": a} for i, a in entries]})

    async def balance(self, invoice_id: str) -> float:
        return (await self.http.get(f"/api/v1/invoices/{invoice_id}")).json()["data"]["balance"]  # type: ignore


def codes(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)
