"""Test harness: a real PostgreSQL (TEST_DATABASE_URL, else an embedded one for the session), the schema
applied once, and every test inside a transaction that is rolled back."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live import Live, fresh_database, live_database, migrated, serve

from app.db import Db
from app.main import create_app
from app.services import accounts
from app.settings import Settings

HEADERS = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    name = f"lightninja_test_{os.getpid()}"
    given = os.environ.get("TEST_DATABASE_URL")
    server = None
    tmp = None
    if given:
        url = fresh_database(given, name)
    else:
        from app.embedded import start

        tmp = Path(tempfile.mkdtemp(prefix="lightninja-pg-"))
        url, server = start(tmp / "pg", database=name, cleanup="stop")

    yield migrated(url)
    if server is not None:
        server.cleanup()
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def upload_dir(tmp_path: Path) -> Path:
    path = tmp_path / "documents"
    path.mkdir()
    return path


@pytest.fixture
def settings(upload_dir: Path) -> Settings:
    return Settings(database_url="", token_cache_seconds=0, upload_dir=upload_dir, base_url="http://testserver")


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Db]:
    database = Db(database_url, force_rollback=True, min_size=1, max_size=2)
    await database.connect()
    try:
        yield database
    finally:
        await database.disconnect()


@pytest.fixture
def app(settings: Settings, db: Db) -> Any:
    return create_app(settings, db=db)


@pytest.fixture
async def anon(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends only X-Requested-With (no token)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=HEADERS
    ) as client:
        yield client


class Tenant:
    """A company with its owner and a token, plus a client bound to that token."""

    def __init__(self, info: dict[str, str], client: httpx.AsyncClient) -> None:
        self.company_id = info["company_id"]
        self.user_id = info["user_id"]
        self.token = info["token"]
        self.http = client


async def make_tenant(app: Any, db: Db, email: str) -> AsyncIterator[Tenant]:
    info = await accounts.create_account(db, email, "secret-password", f"Company of {email}")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={**HEADERS, "X-API-TOKEN": info["token"]},
    ) as client:
        yield Tenant(info, client)


@pytest.fixture
async def tenant_a(app: Any, db: Db) -> AsyncIterator[Tenant]:
    async for tenant in make_tenant(app, db, "owner-a@example.com"):
        yield tenant


@pytest.fixture
async def tenant_b(app: Any, db: Db) -> AsyncIterator[Tenant]:
    async for tenant in make_tenant(app, db, "owner-b@example.com"):
        yield tenant


@pytest.fixture
def api(tenant_a: Tenant) -> httpx.AsyncClient:
    return tenant_a.http


@pytest.fixture
def api_b(tenant_b: Tenant) -> httpx.AsyncClient:
    return tenant_b.http


# One live server per module that asks for it (the race tests).
@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # 100 racing creates serialise on one company's lock: they may queue for a connection longer than the
    # default wait before a 503
    with serve(live_database(database_url), tmp_path_factory.mktemp("live-docs"), pool_timeout=30) as server:
        yield server
