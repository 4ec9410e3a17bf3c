"""EntityService: the service of every registry entity, and the parent of every domain's own service.

It is app.crud's generic CrudService plus what only the service layer knows: the activity log of creates,
updates and bulk changes (the entity's `activity` map names the type ids). An entity without rules of its
own runs on this class as it is (see app.services.service_for).
"""

from __future__ import annotations

from typing import ClassVar

from ..auth import Principal
from ..crud.service import CrudService
from ..entities.spec import Entity
from ..errors import BadRequest
from . import activities


def not_available(action: str) -> BadRequest:
    """The 400 of an action an entity does not take (upstream's performAction falls through to it)."""
    return BadRequest(f"The requested action {action[:64]} is not available.")


class EntityService(CrudService):
    # The create/update flags this entity's service reads (app.services.billing.flags): the edges offer
    # exactly these (query string, GraphQL arguments) and pass `flags=` only when there are some.
    flags_taken: ClassVar[tuple[str, ...]] = ()

    async def record(self, who: Principal, action: str, entity_id: int) -> None:
        type_id = self.entity.activity.get(action)
        if type_id is not None:
            await activities.record_refs(self.db, who, type_id, {f"{self.entity.name}_id": entity_id})


class ActsLikeItsBulk(EntityService):
    """`GET /{entity}/{id}/{action}` for an entity whose single actions are exactly some of its bulk actions
    (payments, recurring invoices): the action runs as a bulk of one and the row is the answer."""

    single_actions: ClassVar[tuple[str, ...]] = ()

    async def perform(self, who: Principal, entity_id: int, action: str) -> tuple[Entity, int]:
        self._require(who, "edit")
        if action not in self.single_actions:
            raise not_available(action)
        await self.bulk(who, action, [entity_id], {})
        return self.entity, entity_id
