"""The floor: what the benchmark scenarios cost with no framework at all.

A bare ASGI callable (`uvicorn benchmarks.floor:app`) with an asyncpg pool, orjson and memoised hashids. It
answers the same requests with the same SQL and the same JSON as the server, but with no authentication
(X-API-TOKEN is only looked up in the FLOOR_TOKENS map the harness passes: token -> company, user, token
ids), no routing framework, no middleware, no `databases` layer and no per-request query parsing: each
distinct request shape is compiled once, on first use, with the server's
own SQL builders (`app.crud.sql`, `app.crud.query.render`), and later requests only bind a page and an id.
The pool skips asyncpg's per-release reset query (this code never changes session state).

Anything the server spends per request above this is overhead of the stack, which is what the ratio to the
floor measures. The harness checks that both answer with equal JSON.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
import orjson
from hashids import Hashids

from app.crud import sql as app_sql
from app.crud.query import ListQuery, positive_int, render
from app.entities import REGISTRY, by_path
from app.entities.spec import Entity
from app.settings import Settings, activate

activate(Settings.from_env())
# token -> (company_id, user_id, token_id)
TOKENS: dict[bytes, tuple[int, int, int]] = {
    k.encode(): tuple(v) for k, v in json.loads(os.environ.get("FLOOR_TOKENS", "{}")).items()
}  # type: ignore[misc]
Who = tuple[int, int, int]
_codec = Hashids(salt=os.environ.get("HASH_SALT", ""), min_length=10)
_enc: dict[int, str] = {}
_dec: dict[str, int | None] = {}
pool: asyncpg.Pool | None = None
Shaper = Callable[[Any], dict[str, Any]]


def enc(value: int) -> str:
    text = _enc.get(value)
    if text is None:
        text = _enc[value] = _codec.encode(value)
    return text


def dec(text: str) -> int | None:
    if text in _dec:
        return _dec[text]
    numbers = _codec.decode(text) if 0 < len(text) <= 64 else ()
    value = _dec[text] = int(numbers[0]) if len(numbers) == 1 else None
    return value


def make_shaper(entity: Entity, tree: app_sql.Includes) -> Shaper:
    """Row -> contract dict, planned once per (entity, includes): hashed refs, nested includes, hooks."""
    refs = tuple(f.name for f in entity.fields if f.kind in ("id", "ref"))
    internal = tuple(f.name for f in entity.fields if f.internal)
    hook = entity.shape
    kids = []
    for name, subtree in tree:
        rel = entity.relation(name)
        assert rel is not None
        kids.append((name, rel.kind == "one", make_shaper(REGISTRY[rel.target], subtree)))

    def shape(row: Any) -> dict[str, Any]:
        out = dict(row)
        for name in refs:
            v = out[name]
            out[name] = "" if v is None else (_enc.get(v) or enc(v))
        for name, one, sub in kids:
            v = out[name]
            if one:
                if v is None:
                    del out[name]
                else:
                    out[name] = sub(v)
            else:
                out[name] = [sub(c) for c in v] if v else []
        if hook is not None:
            hook(out)
        for name in internal:
            out.pop(name, None)
        return out

    return shape


# ---- compiled request shapes -------------------------------------------------------------------------
_one: dict[tuple[str, str], tuple[str, Shaper]] = {}
_list: dict[tuple[int, str, tuple[tuple[str, str], ...]], tuple[str, list[Any], str, Shaper, int]] = {}


def compiled_one(entity: Entity, include: str) -> tuple[str, Shaper]:
    key = (entity.name, include)
    hit = _one.get(key)
    if hit is None:
        tree = app_sql.parse_includes(entity, include)
        hit = _one[key] = (app_sql.select_one(entity, tree), make_shaper(entity, tree))
    return hit


def compiled_list(company: int, entity: Entity, params: dict[str, str]) -> tuple[str, list[Any], str, Shaper, int]:
    key = (company, entity.name, tuple(sorted((k, v) for k, v in params.items() if k != "page")))
    hit = _list.get(key)
    if hit is None:
        q = ListQuery.parse({k: v for k, v in params.items() if k != "page"})
        tree = app_sql.parse_includes(entity, q.include)
        where, order, binds = render(entity, q, company)
        statement = app_sql.select_page(entity, tree, where, order, len(binds) + 1)
        count = app_sql.count_rows(entity, where)
        hit = _list[key] = (statement, binds, count, make_shaper(entity, tree), q.per_page)
    return hit


# ---- ASGI --------------------------------------------------------------------------------------------
async def _init(conn: asyncpg.Connection) -> None:
    for kind in ("jsonb", "json"):
        await conn.set_type_codec(
            kind, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


async def respond(send: Any, status: int, payload: Any) -> None:
    body = orjson.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    kind = scope["type"]
    if kind == "http":
        await http(scope, receive, send)
    elif kind == "lifespan":
        await lifespan(receive, send)


async def lifespan(receive: Any, send: Any) -> None:
    global pool
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                pool = await asyncpg.create_pool(
                    os.environ["FLOOR_DATABASE_URL"],
                    min_size=2,
                    max_size=int(os.environ.get("DB_POOL_MAX", "10")),
                    init=_init,
                    statement_cache_size=1024,
                    reset=_no_reset,
                )
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if pool is not None:
                await pool.close()
            await send({"type": "lifespan.shutdown.complete"})
            return


async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path: str = scope["path"]
    method: str = scope["method"]
    parts = path.split("/")  # ["", "api", "v1", plural, id?]
    entity = by_path(parts[3]) if len(parts) in (4, 5) and path.startswith("/api/v1/") else None
    if entity is None:
        await respond(send, 404, {"message": "Route does not exist", "errors": {}})
        return
    who = None
    for k, v in scope["headers"]:
        if k == b"x-api-token":
            who = TOKENS.get(v)
            break
    if who is None:
        await respond(send, 403, {"message": "Invalid token", "errors": {}})
        return
    company = who[0]
    assert pool is not None
    if method == "GET" and len(parts) == 5:
        entity_id = dec(parts[4])
        params = dict(parse_qsl(scope["query_string"].decode("latin-1"))) if scope["query_string"] else {}
        statement, shape = compiled_one(entity, params.get("include", ""))
        row = None if entity_id is None else await pool.fetchrow(statement, company, entity_id)
        if row is None:
            await respond(send, 404, {"message": f"{entity.title} not found", "errors": {}})
            return
        await respond(send, 200, {"data": shape(row)})
    elif method == "GET":
        params = dict(parse_qsl(scope["query_string"].decode("latin-1")))
        await index(scope, send, company, entity, params)
    elif method == "POST" and len(parts) == 4 and entity.name == "client":
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        form = any(k == b"content-type" and v.startswith(FORM) for k, v in scope["headers"])
        await create_client(send, who, form_fields(body) if form else orjson.loads(body or b"{}"))
    else:
        await respond(send, 404, {"message": "Route does not exist", "errors": {}})


async def index(scope: dict[str, Any], send: Any, company: int, entity: Entity, params: dict[str, str]) -> None:
    statement, binds, count, shape, per_page = compiled_list(company, entity, params)
    page = positive_int(params.get("page"), 1, 10**9)
    assert pool is not None
    rows = await pool.fetch(statement, *binds, per_page, (page - 1) * per_page)
    if page == 1 and len(rows) < per_page:
        total = len(rows)
    else:
        total = await pool.fetchval(count, *binds)
    pages = max(1, -(-total // per_page))
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "127.0.0.1")
    base = f"{scope.get('scheme', 'http')}://{host}{scope['path']}"
    links = {}
    if page > 1:
        links["previous"] = f"{base}?page={page - 1}"
    if page < pages:
        links["next"] = f"{base}?page={page + 1}"
    await respond(
        send,
        200,
        {
            "data": [shape(r) for r in rows],
            "meta": {
                "pagination": {
                    "total": total,
                    "count": len(rows),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": pages,
                    "links": links,
                }
            },
        },
    )


# ---- S5: create a client with its contacts (the server's effects, in the fewest statements) ----------
FORM = b"application/x-www-form-urlencoded"


def form_fields(body: bytes) -> dict[str, Any]:
    """S5f's url-encoded body (`name=..&contacts[0][email]=..`, brackets percent-encoded) -> S5's JSON tree:
    plain fields, and the one nesting it sends, `contacts[i][field]`, as a list in index order."""
    data: dict[str, Any] = {}
    contacts: dict[int, dict[str, str]] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        name, _, rest = key.partition("[")
        if not rest:
            data[name] = value
        elif name == "contacts":
            index, _, field = rest.partition("][")
            contacts.setdefault(int(index), {})[field.rstrip("]")] = value
    if contacts:
        data["contacts"] = [contacts[i] for i in sorted(contacts)]
    return data


LOCK_COMPANY = "SELECT settings FROM companies WHERE id = $1 FOR UPDATE"
NUMBER_TAKEN = "SELECT 1 FROM clients WHERE company_id = $1 AND number = $2"
SET_COUNTER = "UPDATE companies SET settings = jsonb_set(settings, $2::text[], to_jsonb($3::int)) WHERE id = $1"
INSERT_CLIENT = (
    "INSERT INTO clients (company_id, user_id, name, number, settings, client_hash, country_id, website, city) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
)
INSERT_CONTACTS = (
    "INSERT INTO client_contacts (company_id, client_id, user_id, first_name, last_name, email, "
    "phone, is_primary, contact_key) SELECT $1, $2, $3, f, l, e, p, pr, k FROM "
    "unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::text[]) "
    "AS c(f, l, e, p, pr, k)"
)
INSERT_ACTIVITY = (
    "INSERT INTO activities (company_id, user_id, token_id, activity_type_id, client_id) VALUES ($1, $2, $3, 1, $4)"
)


async def create_client(send: Any, who: Who, data: dict[str, Any]) -> None:
    company, user, token_id = who
    contacts = [c for c in data.get("contacts") or [] if isinstance(c, dict)] or [{}]
    select_one, shape = compiled_one(REGISTRY["client"], "")
    assert pool is not None
    async with pool.acquire() as conn, conn.transaction():
        settings = await conn.fetchval(LOCK_COMPANY, company)
        counter = max(1, int(settings.get("client_number_counter") or 1))
        padding = int(settings.get("counter_padding", 4))
        while True:
            number = str(counter).zfill(padding)
            counter += 1
            if await conn.fetchval(NUMBER_TAKEN, company, number) is None:
                break
        await conn.execute(SET_COUNTER, company, ["client_number_counter"], counter)
        country = str(settings.get("country_id") or "")
        client_settings = {
            "entity": "App\\Models\\Client",
            "industry_id": "",
            "size_id": "",
            "currency_id": str(settings.get("currency_id") or "1"),
        }
        client_id = await conn.fetchval(
            INSERT_CLIENT,
            company,
            user,
            str(data.get("name") or "").strip(),
            number,
            client_settings,
            secrets.token_hex(20),
            int(country) if country.isdigit() else None,
            str(data.get("website") or ""),
            str(data.get("city") or ""),
        )
        await conn.execute(
            INSERT_CONTACTS,
            company,
            client_id,
            user,
            [str(c.get("first_name") or "") for c in contacts],
            [str(c.get("last_name") or "") for c in contacts],
            [str(c.get("email") or "") for c in contacts],
            [str(c.get("phone") or "") for c in contacts],
            [i == 0 for i in range(len(contacts))],
            [secrets.token_hex(16) for _ in contacts],
        )
        await conn.execute(INSERT_ACTIVITY, company, user, token_id, client_id)
        row = await conn.fetchrow(select_one, company, client_id)
    await respond(send, 200, {"data": shape(row)})
