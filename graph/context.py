"""Per-request state: who is calling, the Db handle the services run on, and the dataloaders (made lazily
per (entity, relation)).

Every object the schema returns is a `Node`: the service layer's shaped `Item` (so values are
byte-for-byte what REST shows) with the raw row beside it, whose integer ids key the loaders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from app.auth import Principal
from app.services import Entity, Item, Relation, service_for

Node = Item


def read(obj: Any, name: str) -> Any:
    """The schema's default resolver: plain fields read the shaped dict (or a plain dict)."""
    if type(obj) is Node:
        # a key a shape hook leaves out (a paymentable has invoice_id or credit_id) is an unset reference: ""
        return obj.data.get(name, "")
    if type(obj) is dict:
        return obj.get(name)
    return getattr(obj, name)


class Context:
    def __init__(self, principal: Principal, db: Any) -> None:
        self.principal = principal
        self.db = db
        self._loaders: dict[tuple[str, str], DataLoader[int, Any]] = {}
        self._batched: dict[str, DataLoader[int, Any]] = {}

    def loader(self, entity: Entity, rel: Relation) -> DataLoader[int, Any]:
        key = (entity.name, rel.name)
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(load_fn=self._batch(entity, rel))
        return found

    def batched(self, name: str, load: Callable[[Sequence[int]], Awaitable[list[Any]]]) -> DataLoader[int, Any]:
        """The request's loader `name` for a field outside the registry's relations (the first `load`
        given is the one that runs, for every key the request asks about)."""
        found = self._batched.get(name)
        if found is None:
            found = self._batched[name] = DataLoader(load_fn=load)
        return found

    def _batch(self, entity: Entity, rel: Relation) -> Any:
        """One service call (`related`, one statement) for every parent the page asked about. Keys are
        parent ids (`many`) or the parent's foreign key (`one`)."""

        async def load(keys: Sequence[int]) -> list[Any]:
            grouped = await service_for(entity, self.db).related(self.principal, rel.name, keys)
            if rel.kind == "one":
                return [grouped[k][0] if k in grouped else None for k in keys]
            return [grouped.get(k, []) for k in keys]

        return load
