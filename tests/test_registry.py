"""The registry (app/entities) against the real schema (db/schema.sql as applied to the test database):
every field column, filter, sort and relation points at tables and columns that exist, with fitting types,
and every tenant table carries company_id. Each SQL fragment is also compiled by PostgreSQL itself."""

from __future__ import annotations

from typing import Any

import pytest

from app.crud import sql
from app.crud.query import Binder
from app.crud.validate import CODE_LISTS
from app.db import Db
from app.entities import REGISTRY

# tables that are not owned by one company
GLOBAL_TABLES = {"schema_migrations", "accounts", "companies", "users", "rate_limits"}
# kind -> the information_schema data types a column of that kind may have
KIND_TYPES = {
    "id": {"bigint", "integer"},
    "ref": {"bigint", "integer"},
    "text": {"text", "character varying"},
    "bool": {"boolean"},
    "int": {"integer", "bigint", "smallint"},
    "money": {"numeric"},
    "code": {"integer", "smallint", "bigint"},
    "object": {"jsonb"},
    "array": {"jsonb"},
    "date": {"date"},
    "ts": {"timestamp with time zone"},
}
# raw values tried, in order, until a filter builds a condition from one of them
SAMPLES = (
    "VolejRejNm",
    "1",
    "100:gt",
    "10:100",
    "2020-01-01",
    "true",
    "x",
    "pdf",
    "active",
    "draft,sent,paid,unpaid,overdue,cancelled,partial",
    "invoiced,uninvoiced",
    "2020-01-01,2020-12-31",
    "date,2020-01-01,2020-12-31",
    "unmatched,matched,converted,deposits,withdrawals",
)

ENTITIES = sorted(REGISTRY)
FILTERS = [(e, flt.param) for e in ENTITIES for flt in REGISTRY[e].filters]
SORTS = [(e, key) for e in ENTITIES for key in REGISTRY[e].sorts]
RELATIONS = [(e, rel.name) for e in ENTITIES for rel in REGISTRY[e].relations]


async def columns(db: Db) -> dict[str, dict[str, dict[str, Any]]]:
    rows = await db.fetch(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema()"
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["table_name"], {})[r["column_name"]] = dict(r)
    return out


async def compiles(db: Db, statement: str, *binds: Any) -> None:
    """PostgreSQL parses, resolves and type-checks the statement (LIMIT 0 / no rows), in a savepoint so a
    failure does not poison the test transaction."""
    async with db.transaction():
        await db.fetch(statement, *binds)


# ---- tables and fields -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ENTITIES)
async def test_entity_table_and_field_columns(db: Db, name: str) -> None:
    entity = REGISTRY[name]
    schema = await columns(db)
    assert entity.table in schema, entity.table
    table = schema[entity.table]
    problems = []
    for f in entity.fields:
        if f.expr:
            continue
        column = table.get(f.col)
        if column is None:
            problems.append(f"{f.name}: no column {entity.table}.{f.col}")
        elif column["data_type"] not in KIND_TYPES[f.kind]:
            problems.append(f"{f.name}: {f.kind} field on a {column['data_type']} column")
    assert problems == []
    if entity.soft_delete:
        assert {"deleted_at", "is_deleted"} <= set(table), entity.table
    if entity.tenant_keyed:
        assert "company_id" in table


@pytest.mark.parametrize("name", ENTITIES)
async def test_entity_reads_compile(db: Db, name: str) -> None:
    """Every field expression (computed ones too) and every relation, as the list and show queries use them."""
    entity = REGISTRY[name]
    everything = ",".join(rel.name for rel in entity.relations)
    tree = sql.parse_includes(entity, everything)
    await compiles(db, sql.select_one(entity, tree), 1, 1)
    where = entity.scope.replace("?", "$1").format(t="t0")
    await compiles(db, sql.select_page(entity, tree, where, entity.default_order.format(t="t0"), 2), 1, 1, 0)


