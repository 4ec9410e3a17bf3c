"""Numbers a client may send as null: the web app's blank task and project carry `null` where upstream
stores 0 (task rate, budgeted hours, the kanban order); such a key is taken as absent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def absent(data: Mapping[str, Any], names: tuple[str, ...]) -> Mapping[str, Any]:
    if not any(name in data and data[name] is None for name in names):
        return data
    return {k: v for k, v in data.items() if not (k in names and v is None)}
