"""Document storage: files on disk under generated names, rows in `documents`, polymorphic parents."""
from __future__ import annotations

from typing import Any

from ..auth import Principal
from ..db import Db
from ..entities.spec import Entity


async def attach(db: Db, who: Principal, parent: Entity, parent_id: int, files: list[Any], is_public: Any) -> None:
    raise NotImplementedError
