"""GraphQL edge."""
from __future__ import annotations

from typing import Any


def graphql_app(settings: Any) -> Any:
    from .app import build
    return build(settings)
