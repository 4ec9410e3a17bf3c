"""An embedded PostgreSQL (the pgserver package) for `make run` and the tests when no URL is given."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from .settings import ROOT

DATA_DIR = ROOT / ".data" / "postgres"


def start(data_dir: Path = DATA_DIR, database: str = "lightninja", cleanup: str | None = "stop") -> tuple[str, Any]:
    """Start (or join) the server kept in `data_dir`; -> (URL of `database`, server handle).

    The handle must stay referenced: pgserver stops the server when the last process using it exits."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(str(data_dir), cleanup_mode=cleanup)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
    url = server.get_uri(database)
    return url, server
