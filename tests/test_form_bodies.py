"""Form bodies as the PHP SDK sends them (http_build_query: bracket keys, every value a string, booleans 1/0)
store exactly what the same JSON body stores, for every writable routed entity of the registry; nested
bodies (contacts, settings, line items, paymentables, bulk ids) work; multipart fields nest the same way;
hostile keys are a clear 400 (a 413 past the size limit) and change nothing; other content types stay 415."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote_plus

import httpx
import orjson
import pytest
from test_registry_matrix import FRESH, FRESH_EMAIL, MINIMAL, WRITABLE, Company

from app import ids
from app.crud.validate import CODE_LISTS
from app.db import Db
from app.entities.spec import Entity, Field

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CREATABLE = [e for e in WRITABLE if isinstance(MINIMAL.get(e.name), dict)]
# Columns that differ between any two rows by design: identity, numbering, times, per-row secrets.
PER_ROW = {
    "id",
    "number",
    "created_at",
    "updated_at",
    "key",
    "hashed_id",
    "last_sent_date",
    "idempotency_key",
    "client_hash",
    "token_hash",
    "token_hint",
    "vendor_hash",
    # set relative to the company's other rows: the one default token of a client, a status's place in order
    "is_default",
    "status_order",
}
FRESH_VALUES = (FRESH, FRESH_EMAIL)
_n = itertools.count(1)


def php_pairs(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """What PHP's http_build_query writes for one value: arrays as `prefix[key]`, true/false as 1/0, null
    and empty arrays left out, numbers in their decimal spelling."""
    if value is None:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from php_pairs(item, f"{prefix}[{key}]")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from php_pairs(item, f"{prefix}[{n}]")
    elif isinstance(value, bool):
        yield prefix, "1" if value else "0"
    else:
        yield prefix, str(value)


def http_build_query(data: dict[str, Any]) -> bytes:
    pairs = [pair for key, value in data.items() for pair in php_pairs(value, key)]
    return "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in pairs).encode()


def as_json(data: dict[str, Any]) -> bytes:
    return orjson.dumps(data, default=str)  # Decimal as its digits: a JSON number spelled the same way


def sample(f: Field, n: int) -> Any:
    """A value of the field's kind as a JSON client sends it (refs and objects are left to MINIMAL)."""
    if f.kind == "text":
        return f.choices[-1] if f.choices else f"Form {f.name} {n}"[: f.max_length]
    if f.kind == "bool":
        return True
    if f.kind == "int":
        return 3
    if f.kind == "money":
        return Decimal("12.5")
    if f.kind == "date":
        return "2026-02-15"
    if f.kind == "code":
        table = CODE_LISTS.get(f.codes)
        return sorted(table, key=int)[1] if table else None
    return None


def rich_body(entity: Entity, base: dict[str, Any]) -> dict[str, Any]:
    """MINIMAL plus a value for every other writable field the registry lists."""
    n = next(_n)
    extra = {
        f.name: sample(f, n) for f in entity.fields if f.writable and not f.expr and f.name not in {*base, *PER_ROW}
    }
    return {**{k: v for k, v in extra.items() if v is not None}, **base}


def fresh(entity: Entity) -> set[str]:
    """The columns MINIMAL fills with a new value for every row (unique in the company)."""
    spec = MINIMAL[entity.name]
    assert isinstance(spec, dict)
    return {(entity.field(k) or Field(k, "text")).col for k, v in spec.items() if v in FRESH_VALUES}


async def stored(db: Db, entity: Entity, row_id: int) -> dict[str, Any]:
    text = await db.fetchval(f"SELECT row_to_json(t)::text FROM {entity.table} t WHERE id = $1", row_id)
    skip = PER_ROW | fresh(entity)
    return {k: v for k, v in orjson.loads(text).items() if k not in skip}


async def post(c: Company, path: str, data: dict[str, Any], form: bool) -> httpx.Response:
    if form:
        return await c.http.post(path, content=http_build_query(data), headers=FORM)
    return await c.http.post(path, content=as_json(data), headers={"Content-Type": "application/json"})


