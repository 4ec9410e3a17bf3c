"""The registry vocabulary: an Entity declares its table, fields, filters, sorts and relations.

Generic code reads these specs to build SQL, REST routes, GraphQL types and JSON shapes. SQL fragments
here are templates: `{t}` is the table alias and `{p}` a bind parameter, both filled in by app.crud.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["id", "text", "bool", "int", "money", "ref", "code", "object", "array", "date", "ts"]


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    column: str = ""
    writable: bool = True
    max_length: int = 191
    target: str = ""  # ref: the entity a hashed id must point to (same company)
    codes: str = ""  # code: the statics list its values must belong to
    default: Any = None  # value on create when the client sends nothing
    choices: tuple[str, ...] = ()
    expr: str = ""  # read-only computed SQL expression (overrides the column)
    internal: bool = False  # selected for a shape hook, removed before serialising
    column_type: str = "integer"  # int/code: the column's integer type, whose range the validator enforces
    typed_settings: bool = False  # object: settings overrides, each key typed like the company setting

    @property
    def col(self) -> str:
        return self.column or self.name

    def read_sql(self, t: str) -> str:
        """The SQL expression that yields this field's contract value (never NULL)."""
        if self.expr:
            return self.expr.format(t=t)
        c = f"{t}.{self.col}"
        return {
            "id": c,
            "text": f"COALESCE({c}, '')",
            "bool": c,
            "int": c,
            "ref": c,
            "money": f"{c}::float8",
            "code": f"COALESCE({c}::text, '')",
            "object": f"COALESCE({c}, '{{}}'::jsonb)",
            "array": f"COALESCE({c}, '[]'::jsonb)",
            "date": f"COALESCE(to_char({c}, 'YYYY-MM-DD'), '')",
            "ts": f"COALESCE(EXTRACT(EPOCH FROM {c})::bigint, 0)",
        }[self.kind]


def text(name: str, max_length: int = 191, **kw: Any) -> Field:
    return Field(name, "text", max_length=max_length, **kw)


def boolean(name: str, default: bool = False, **kw: Any) -> Field:
    return Field(name, "bool", default=default, **kw)


def integer(name: str, **kw: Any) -> Field:
    return Field(name, "int", **kw)


def money(name: str, writable: bool = False, **kw: Any) -> Field:
    return Field(name, "money", writable=writable, **kw)


def ref(name: str, target: str, **kw: Any) -> Field:
    return Field(name, "ref", target=target, **kw)


def code(name: str, codes: str, **kw: Any) -> Field:
    return Field(name, "code", codes=codes, **kw)


def obj(name: str, **kw: Any) -> Field:
    return Field(name, "object", **kw)


def date(name: str, **kw: Any) -> Field:
    return Field(name, "date", **kw)


def ts(name: str, column: str = "", **kw: Any) -> Field:
    return Field(name, "ts", column=column, writable=False, **kw)


def custom_values(n: int = 4) -> tuple[Field, ...]:
    return tuple(text(f"custom_value{i}") for i in range(1, n + 1))


Built = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Filter:
    """A list filter named by a query/body parameter. `build` turns the raw string into an SQL condition
    (with `{t}` for the alias and `?` for each bind) and its values; None skips the filter, as upstream
    ignores values it cannot use."""

    param: str
    build: Callable[[str], Built | None]


@dataclass(frozen=True)
class Relation:
    """An include: `many` rows whose `fk` points at the parent, or `one` row the parent's `local` names.
    `morph` is the documentable_type for polymorphic children (documents). `through` = (pivot table, its
    column naming the parent, its column naming the child): many rows reached through a pivot table
    (invoice.payments through paymentables)."""

    name: str
    target: str
    kind: Literal["many", "one"] = "many"
    fk: str = ""
    local: str = ""
    morph: str = ""
    order: str = "{t}.id"
    where: str = ""  # extra condition on the child rows, e.g. not soft-deleted
    through: tuple[str, ...] = ()  # (pivot table, column naming the parent, column naming the child)


@dataclass(frozen=True, eq=False)  # identity hash: specs are singletons, used as cache keys
class Entity:
    name: str  # singular, e.g. "client"
    table: str
    fields: tuple[Field, ...]
    plural: str = ""
    label: str = ""  # "Client" in "Client not found"
    search: str = ""  # ?filter= SQL condition, {t} and {p} (a LIKE pattern)
    filters: tuple[Filter, ...] = ()
    sorts: dict[str, str] = field(default_factory=dict)  # sort key -> SQL expression with {t}
    relations: tuple[Relation, ...] = ()
    default_includes: tuple[str, ...] = ()
    routes: bool = True  # exposed as /api/v1/<plural> CRUD
    soft_delete: bool = True  # deleted_at + is_deleted columns
    bulk_actions: tuple[str, ...] = ("archive", "restore", "delete")
    documents: bool = False  # accepts uploads (documentable_type = plural)
    activity: dict[str, int] = field(default_factory=dict)  # action -> activity_type_id
    number_counter: str = ""  # settings key prefix for numbering, e.g. "client"
    scope: str = "{t}.company_id = ?"  # tenant condition; ? is the company id
    writable: bool = True  # store/update/destroy/bulk routes exist
    default_order: str = "{t}.id"
    shape: Callable[[dict[str, Any]], None] | None = None  # per-row hook after the generic transform
    owned_by: str = "user_id"  # the field naming the member a row is "own" to without view/edit rights

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        return self.plural or self.name + "s"

    @property
    def tenant_keyed(self) -> bool:
        """Rows keyed by (company_id, id); global tables (users) are scoped through a join instead."""
        return self.scope.startswith("{t}.company_id")

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").title()

    def relation(self, name: str) -> Relation | None:
        for rel in self.relations:
            if rel.name == name:
                return rel
        return None

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None
