"""Object types generated from the registry: one per entity, its fields from the entity's Field specs and
one field per Relation, plus `Pagination` and a `<Type>Page` per listed entity.

Names follow strawberry's default auto_camel_case: `id_number` is `idNumber`, `group_settings` is
`groupSettings`. Plain fields read the shaped dict (see context.read), so values equal REST's. A relation
reads the rows the service already included in the parent's statement (its default includes) and
otherwise asks the per-request loader, which fetches the children of every parent in one statement.

The generated classes live in this module's namespace so relation return types can name them before
they exist (cycles such as invoice.client / client.invoices are fine).
"""

from __future__ import annotations

import inspect
import keyword
from types import GenericAlias
from typing import Any

import strawberry

from app.services import REGISTRY, Entity, Field, Relation

from . import company_user
from .context import Node
from .scalars import JSON, HashID

KIND_TYPES: dict[str, Any] = {
    "id": HashID,
    "ref": HashID,
    "text": str,
    "bool": bool,
    "int": int | None,
    "money": float,
    "code": str,
    "object": JSON,
    "array": JSON,
    "date": str,
    "ts": int,
}
_P = inspect.Parameter
# Fields beyond the registry's, by entity: what REST adds with an include the registry cannot say.
EXTRA_FIELDS: dict[str, dict[str, Any]] = {"user": {"company_user": company_user.company_user}}


def type_name(entity: Entity) -> str:
    """`client_contact` -> `ClientContact`."""
    return "".join(part[:1].upper() + part[1:] for part in entity.name.split("_"))


def _field_type(f: Field) -> Any:
    return KIND_TYPES[f.kind]


def _exposed(f: Field) -> bool:
    return not f.internal and f.name.isidentifier() and not keyword.iskeyword(f.name)


def _relation_field(entity: Entity, rel: Relation) -> Any:
    target = type_name(REGISTRY[rel.target])
    many = rel.kind == "many"
    key = "id" if many else rel.local
    name = rel.name

    def resolve(root: Node, info: strawberry.Info) -> Any:
        if name in root.row:  # included by the service in the parent's own statement
            raw = root.row[name]
            if many:
                return [Node(d, r) for d, r in zip(root.data[name], raw, strict=False)]
            return None if raw is None else Node(root.data[name], raw)
        parent_key = root.row[key]
        if parent_key is None:
            return None
        return info.context.loader(entity, rel).load(parent_key)

    # inspect.signature honours __signature__ on any callable; typeshed does not declare it on functions
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [_P("root", _P.POSITIONAL_OR_KEYWORD), _P("info", _P.POSITIONAL_OR_KEYWORD, annotation=strawberry.Info)],
        return_annotation=f"list[{target}]" if many else f"{target} | None",
    )
    resolve.__name__ = name
    what = f"The {rel.target} rows" if many else f"The {rel.target}"
    return strawberry.field(resolver=resolve, description=f"{what} of this {entity.name} (one query per page).")


def _define(name: str, namespace: dict[str, Any], description: str | None = None) -> Any:
    namespace["__module__"] = __name__
    cls = strawberry.type(type(name, (), namespace), description=description)
    globals()[name] = cls
    return cls


def _build_object(entity: Entity) -> Any:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for f in entity.fields:
        if _exposed(f):
            annotations[f.name] = _field_type(f)
    for rel in entity.relations:
        if entity.field(rel.name) is not None or not rel.name.isidentifier():
            raise ValueError(f"{entity.name}.{rel.name}: a relation needs a name of its own")
        namespace[rel.name] = _relation_field(entity, rel)
    namespace.update(EXTRA_FIELDS.get(entity.name, {}))
    return _define(type_name(entity), namespace, f"{entity.title} (registry entity `{entity.name}`)")


@strawberry.type(description="Counts of a list page, as REST's meta.pagination (without links).")
class Pagination:
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int


OBJECTS: dict[str, Any] = {name: _build_object(entity) for name, entity in REGISTRY.items()}


def object_type(entity: Entity) -> Any:
    return OBJECTS[entity.name]


def page_type(entity: Entity) -> Any:
    name = f"{type_name(entity)}Page"
    found = globals().get(name)
    if found is None:
        found = _define(
            name,
            {
                "__annotations__": {
                    "items": GenericAlias(list, (object_type(entity),)),  # list[...] of a runtime value
                    "pagination": Pagination,
                }
            },
            f"A page of {entity.path}",
        )
    return found
