"""List parameters -> WHERE / ORDER BY with binds, from the entity's declared filters and sorts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import ids
from ..entities.spec import Entity
from ..errors import Invalid

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 5000
STATUS_SQL = {
    "active": "{t}.deleted_at IS NULL",
    "archived": "({t}.deleted_at IS NOT NULL AND {t}.is_deleted = false)",
    "deleted": "{t}.is_deleted = true",
}


def positive_int(value: Any, default: int, cap: int) -> int:
    """Clamped rather than rejected (docs/decisions.md): a value that is not a positive integer (`undefined`,
    `abc`, `0`, `-1`, `1.5`) is the default; a larger one than `cap` is `cap`."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit():
        return default
    digits = text.lstrip("0")
    number = int(digits) if 0 < len(digits) <= 18 else (cap if digits else 0)
    return min(number, cap) if number > 0 else default


@dataclass
class ListQuery:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    include: str = ""
    params: dict[str, str] = field(default_factory=dict)
    defaults: bool = True  # add the entity's default includes (REST); GraphQL asks only for what it selects

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> ListQuery:
        flat = {k: v.strip() for k, v in params.items() if isinstance(v, str) and v.strip() != ""}
        for key, value in flat.items():
            # PostgreSQL text cannot hold NUL: a clear 422 instead of a driver error
            if "\x00" in value or "\x00" in key:
                raise Invalid(
                    {key.replace("\x00", ""): [f"The {key.replace(chr(0), '')} must not contain NUL characters."]}
                )
        return cls(
            page=positive_int(flat.get("page"), 1, 10**9),
            per_page=positive_int(flat.get("per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE),
            include=flat.get("include", ""),
            params=flat,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


class Binder:
    """Turns `?` placeholders into asyncpg's numbered `$n`, collecting the values in order."""

    def __init__(self, *initial: Any) -> None:
        self.values: list[Any] = list(initial)

    def add(self, sql: str, values: tuple[Any, ...]) -> str:
        parts = sql.split("?")
        if len(parts) - 1 != len(values):
            raise ValueError("placeholder count mismatch")
        out = [parts[0]]
        for value, rest in zip(values, parts[1:], strict=True):
            self.values.append(value)
            out.append(f"${len(self.values)}{rest}")
        return "".join(out)


def render(entity: Entity, q: ListQuery, company_id: int, own_user: int | None = None) -> tuple[str, str, list[Any]]:
    """-> (where, order, binds). `own_user` limits rows to those the user created or is assigned."""
    b = Binder()
    conditions = [b.add(entity.scope.format(t="t0"), (company_id,))]
    if own_user is not None and entity.field(entity.owned_by) is not None:
        assigned = " OR t0.assigned_user_id = ?" if entity.field("assigned_user_id") else ""
        owner = entity.field(entity.owned_by)
        assert owner is not None
        column = f"t0.{owner.col}"
        conditions.append(b.add(f"({column} = ?{assigned})", (own_user,) * (2 if assigned else 1)))
    elif own_user is not None:
        conditions.append("false")  # nothing is anyone's own: without the view right, nothing is listed
    narrowing: list[str] = []
    statuses = q.params.get("status", "")
    if entity.soft_delete and statuses:
        chosen = [STATUS_SQL[s.strip()].format(t="t0") for s in statuses.split(",") if s.strip() in STATUS_SQL]
        if chosen and len(chosen) < len(STATUS_SQL):
            narrowing.append("(" + " OR ".join(chosen) + ")")
    for flt in entity.filters:
        raw = q.params.get(flt.param)
        if raw is None:
            continue
        built = flt.build(raw)
        if built is not None:
            narrowing.append(b.add(built[0].format(t="t0"), built[1]))
    pinned = ids.decode_or_none(q.params.get("with", "")) if q.params.get("with") else None
    if narrowing:
        narrowed = " AND ".join(narrowing)
        if pinned is not None:
            narrowed = f"({narrowed}) OR " + b.add("t0.id = ?", (pinned,))
        conditions.append(f"({narrowed})")
    order = _order(entity, q.params.get("sort", ""))
    if pinned is not None:  # an int decoded from a hashid: inlined, so every bind belongs to `where`
        order = f"(t0.id = {int(pinned)}) DESC, " + order
    return " AND ".join(conditions), order, b.values


def _order(entity: Entity, sort: str) -> str:
    """`sort=col|dir` on the allow-list; anything else falls back to the default order."""
    parts = sort.split("|")
    # upstream: exactly `column|direction`, otherwise the sort is ignored
    column, direction = (parts[0], parts[1]) if len(parts) == 2 else ("", "")
    expr = entity.sorts.get(column.strip()) if column.strip() else None
    if expr is None:
        default = entity.default_order.format(t="t0")
        return default if default.endswith("t0.id") or "t0.id " in default else f"{default}, t0.id"
    # NULLs sort lowest, as in upstream's MySQL; one (company_id, col NULLS FIRST, id) index serves both ways.
    if direction.strip().lower() == "asc":
        return f"{expr.format(t='t0')} ASC NULLS FIRST, t0.id ASC"
    return f"{expr.format(t='t0')} DESC NULLS LAST, t0.id DESC"
