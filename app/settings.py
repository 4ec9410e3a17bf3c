"""Settings read once from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    hash_salt: str = ""
    api_secret: str = ""
    require_x_requested_with: bool = True
    cors_origins: str = "*"
    upload_dir: Path = ROOT / ".data" / "documents"
    upload_max_bytes: int = 100_000 * 1024
    extra_upload_extensions: tuple[str, ...] = ()
    max_body_bytes: int = 110 * 1024 * 1024
    max_json_bytes: int = 2 * 1024 * 1024
    body_timeout: float = 30.0  # a request body must arrive within this many seconds in all...
    body_idle_timeout: float = 10.0  # ...with no gap longer than this between two chunks (else 408)
    login_attempts: int = 5
    login_window_seconds: int = 60
    token_cache_seconds: float = 5.0
    graphql_introspection: bool = True
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_tokens: int = 2000
    base_url: str = "http://127.0.0.1:8000"
    pool_min: int = 2
    pool_max: int = 10
    pool_timeout: float = 2.0  # seconds to wait for a free database connection before a 503
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings the environment gives (a test changes them with dataclasses.replace)."""
        extensions = tuple(
            e.strip().lower().lstrip(".")
            for e in os.environ.get("ADDITIONAL_UPLOAD_EXTENSIONS", "").split(",")
            if e.strip()
        )
        return cls(
            database_url=os.environ.get("DATABASE_URL", ""),
            hash_salt=os.environ.get("HASH_SALT", ""),
            api_secret=os.environ.get("API_SECRET", ""),
            require_x_requested_with=_flag("REQUIRE_X_REQUESTED_WITH", True),
            cors_origins=os.environ.get("CORS_ORIGINS", "*"),
            upload_dir=Path(os.environ.get("UPLOAD_DIR", str(ROOT / ".data" / "documents"))),
            extra_upload_extensions=extensions,
            graphql_introspection=_flag("GRAPHQL_INTROSPECTION", True),
            base_url=os.environ.get("APP_URL", "http://127.0.0.1:8000").rstrip("/"),
            pool_max=int(os.environ.get("DB_POOL_MAX", "10")),
            pool_timeout=float(os.environ.get("DB_POOL_TIMEOUT", "2")),
            body_timeout=float(os.environ.get("BODY_TIMEOUT", "30")),
            body_idle_timeout=float(os.environ.get("BODY_IDLE_TIMEOUT", "10")),
        )


_active = Settings()


def activate(settings: Settings) -> None:
    """Make `settings` the ones the running app uses (one app per process)."""
    global _active
    _active = settings


def active() -> Settings:
    return _active


def base_url() -> str:
    return _active.base_url
