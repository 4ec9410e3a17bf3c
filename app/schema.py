"""Schema set-up: a fresh database gets db/schema.sql; an existing one gets the pending migrations.

schema.sql is the canonical DDL (it records version 1 and is kept equal to 0001 + later migrations);
db/migrations/NNNN_name.sql are forward-only deltas, each recorded in schema_migrations when applied.
"""

from __future__ import annotations

import re
from pathlib import Path

from .db import Db

DB_DIR = Path(__file__).resolve().parent.parent / "db"
MIGRATION = re.compile(r"^(\d{4})_[\w-]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    folder = DB_DIR / "migrations"
    found = (
        [(int(m.group(1)), p) for p in folder.glob("*.sql") if (m := MIGRATION.match(p.name))]
        if folder.is_dir()
        else []
    )
    return sorted(found)


EXPECTED_VERSION = max([1, *(v for v, _ in migrations())])


async def current_version(db: Db) -> int:
    exists = await db.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    return int(await db.fetchval("SELECT COALESCE(max(version), 0) FROM schema_migrations"))


async def upgrade(db: Db) -> list[int]:
    """Idempotent: returns the versions applied by this call (empty when already current)."""
    applied: list[int] = []
    async with db.transaction():
        # One upgrader at a time, even with several workers starting together.
        await db.execute("SELECT pg_advisory_xact_lock(727001)")
        version = await current_version(db)
        if version == 0:
            await db.script((DB_DIR / "schema.sql").read_text())
            version = 1
            applied.append(1)
            # schema.sql already contains everything up to its own recorded versions.
            version = await current_version(db)
        for number, path in migrations():
            if number > version:
                await db.script(path.read_text())
                await db.execute("INSERT INTO schema_migrations (version) VALUES ($1) ON CONFLICT DO NOTHING", number)
                applied.append(number)
    return applied