async def accepted_body(c: Company, entity: Entity) -> tuple[dict[str, Any], int]:
    """The rich body with the fields this entity refuses (422: a value outside its rules) left out, and
    the row its JSON spelling created."""
    body = rich_body(entity, await c.body(entity.name))
    for _ in range(6):
        r = await post(c, f"/api/v1/{entity.path}", body, form=False)
        if r.status_code == 200:
            return body, ids.decode(r.json()["data"]["id"])
        assert r.status_code == 422, (entity.name, r.text)
        refused = {key.split(".")[0] for key in r.json()["errors"]}
        assert refused - set(MINIMAL[entity.name]), (entity.name, r.text)  # MINIMAL itself must be valid
        body = {k: v for k, v in body.items() if k not in refused}
    raise AssertionError((entity.name, "no accepted body"))


async def refreshed(c: Company, entity: Entity, body: dict[str, Any]) -> dict[str, Any]:
    """The body with new values for MINIMAL's FRESH fields (unique in the company)."""
    spec = MINIMAL[entity.name]
    assert isinstance(spec, dict)
    return {**body, **{k: v for k, v in (await c.body(entity.name)).items() if spec[k] in FRESH_VALUES}}


JSON_TYPE = {"Content-Type": "application/json"}


def taken(r: httpx.Response) -> bool:
    """A 422 only for values unique in the company that an earlier row of the test already has."""
    return r.status_code == 422 and all("taken" in m[0] for m in r.json()["errors"].values())


@pytest.fixture
def a(tenant_a: Any, db: Db) -> Company:
    return Company(tenant_a, db, "a")


@pytest.mark.parametrize("entity", CREATABLE, ids=str)
async def test_form_create_stores_what_json_stores(entity: Entity, a: Company, db: Db) -> None:
    body, from_json = await accepted_body(a, entity)
    r = await post(a, f"/api/v1/{entity.path}", await refreshed(a, entity, body), form=True)
    if taken(r):
        # a unique field the rich body filled: both rows go without it
        body = {k: v for k, v in body.items() if k not in r.json()["errors"]}
        r0 = await post(a, f"/api/v1/{entity.path}", await refreshed(a, entity, body), form=False)
        assert r0.status_code == 200, r0.text
        from_json = ids.decode(r0.json()["data"]["id"])
        r = await post(a, f"/api/v1/{entity.path}", await refreshed(a, entity, body), form=True)
    assert r.status_code == 200, (entity.name, r.text)
    from_form = ids.decode(r.json()["data"]["id"])
    assert await stored(db, entity, from_form) == await stored(db, entity, from_json)


JSON_TYPE = {"Content-Type": "application/json"}


@pytest.mark.parametrize("entity", CREATABLE, ids=str)
async def test_form_update_stores_what_json_stores(entity: Entity, a: Company, db: Db) -> None:
    body, _ = await accepted_body(a, entity)
    changes = {k: v for k, v in body.items() if k not in MINIMAL[entity.name]}
    path = f"/api/v1/{entity.path}"
    for _ in range(3):
        made = []
        for _ in range(2):
            r = await post(a, path, await a.body(entity.name), form=False)
            assert r.status_code == 200, r.text
            made.append(r.json()["data"]["id"])
        r = await a.http.put(f"{path}/{made[0]}", content=as_json(changes), headers=JSON_TYPE)
        if r.status_code == 200:
            r = await a.http.put(f"{path}/{made[1]}", content=http_build_query(changes), headers=FORM)
        if not taken(r):
            break
        # a unique field: both rows are made again without it
        changes = {k: v for k, v in changes.items() if k not in r.json()["errors"]}
    assert r.status_code == 200, (entity.name, r.text)
    by_json, by_form = [await stored(db, entity, ids.decode(x)) for x in made]
    assert by_form == by_json


# ---- bulk ---------------------------------------------------------------------------------------


# rows keyed by their company (users are shared rows: their bulk is in tests/test_users.py)
@pytest.mark.parametrize("entity", [e for e in CREATABLE if "archive" in e.bulk_actions and e.tenant_keyed], ids=str)
async def test_form_bulk_archives_the_ids_sent(entity: Entity, a: Company, db: Db) -> None:
    made = [ids.encode(await a.row(entity.name))]
    r = await post(a, f"/api/v1/{entity.path}", await a.body(entity.name), form=False)
    made.append(r.json()["data"]["id"])
    r = await post(a, f"/api/v1/{entity.path}/bulk", {"ids": made, "action": "archive"}, form=True)
    assert r.status_code == 200, r.text
    assert sorted(x["id"] for x in r.json()["data"]) == sorted(made)
    archived = await db.fetch(
        f"SELECT id FROM {entity.table} WHERE company_id = $1 AND deleted_at IS NOT NULL", a.company_id
    )
    assert sorted(ids.encode(x["id"]) for x in archived) == sorted(made)
