"""The command line against a real database: db upgrade is idempotent, account create prints a usable token."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from conftest import fresh_database

from app.auth import digest
from app.db import Db
from app.schema import EXPECTED_VERSION, current_version


def _run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def empty_database(database_url: str) -> str:
    """A second, empty database on the same server (the CLI commits, so not the rollback one)."""
    return fresh_database(database_url, f"lightninja_cli_{os.getpid()}")


def _query(url: str, sql: str, *args: object) -> object:
    async def work() -> object:
        db = Db(url, min_size=1, max_size=1)
        await db.connect()
        try:
            return await db.fetchval(sql, *args)
        finally:
            await db.disconnect()

    return asyncio.run(work())


def test_db_upgrade_applies_once_then_nothing(empty_database: str) -> None:
    first = _run(empty_database, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["applied"] == [1]
    second = _run(empty_database, "db", "upgrade")
    assert second.returncode == 0 and json.loads(second.stdout)["applied"] == []

    async def version() -> int:
        db = Db(empty_database, min_size=1, max_size=1)
        await db.connect()
        try:
            return await current_version(db)
        finally:
            await db.disconnect()

    assert asyncio.run(version()) == EXPECTED_VERSION


def test_account_create_prints_ids_and_a_working_token(empty_database: str) -> None:
    out = _run(
        empty_database,
        "account",
        "create",
        "--email",
        "cli@example.com",
        "--password",
        "pw-123456",
        "--company",
        "CLI Co",
    )
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)
    assert {"company_id", "user_id", "token"} <= created.keys() and len(created["token"]) == 64
    # stored only as a digest, resolving to the new company
    stored = _query(
        empty_database, "SELECT count(*) FROM company_tokens WHERE token_hash = $1", digest(created["token"])
    )
    assert stored == 1
    assert _query(empty_database, "SELECT settings->>'name' FROM companies") == "CLI Co"
    again = _run(empty_database, "account", "create", "--email", "cli@example.com", "--password", "x")
    assert again.returncode != 0 and "already exists" in again.stderr
