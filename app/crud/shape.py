"""Row -> contract JSON: hashed ids, included relations shaped recursively, per-entity hooks.

Rows already hold contract values (the SQL did the COALESCEs and conversions); what is left is the
hashids codec, which must run in Python, and the few computed fields of a shape hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from .. import ids
from ..db import Record
from ..entities import REGISTRY
from ..entities.spec import Entity
from .sql import Includes


@cache
def _plan(entity: Entity) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    refs = tuple(f.name for f in entity.fields if f.kind in ("id", "ref"))
    internal = tuple(f.name for f in entity.fields if f.internal)
    money = tuple(f.name for f in entity.fields if f.kind == "money" and not f.internal)
    return refs, internal, money


def shape(entity: Entity, row: Mapping[str, Any] | Record, tree: Includes = (), nested: bool = False) -> dict[str, Any]:
    """`nested` rows come from JSON built by PostgreSQL, where a float8 20.0 is written `20`: money is
    made a float again so every amount reads like upstream's (20.0), at any depth."""
    out = dict(row)
    out.pop("_parent", None)
    refs, internal, money = _plan(entity)
    encode = ids.encode
    for name in refs:
        value = out[name]
        out[name] = "" if value is None else encode(value)
    if nested:
        for name in money:
            out[name] = float(out[name])
    for name, subtree in tree:
        rel = entity.relation(name)
        assert rel is not None
        target = REGISTRY[rel.target]
        value = out[name]
        if rel.kind == "one":
            if value is None:
                del out[name]  # upstream omits an item include that resolves to nothing
            else:
                out[name] = shape(target, value, subtree, nested=True)
        else:
            out[name] = [shape(target, child, subtree, nested=True) for child in value]
    if entity.shape is not None:
        entity.shape(out)
    for name in internal:
        out.pop(name, None)
    return out
