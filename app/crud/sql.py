"""SQL compiled from the registry. Identifiers only ever come from the specs; values are always binds.

A read returns the contract values directly (COALESCEd strings, epoch timestamps, string codes), and
every include becomes a correlated subquery aggregated to JSON in the same statement, so a page of
clients with contacts and documents is one round trip however many rows it has.
"""

from __future__ import annotations

from functools import lru_cache

from ..entities import REGISTRY
from ..entities.spec import Entity, Relation

Includes = tuple[tuple[str, "Includes"], ...]
MAX_INCLUDE_DEPTH = 3


@lru_cache(maxsize=1024)
def parse_includes(entity: Entity, raw: str, depth: int = 0, defaults: bool = True) -> Includes:
    """`contacts,activities.history` -> a canonical tree of known relations, defaults added at every
    level (as upstream's transformers do, unless `defaults` is off); unknown names are ignored."""
    wanted: dict[str, list[str]] = {name: [] for name in entity.default_includes} if defaults else {}
    for part in raw.split(","):
        head, _, rest = part.strip().partition(".")
        if head and entity.relation(head) is not None:
            wanted.setdefault(head, [])
            if rest:
                wanted[head].append(rest)
    if depth >= MAX_INCLUDE_DEPTH:
        return ()
    tree = []
    for name in sorted(wanted):
        rel = entity.relation(name)
        assert rel is not None
        tree.append((name, parse_includes(REGISTRY[rel.target], ",".join(wanted[name]), depth + 1, defaults)))
    return tuple(tree)


def _columns(entity: Entity, t: str, tree: Includes, depth: int) -> list[str]:
    cols = [f"{f.read_sql(t)} AS {f.name}" for f in entity.fields]
    for name, subtree in tree:
        rel = entity.relation(name)
        assert rel is not None
        cols.append(f"({_subquery(entity, rel, t, subtree, depth + 1)}) AS {name}")
    return cols


def _join(rel: Relation, parent: str, child: str) -> str:
    if rel.kind == "one":
        return f"{child}.company_id = {parent}.company_id AND {child}.id = {parent}.{rel.local}"
    if rel.morph:
        return (
            f"{child}.company_id = {parent}.company_id AND {child}.documentable_type = '{rel.morph}'"
            f" AND {child}.documentable_id = {parent}.id"
        )
    if rel.through:
        table, up, down = rel.through
        return (
            f"{child}.company_id = {parent}.company_id AND EXISTS (SELECT 1 FROM {table} j{child} WHERE "
            f"j{child}.company_id = {parent}.company_id AND j{child}.{up} = {parent}.id "
            f"AND j{child}.{down} = {child}.id)"
        )
    return f"{child}.company_id = {parent}.company_id AND {child}.{rel.fk} = {parent}.id"


def _subquery(parent: Entity, rel: Relation, t: str, tree: Includes, depth: int) -> str:
    target = REGISTRY[rel.target]
    c = f"t{depth}"
    where = _join(rel, t, c) + (f" AND {rel.where.format(t=c)}" if rel.where else "")
    inner = f"SELECT {', '.join(_columns(target, c, tree, depth))} FROM {target.table} {c} WHERE {where}"
    if rel.kind == "one":
        return f"SELECT to_json(x) FROM ({inner} LIMIT 1) x"
    return f"SELECT COALESCE(json_agg(x), '[]') FROM ({inner} ORDER BY {rel.order.format(t=c)}) x"


@lru_cache(maxsize=512)
def select_one(entity: Entity, tree: Includes) -> str:
    """One row by id, scoped: $1 company, $2 id."""
    scope = entity.scope.replace("?", "$1").format(t="t0")
    return f"SELECT {', '.join(_columns(entity, 't0', tree, 0))} FROM {entity.table} t0 WHERE {scope} AND t0.id = $2"


@lru_cache(maxsize=512)
def page_columns(entity: Entity, tree: Includes) -> str:
    return ", ".join(_columns(entity, "t0", tree, 0))


def select_page(entity: Entity, tree: Includes, where: str, order: str, n: int) -> str:
    """A page: the inner query picks ids with LIMIT/OFFSET (an index walk in sort order), and only those rows
    get their includes computed. `where`/`order` use t0 and binds $1..$n-1; $n and $n+1 are limit, offset.
    The total is a separate count (`count_rows`): a window count would read every matching row per page."""
    keys = "t0.company_id, t0.id" if entity.tenant_keyed else "t0.id"
    inner = (
        f"SELECT {keys}, row_number() OVER (ORDER BY {order}) AS _pos FROM {entity.table} t0 "
        f"WHERE {where} ORDER BY {order} LIMIT ${n} OFFSET ${n + 1}"
    )
    key = "t0.company_id = p.company_id AND t0.id = p.id" if entity.tenant_keyed else "t0.id = p.id"
    return f"SELECT {page_columns(entity, tree)} FROM ({inner}) p JOIN {entity.table} t0 ON {key} ORDER BY p._pos"


def count_rows(entity: Entity, where: str) -> str:
    return f"SELECT count(*) FROM {entity.table} t0 WHERE {where}"


@lru_cache(maxsize=512)
def select_related(entity: Entity, rel: Relation, tree: Includes) -> str:
    """Children of many parents in one statement (GraphQL loaders): $1 company, $2 parent ids.
    Each row carries `_parent`, the id of the parent it belongs to."""
    target = REGISTRY[rel.target]
    cols = ", ".join(_columns(target, "t0", tree, 0))
    if rel.kind == "one":
        return (
            f"SELECT {cols}, t0.id AS _parent FROM {target.table} t0 "
            f"WHERE t0.company_id = $1 AND t0.id = ANY($2::bigint[])"
        )
    if rel.through:
        table, up, down = rel.through
        extra = f" AND {rel.where.format(t='t0')}" if rel.where else ""
        return (
            f"SELECT {cols}, j._parent FROM {target.table} t0 JOIN (SELECT DISTINCT company_id, {up} AS _parent, "
            f"{down} AS _child FROM {table} WHERE company_id = $1 AND {up} = ANY($2::bigint[])) j "
            f"ON t0.company_id = j.company_id AND t0.id = j._child WHERE t0.company_id = $1{extra} "
            f"ORDER BY {rel.order.format(t='t0')}"
        )
    if rel.morph:
        cond, key = (
            f"t0.documentable_type = '{rel.morph}' AND t0.documentable_id = ANY($2::bigint[])",
            "documentable_id",
        )
    else:
        cond, key = f"t0.{rel.fk} = ANY($2::bigint[])", rel.fk
    extra = f" AND {rel.where.format(t='t0')}" if rel.where else ""
    return (
        f"SELECT {cols}, t0.{key} AS _parent FROM {target.table} t0 WHERE t0.company_id = $1 "
        f"AND {cond}{extra} ORDER BY {rel.order.format(t='t0')}"
    )
