"""EntityService: the service of every registry entity, and the parent of every domain's own service.

It is app.crud's generic CrudService plus what only the service layer knows: the activity log of creates,
updates and bulk changes (the entity's `activity` map names the type ids). An entity without rules of its
own runs on this class as it is (see app.services.service_for).
"""

from __future__ import annotations

from typing import ClassVar

from ..auth import Principal
from ..crud.service import CrudService
from . import activities


class EntityService(CrudService):
    # The create/update flags this entity's service reads (app.services.billing.flags): the edges offer
    # exactly these (query string, GraphQL arguments) and pass `flags=` only when there are some.
    flags_taken: ClassVar[tuple[str, ...]] = ()

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            await activities.record_refs(self.db, who, type_id, {f"{self.entity.name}_id": entity_id})
