"""LIVE servers for the concurrency tests: uvicorn in a thread of its own, with its lifespan, on a fresh
committed database (not the rollback fixture), so concurrent requests really race in PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import uvicorn

from app.db import Db
from app.main import create_app
from app.schema import upgrade
from app.services import accounts
from app.settings import Settings


def in_thread(work: Any) -> Any:
    """Run a coroutine function to completion on a loop of its own (fixtures run outside the test loop)."""
    out: dict[str, Any] = {}

    def target() -> None:
        out["value"] = asyncio.run(work())

    t = threading.Thread(target=target)
    t.start()
    t.join(120)
    return out.get("value")


def fresh_database(admin_url: str, name: str) -> str:
    async def work() -> None:
        db = Db(admin_url, min_size=1, max_size=1)
        await db.connect()
        try:
            await db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await db.execute(f'CREATE DATABASE "{name}"')
        finally:
            await db.disconnect()

    asyncio.run(work())
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def migrated(url: str) -> str:
    """`url` with the schema applied (upgraded on a loop of its own)."""

    async def migrate() -> None:
        db = Db(url, min_size=1, max_size=1)
        await db.connect()
        try:
            await upgrade(db)
        finally:
            await db.disconnect()

    in_thread(migrate)
    return url


def new_account(url: str, email: str = "") -> dict[str, str]:
    """A company with its owner and a token on `url`; -> create_account's answer (company_id, token, ...)."""

    async def work() -> dict[str, str]:
        db = Db(url, min_size=1, max_size=1)
        await db.connect()
        try:
            return await accounts.create_account(
                db, email or f"race-{uuid.uuid4().hex[:12]}@example.com", "secret-password", "Race Inc"
            )
        finally:
            await db.disconnect()

    return in_thread(work)  # type: ignore[no-any-return]


def live_database(admin_url: str) -> str:
    """A new database with the schema applied, committed like production."""
    return migrated(fresh_database(admin_url, f"lightninja_live_{uuid.uuid4().hex[:10]}"))


class Live:
    def __init__(self, url: str, base: str, app: Any) -> None:
        self.url = url
        self.base = base
        self.app = app

    def company(self, email: str = "") -> dict[str, str]:
        return new_account(self.url, email)


@contextmanager
def serve(url: str, upload_dir: Path, **changes: Any) -> Iterator[Live]:
    """One uvicorn server (lifespan on) over `url`; `changes` override the test settings."""
    port = free_port()
    settings = Settings(
        database_url=url,
        token_cache_seconds=0,
        upload_dir=upload_dir,
        base_url="http://testserver",
        pool_min=2,
        pool_max=40,
    )
    app = create_app(dataclasses.replace(settings, **changes))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the live server did not start"
    try:
        yield Live(url, f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(30)
