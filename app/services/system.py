"""What the server says about itself: the health check (the database answers, the schema is at the version
this code expects) and the statics (reference lists the web app loads once)."""

from __future__ import annotations

from typing import Any

from .. import APP_VERSION, reference
from ..db import Db
from ..schema import EXPECTED_VERSION, current_version

STATICS_JSON = reference.STATICS_JSON


async def health(db: Db) -> tuple[bool, dict[str, Any]]:
    """-> (healthy, upstream's health_check body). Real checks, not a static answer."""
    try:
        version = await current_version(db)
        db_ok = True
    except Exception:  # the check reports the failure instead of raising
        version, db_ok = 0, False
    healthy = db_ok and version == EXPECTED_VERSION
    body = {
        "system_health": healthy,
        "simple_db_check": db_ok,
        "schema_version": version,
        "expected_schema_version": EXPECTED_VERSION,
        "pending_migrations": max(0, EXPECTED_VERSION - version),
        "api_version": APP_VERSION,
        "is_docker": False,
        "jobs_pending": 0,
        "queue": "database",
        "pdf_engine": "",
        "mail_mailer": "",
        "env_writable": True,
        "cache_enabled": True,
        "php_version": {},
        "extensions": [],
        "trailing_slash": False,
        "file_permissions": "Ok",
        "exchange_rate_api_not_configured": True,
    }
    return healthy, body
