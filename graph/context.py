"""Per-request state: who is calling, the Db, and the dataloaders (made lazily per (entity, relation)).

Every object the schema returns is a `Node`: the contract dict `app.crud.shape.shape` made from a row
(so values are byte-for-byte what REST shows) plus the raw row, whose integer ids key the loaders.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from strawberry.dataloader import DataLoader

from app.auth import Principal
from app.crud import sql
from app.crud.shape import shape
from app.db import Db
from app.entities import REGISTRY
from app.entities.spec import Entity, Relation

Row = Mapping[str, Any]


class Node:
    """A shaped row (`data`, read by every plain field) and the row it came from (`row`)."""

    __slots__ = ("data", "row")

    def __init__(self, data: dict[str, Any], row: Row) -> None:
        self.data = data
        self.row = row


def to_node(entity: Entity, row: Row, tree: sql.Includes = ()) -> Node:
    return Node(shape(entity, row, tree), row)


def to_nodes(entity: Entity, rows: Iterable[Row], tree: sql.Includes = ()) -> list[Node]:
    return [Node(shape(entity, row, tree), row) for row in rows]


def read(obj: Any, name: str) -> Any:
    """The schema's default resolver: plain fields read the shaped dict (or a plain dict)."""
    if type(obj) is Node:
        # a key a shape hook leaves out (a paymentable has invoice_id or credit_id) is an unset reference: ""
        return obj.data.get(name, "")
    if type(obj) is dict:
        return obj.get(name)
    return getattr(obj, name)


class Context:
    def __init__(self, principal: Principal, db: Db) -> None:
        self.principal = principal
        self.db = db
        self._loaders: dict[tuple[str, str], DataLoader[int, Any]] = {}

    def loader(self, entity: Entity, rel: Relation) -> DataLoader[int, Any]:
        key = (entity.name, rel.name)
        found = self._loaders.get(key)
        if found is None:
            found = self._loaders[key] = DataLoader(load_fn=self._batch(entity, rel))
        return found

    def _batch(self, entity: Entity, rel: Relation) -> Any:
        """One `select_related` statement for every parent the page asked about, scoped to the caller's
        company. Keys are parent ids (`many`) or the parent's foreign key (`one`)."""
        statement = sql.select_related(entity, rel, ())
        target = REGISTRY[rel.target]

        async def load(keys: Sequence[int]) -> list[Any]:
            rows = await self.db.fetch(statement, self.principal.company_id, list(keys))
            grouped: dict[int, list[Node]] = defaultdict(list)
            for record in rows:
                row = dict(record)
                grouped[row["_parent"]].append(to_node(target, row))
            if rel.kind == "one":
                return [grouped[k][0] if k in grouped else None for k in keys]
            return [grouped.get(k, []) for k in keys]
        return load