@pytest.mark.parametrize("name", ENTITIES)
async def test_field_declarations(name: str) -> None:
    entity = REGISTRY[name]
    names = [f.name for f in entity.fields]
    assert len(names) == len(set(names)), "duplicate field names"
    assert names[0] == "id" or entity.field("id") is not None or entity.name == "company_ledger"
    for f in entity.fields:
        if f.kind == "ref" and f.writable:
            assert f.target in REGISTRY, f"{f.name} refers to unknown entity {f.target!r}"
        if f.kind == "code" and f.writable:
            assert f.codes in CODE_LISTS, f"{f.name}: unknown code list {f.codes!r}"
    for include in entity.default_includes:
        assert entity.relation(include) is not None, include


# ---- filters and sorts -----------------------------------------------------------------------------


@pytest.mark.parametrize("name,param", FILTERS, ids=["-".join(p) for p in FILTERS])
async def test_filter_compiles(db: Db, name: str, param: str) -> None:
    entity = REGISTRY[name]
    flt = next(x for x in entity.filters if x.param == param)
    assert param not in {"page", "per_page", "include", "index", "sort", "status"}, "shadows a list parameter"
    built = None
    for raw in SAMPLES:
        built = flt.build(raw)
        if built is not None:
            break
    assert built is not None, f"{param}: no sample value builds a condition"
    b = Binder(1)
    condition = b.add(built[0].format(t="t0"), built[1])
    scope = entity.scope.replace("?", "$1").format(t="t0")
    await compiles(db, f"SELECT t0.id FROM {entity.table} t0 WHERE {scope} AND ({condition}) LIMIT 0", *b.values)


@pytest.mark.parametrize("name,key", [pytest.param(*p, id="-".join(p)) for p in SORTS])
async def test_sort_compiles(db: Db, name: str, key: str) -> None:
    entity = REGISTRY[name]
    expr = entity.sorts[key].format(t="t0")
    assert ";" not in expr
    await compiles(db, f"SELECT t0.id FROM {entity.table} t0 ORDER BY {expr} DESC NULLS LAST, t0.id LIMIT 0")


# ---- relations -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,relation", [pytest.param(*p, id="-".join(p)) for p in RELATIONS])
async def test_relation_points_at_real_columns(db: Db, name: str, relation: str) -> None:
    entity = REGISTRY[name]
    rel = entity.relation(relation)
    assert rel is not None and rel.target in REGISTRY, rel
    target = REGISTRY[rel.target]
    schema = await columns(db)
    if rel.kind == "one":
        assert rel.local in schema[entity.table], f"{entity.table}.{rel.local}"
        assert entity.field(rel.local) is not None
    elif rel.morph:
        assert {"documentable_type", "documentable_id"} <= set(schema[target.table])
        assert rel.morph == entity.path, "documents are stored under the parent's path"
    elif rel.through:
        pivot, up, down = rel.through
        assert pivot in schema, pivot
        assert {"company_id", up, down} <= set(schema[pivot]), (pivot, up, down)
    else:
        assert rel.fk in schema[target.table], f"{target.table}.{rel.fk}"
    assert "company_id" in schema[target.table], "includes are joined on the company too"
    if rel.kind == "many" or rel.morph:
        await compiles(db, sql.select_related(entity, rel, ()), 1, [1])


# ---- tenancy of the schema ----------------------------------------------------------------------------


async def test_every_tenant_table_has_company_id(db: Db) -> None:
    schema = await columns(db)
    problems = []
    for table, cols in sorted(schema.items()):
        if table in GLOBAL_TABLES:
            continue
        column = cols.get("company_id")
        if column is None:
            problems.append(f"{table}: no company_id")
        elif column["is_nullable"] != "NO":
            problems.append(f"{table}: company_id is nullable")
    assert problems == []


async def test_tenant_primary_keys_start_with_company_id(db: Db) -> None:
    rows = await db.fetch(
        """SELECT tc.table_name, array_agg(kcu.column_name::text ORDER BY kcu.ordinal_position) AS cols
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name
            AND kcu.table_schema = tc.table_schema
           WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = current_schema()
           GROUP BY tc.table_name"""
    )
    keys = {r["table_name"]: list(r["cols"]) for r in rows}
    for table, cols in keys.items():
        if table not in GLOBAL_TABLES:
            assert cols[0] == "company_id", (table, cols)


async def test_registry_covers_the_tenant_tables_it_claims(db: Db) -> None:
    schema = await columns(db)
    for entity in REGISTRY.values():
        assert entity.table in schema
        if entity.tenant_keyed:
            assert entity.table not in GLOBAL_TABLES
