"""Tenant isolation, mass assignment and statement counts GENERATED from the registry
(plus Idempotency-Key scoping): every routed entity is parametrised in, so a new
entity is covered for free - once it has an entry in MINIMAL below (the matrix fails loudly until it has one).

Company B gets a minimal valid row of each entity; with company A's token, B's id must answer exactly like an
id that does not exist (same status, same body) on every REST route and GraphQL field that takes an id, and
B's data must be byte-identical afterwards."""

from __future__ import annotations

import asyncio
import itertools
import re
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from members import PASSWORD, add_member
from starlette.routing import Match
from strawberry.utils.str_converters import to_camel_case

from app import ids
from app.db import Db
from app.entities import REGISTRY
from app.entities.spec import Entity
from app.services import service_for

# ---- minimal rows -----------------------------------------------------------------------------------

CLIENT = "<a client of the same company>"  # placeholder in a body, replaced by that company's client id
BANK = "<a bank integration of the same company>"  # placeholder, replaced by that company's bank account id
VENDOR = "<a vendor of the same company>"  # placeholder in a body, replaced by that company's vendor id
FRESH = "<a name no row has yet>"  # placeholder for a field unique in its company: a new value every time
FRESH_EMAIL = "<an e-mail no user has yet>"  # the same for e-mail addresses (unique across accounts)
GATEWAY = "<a company gateway of the same company>"  # replaced by that company's gateway id
_fresh = itertools.count(1)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


class Company:
    """One tenant: its HTTP client, its ids, and one cached row per entity (made on demand)."""

    def __init__(self, tenant: Any, db: Db, tag: str) -> None:
        self.http: httpx.AsyncClient = tenant.http
        # the password confirms the protected routes (users, tokens); every other route ignores it
        self.http.headers["X-API-PASSWORD"] = PASSWORD
        self.tenant = tenant
        self.db = db
        self.tag = tag
        self.company_id = ids.decode(tenant.company_id)
        self.user_id = ids.decode(tenant.user_id)
        self.rows: dict[str, int] = {}

    async def client(self) -> str:
        return await self.hid("client")

    async def hid(self, name: str) -> str:
        return ids.encode(await self.row(name))

    async def row(self, name: str) -> int:
        """The id of this company's row of entity `name`, made the first time it is asked for."""
        if name not in self.rows:
            self.rows[name] = await make(self, REGISTRY[name])
        return self.rows[name]

    async def body(self, name: str) -> dict[str, Any]:
        """MINIMAL[name] with CLIENT/VENDOR replaced by this company's client/vendor and FRESH by a name not
        used yet."""
        spec = minimal(REGISTRY[name])
        assert isinstance(spec, dict), f"{name} has no REST create body"
        parties = {CLIENT: "client", VENDOR: "vendor", BANK: "bank_integration", GATEWAY: "company_gateway"}
        body = {k: (await self.hid(parties[v]) if isinstance(v, str) and v in parties else v) for k, v in spec.items()}
        fresh = {
            FRESH: lambda: f"{self.tag} {next(_fresh)}",
            FRESH_EMAIL: lambda: f"{self.tag}-{next(_fresh)}@example.com",
        }
        return {k: (fresh[v]() if isinstance(v, str) and v in fresh else v) for k, v in body.items()}


Maker = Callable[[Company], Awaitable[int]]


async def _upload(c: Company) -> int:
    r = await c.http.put(
        f"/api/v1/clients/{await c.client()}/upload", files={"documents[]": (f"{c.tag}.png", png(), "image/png")}
    )
    assert r.status_code == 200, r.text
    return ids.decode(r.json()["data"]["documents"][-1]["id"])


async def _activity(c: Company) -> int:
    r = await c.http.get(f"/api/v1/activities?client_id={await c.client()}")
    assert r.status_code == 200 and r.json()["data"], r.text
    return ids.decode(r.json()["data"][0]["id"])


async def _ledger(c: Company) -> int:
    client = await c.row("client")
    return int(
        await c.db.fetchval(
            "INSERT INTO company_ledgers (company_id, client_id, user_id, ledgerable_type, ledgerable_id, notes) "
            "VALUES ($1, $2, $3, 'clients', $2, $4) RETURNING id",
            c.company_id,
            client,
            c.user_id,
            f"{c.tag} ledger",
        )
    )


async def _system_log(c: Company) -> int:
    client = await c.row("client")
    return int(
        await c.db.fetchval(
            "INSERT INTO system_logs (company_id, user_id, client_id, event_id, category_id, type_id, log) "
            "VALUES ($1, $2, $3, 10, 1, 300, '{\"x\": 1}') RETURNING id",
            c.company_id,
            c.user_id,
            client,
        )
    )


# The smallest valid REST create body of every routed entity (CLIENT, VENDOR = one of the same company), or, for
# an entity without a create route, how a row of it comes to exist. A new routed entity MUST be added here.
MINIMAL: dict[str, dict[str, Any] | Maker] = {
    "client": {"name": "Minimal client"},
    "group_setting": {"name": "Minimal group"},
    "vendor": {"name": "Minimal vendor"},
    "expense_category": {"name": FRESH},
    "expense": {"amount": 10, "client_id": CLIENT},
    "recurring_expense": {"amount": 10, "client_id": CLIENT, "frequency_id": "5"},
    "project": {"name": "Minimal project", "client_id": CLIENT},
    "task": {"description": "Minimal task", "client_id": CLIENT},
    "task_status": {"name": FRESH},
    "product": {"product_key": "MIN-1"},
    "tax_rate": {"name": "Minimal tax", "rate": 10},
    "payment_term": {"num_days": 14},
    "invoice": {"client_id": CLIENT},
    "quote": {"client_id": CLIENT},
    "credit": {"client_id": CLIENT},
    "payment": {"client_id": CLIENT, "amount": 10},
    "recurring_invoice": {"client_id": CLIENT, "frequency_id": "5"},
    "purchase_order": {"vendor_id": VENDOR},
    "recurring_quote": {"client_id": CLIENT, "frequency_id": "5"},
    "task_scheduler": {"template": "email_statement", "next_run": "2999-01-01"},
    "subscription": {"name": FRESH},
    "client_gateway_token": {
        "client_id": CLIENT,
        "company_gateway_id": GATEWAY,
        "gateway_type_id": "1",
        "meta": {"brand": "visa", "last4": "4242"},
    },
    "design": {"name": "Minimal design"},
    "tag": {"name": "Minimal tag"},
    "company_gateway": {"gateway_key": "d14dd26a37cecc30fdd65700bfb55b23"},
    "bank_integration": {"bank_account_name": "Minimal bank"},
    "bank_transaction": {"bank_integration_id": BANK, "amount": 10, "description": "Minimal"},
    "bank_transaction_rule": {"name": "Minimal rule"},
    # read-only entities (no create route)
    "document": _upload,  # an upload to a client
    "activity": _activity,  # written when the client was created
    "company_ledger": _ledger,  # written by money movements; inserted directly
    "system_log": _system_log,  # written by gateways and mailers; inserted directly
    "user": {"first_name": "Minimal", "last_name": "User", "email": FRESH_EMAIL},
    "company_token": {"name": "Minimal token"},
}

ROUTED = [e for e in REGISTRY.values() if e.routes]
WRITABLE = [e for e in ROUTED if e.writable]
# rows keyed by their company; users are shared rows reached through company_users (tests/test_users.py)
TENANT_WRITABLE = [e for e in WRITABLE if e.tenant_keyed]


def minimal(entity: Entity) -> dict[str, Any] | Maker:
    if entity.name not in MINIMAL:
        pytest.fail(
            f"registry entity {entity.name!r} has no entry in MINIMAL (tests/test_registry_matrix.py): "
            f"add its smallest valid create body so the tenant matrix covers it"
        )
    return MINIMAL[entity.name]


async def make(c: Company, entity: Entity) -> int:
    spec = minimal(entity)
    if not isinstance(spec, dict):
        return await spec(c)
    r = await c.http.post(f"/api/v1/{entity.path}", json=await c.body(entity.name))
    assert r.status_code == 200, (entity.name, r.text)
    return ids.decode(r.json()["data"]["id"])


def test_every_routed_entity_has_a_minimal_row() -> None:
    missing = [e.name for e in ROUTED if e.name not in MINIMAL]
    assert not missing, f"add these entities to MINIMAL: {missing}"
    stale = set(MINIMAL) - {e.name for e in ROUTED}
    assert not stale, f"MINIMAL names entities that are not routed any more: {stale}"


# ---- snapshots ------------------------------------------------------------------------------------


def _scoped(entity: Entity) -> str:
    return entity.scope.replace("?", "$1").format(t="t0")


async def row_json(db: Db, entity: Entity, company_id: int, row_id: int) -> str:
    text = await db.fetchval(
        f"SELECT row_to_json(t0)::text FROM {entity.table} t0 WHERE {_scoped(entity)} AND t0.id = $2",
        company_id,
        row_id,
    )
    assert text is not None, (entity.name, row_id)
    return str(text)


async def company_snapshot(db: Db, company_id: int) -> dict[str, str]:
    """Every row of every registry table that belongs to the company, as JSON text."""
    out = {}
    for entity in REGISTRY.values():
        if entity.table in out:
            continue
        order = "t0.id" if entity.field("id") is not None or entity.name == "company_ledger" else "1"
        out[entity.table] = await db.fetchval(
            f"SELECT COALESCE(string_agg(row_to_json(t0)::text, E'\\n' ORDER BY {order}), '') "
            f"FROM {entity.table} t0 WHERE {_scoped(entity)}",
            company_id,
        )
    return out


# ---- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def a(tenant_a: Any, db: Db) -> Company:
    return Company(tenant_a, db, "a")


@pytest.fixture
def b(tenant_b: Any, db: Db) -> Company:
    return Company(tenant_b, db, "b")


MISSING = ids.encode(2**40)
GARBAGE = "NotAnId42"


def answer(r: httpx.Response) -> tuple[int, Any]:
    try:
        body: Any = r.json()
    except ValueError:
        body = r.text
    return r.status_code, body


def not_found(entity: Entity) -> tuple[int, dict[str, Any]]:
    return 404, {"message": f"{entity.title} not found", "errors": {}}


INVALID_IDS = (422, {"message": "The given data was invalid.", "errors": {"ids": ["The selected ids is invalid."]}})


def has_actions(entity: Entity) -> bool:
    """Entities with `GET /{entity}/{id}/{action}` (their service performs single actions)."""
    return hasattr(service_for(entity, None), "perform")  # type: ignore[arg-type]


# ---- T1: ids in URLs ------------------------------------------------------------------------------


def url_cases(entity: Entity, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path with {id}, request kwargs) for every route of the entity that takes an id."""
    base = f"/api/v1/{entity.path}/{{id}}"
    upload = {"files": {"documents[]": ("x.png", png(), "image/png")}}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", base, {}),
        ("GET", base + "?include=" + ",".join(r.name for r in entity.relations), {}),
        ("PUT", base, {"json": body}),
        ("PATCH", base, {"json": body}),
        ("POST", base + "?_method=PUT", {"json": body}),
        ("DELETE", base, {}),
    ]
    if entity.documents:
        cases += [("PUT", base + "/upload", upload), ("POST", base + "/upload", {"data": {"_method": "PUT"}, **upload})]
    if has_actions(entity):
        for action in dict.fromkeys(("archive", "restore", "delete", *entity.bulk_actions, "download", "nope")):
            cases.append(("GET", f"{base}/{action}", {}))
    if entity.name == "document":
        cases.append(("GET", base + "/download", {}))
    return cases


def route_exists(app: Any, method: str, url: str) -> bool:
    """Whether the app has a route for this verb and path (`?_method=PUT` is the middleware's override)."""
    path, _, query = url.partition("?")
    if method == "POST" and "_method=PUT" in query:
        method = "PUT"
    scope = {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}
    return any(route.matches(scope)[0] == Match.FULL for route in app.router.routes)


@pytest.mark.parametrize("entity", ROUTED, ids=str)
async def test_t1_foreign_id_in_a_url_answers_like_a_missing_one(
    entity: Entity, a: Company, b: Company, db: Db, app: Any
) -> None:
    foreign = await b.row(entity.name)
    own = await a.row(entity.name)
    body = await a.body(entity.name) if isinstance(minimal(entity), dict) else {"name": "Taken over"}
    before_row = await row_json(db, entity, b.company_id, foreign)
    before = await company_snapshot(db, b.company_id)
    for method, template, kwargs in url_cases(entity, body):
        answers = {}
        for label, value in (("foreign", ids.encode(foreign)), ("missing", MISSING), ("garbage", GARBAGE)):
            r = await a.http.request(method, template.format(id=value), **kwargs)
            answers[label] = answer(r)
        where = (entity.name, method, template)
        assert answers["foreign"] == answers["missing"] == answers["garbage"], (where, answers)
        if route_exists(app, method, template.format(id=MISSING)):
            assert answers["foreign"] == not_found(entity), (where, answers)
        else:  # e.g. PUT on a read-only entity: the same 405 for every id
            assert answers["foreign"][0] == 405, (where, answers)
    assert await row_json(db, entity, b.company_id, foreign) == before_row
    assert await company_snapshot(db, b.company_id) == before
    # the positive control: A's own row answers on the same route
    r = await a.http.get(f"/api/v1/{entity.path}/{ids.encode(own)}")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("entity", TENANT_WRITABLE, ids=str)
async def test_t2_member_of_both_companies_cannot_reach_own_b_rows_with_a_token(
    entity: Entity, a: Company, b: Company, db: Db, app: Any, tenant_a: Any, tenant_b: Any
) -> None:
    """User U (A's owner) also joins B and creates a row there; U's token for A still answers like a
    missing id for it (IN#7879)."""
    from app.services import accounts

    account_b = await db.fetchval("SELECT account_id FROM companies WHERE id = $1", b.company_id)
    await db.execute(
        "INSERT INTO company_users (company_id, user_id, account_id, is_admin) VALUES ($1, $2, $3, true)",
        b.company_id,
        a.user_id,
        account_b,
    )
    token, _ = await accounts.mint_token(db, b.company_id, a.user_id, account_b, "U in B", is_system=False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": token},
    ) as u_in_b:

        class Member:  # U as a tenant of B
            company_id, user_id, http = tenant_b.company_id, tenant_a.user_id, u_in_b

        u_b = Company(Member(), db, "u")
        theirs = await u_b.row(entity.name)
        assert (
            await db.fetchval(
                f"SELECT user_id FROM {entity.table} WHERE company_id = $1 AND id = $2", b.company_id, theirs
            )
            == a.user_id
        )
        before = await company_snapshot(db, b.company_id)
        body = await a.body(entity.name)
        base = f"/api/v1/{entity.path}"
        for method, path, kwargs in (
            ("GET", f"{base}/{{id}}", {}),
            ("PUT", f"{base}/{{id}}", {"json": body}),
            ("DELETE", f"{base}/{{id}}", {}),
        ):
            answers = [
                answer(await a.http.request(method, path.format(id=v), **kwargs)) for v in (ids.encode(theirs), MISSING)
            ]
            assert answers[0] == answers[1] == not_found(entity), (method, answers)
        r = await a.http.post(f"{base}/bulk", json={"action": "delete", "ids": [ids.encode(theirs)]})
        assert answer(r) == INVALID_IDS
        r = await a.http.get(f"{base}?per_page=100")
        await assert_only_own(db, entity, r.json()["data"], a.company_id)
        assert await company_snapshot(db, b.company_id) == before


def bulk_actions(entity: Entity) -> list[str]:
    return list(entity.bulk_actions)


@pytest.mark.parametrize("entity", [e for e in ROUTED if e.writable or e.name == "document"], ids=str)
async def test_t1_bulk_with_a_foreign_id_is_422_and_changes_nothing(
    entity: Entity, a: Company, b: Company, db: Db
) -> None:
    foreign = ids.encode(await b.row(entity.name))
    own = await a.row(entity.name)
    before = await company_snapshot(db, b.company_id)
    before_a = await row_json(db, entity, a.company_id, own)
    for action in bulk_actions(entity):
        for ids_sent in ([foreign], [ids.encode(own), foreign]):
            answers = []
            for other in (foreign, MISSING):
                sent = [other if x == foreign else x for x in ids_sent]
                r = await a.http.post(f"/api/v1/{entity.path}/bulk", json={"action": action, "ids": sent})
                answers.append(answer(r))
            assert answers[0] == answers[1], (entity.name, action, answers)
            assert answers[0] == INVALID_IDS, (entity.name, action, ids_sent, answers)
    assert await row_json(db, entity, a.company_id, own) == before_a
    assert await company_snapshot(db, b.company_id) == before


# ---- T3: lists and filters naming B's ids ---------------------------------------------------------


async def own_ids(db: Db, entity: Entity, company_id: int) -> set[str]:
    rows = await db.fetch(f"SELECT t0.id FROM {entity.table} t0 WHERE {_scoped(entity)}", company_id)
    return {ids.encode(r["id"]) for r in rows}


async def assert_only_own(db: Db, entity: Entity, items: list[dict[str, Any]], company_id: int) -> None:
    """Every listed row, and every row included one level down, belongs to the company (hashed ids are per
    table, so an id is compared with the ids of its own table, never as a substring)."""
    if entity.field("id") is not None:
        assert {i["id"] for i in items} <= await own_ids(db, entity, company_id), entity.name
    for rel in entity.relations:
        target = REGISTRY[rel.target]
        if target.field("id") is None:
            continue
        children = [
            c
            for i in items
            for c in (i.get(rel.name) or [] if rel.kind == "many" else [i[rel.name]] if i.get(rel.name) else [])
        ]
        assert {c["id"] for c in children} <= await own_ids(db, target, company_id), (entity.name, rel.name)


def ref_filters(entity: Entity) -> list[tuple[str, str]]:
    """(param, target entity) for the list filters that take a hashed id of a registry entity."""
    return [
        (flt.param, flt.param[:-3])
        for flt in entity.filters
        if flt.param.endswith("_id") and flt.param[:-3] in REGISTRY and REGISTRY[flt.param[:-3]].routes
    ]


@pytest.mark.parametrize("entity", ROUTED, ids=str)
async def test_t3_lists_never_show_foreign_rows(entity: Entity, a: Company, b: Company, db: Db) -> None:
    foreign = ids.encode(await b.row(entity.name))
    await a.row(entity.name)
    include = ",".join(r.name for r in entity.relations)
    r = await a.http.get(f"/api/v1/{entity.path}?per_page=100&include={include}")
    assert r.status_code == 200, r.text
    assert r.json()["data"], "A's own row is listed"
    await assert_only_own(db, entity, r.json()["data"], a.company_id)
    # `with=<id>` pins a row to the top of a narrowed list: never one of B's
    r = await a.http.get(f"/api/v1/{entity.path}?with={foreign}&filter=zzz-nothing&status=archived&include={include}")
    assert r.status_code == 200, r.text
    await assert_only_own(db, entity, r.json()["data"], a.company_id)
    # every filter naming an entity's id (`client_id`, `invoice_id`, `user_id`, ...) with B's row of it
    for param, target in ref_filters(entity):
        r = await a.http.get(f"/api/v1/{entity.path}?{param}={await b.hid(target)}&include={include}")
        assert r.status_code == 200, r.text
        assert r.json()["data"] == [] and r.json()["meta"]["pagination"]["total"] == 0, (param, r.text)


# ---- T4: B's ids inside A's bodies ------------------------------------------------------------------

REF_CASES = [(e, f.name) for e in WRITABLE for f in e.fields if f.kind == "ref" and f.writable and f.target]


@pytest.mark.parametrize("entity,ref", REF_CASES, ids=[f"{e}.{r}" for e, r in REF_CASES])
async def test_t4_foreign_id_in_a_body_is_422_on_that_field(
    entity: Entity, ref: str, a: Company, b: Company, db: Db
) -> None:
    target = entity.field(ref).target  # type: ignore[union-attr]
    foreign = await b.hid(target)
    before_b = await company_snapshot(db, b.company_id)
    own = await a.row(entity.name)
    body = await a.body(entity.name)
    count = f"SELECT count(*) FROM {entity.table} WHERE company_id = $1"
    rows_before = await db.fetchval(count, a.company_id)
    own_before = await row_json(db, entity, a.company_id, own)
    column = entity.field(ref).col  # type: ignore[union-attr]
    stored = f"SELECT {column} FROM {entity.table} WHERE company_id = $1 AND id = $2"
    own_ref = await db.fetchval(stored, a.company_id, own)
    for method, path in (("POST", f"/api/v1/{entity.path}"), ("PUT", f"/api/v1/{entity.path}/{ids.encode(own)}")):
        answers = []
        for value in (foreign, MISSING):
            r = await a.http.request(method, path, json={**body, ref: value})
            answers.append(answer(r))
        assert answers[0] == answers[1], (method, answers)
        status, payload = answers[0]
        if method == "PUT" and status == 200:
            # an update may ignore a field that cannot change (payment.client_id, as upstream) - never store it
            assert await db.fetchval(stored, a.company_id, own) == own_ref
            continue
        assert status == 422 and list(payload["errors"]) == [ref], (method, answers)
        if method == "PUT":
            assert await row_json(db, entity, a.company_id, own) == own_before
    assert await db.fetchval(count, a.company_id) == rows_before
    assert await company_snapshot(db, b.company_id) == before_b


@pytest.mark.parametrize("entity,ref", REF_CASES, ids=[f"{e}.{r}" for e, r in REF_CASES])
async def test_t4_graphql_create_with_a_foreign_id_is_422_on_that_field(
    entity: Entity, ref: str, a: Company, b: Company, db: Db
) -> None:
    foreign = await b.hid(entity.field(ref).target)  # type: ignore[union-attr]
    body = await a.body(entity.name)
    count = f"SELECT count(*) FROM {entity.table} WHERE company_id = $1"
    rows_before = await db.fetchval(count, a.company_id)
    query = f"mutation($input: JSON!) {{ create{type_name(entity)}(input: $input) {{ id }} }}"
    answers = [errors_of(await gql(a.http, query, {"input": {**body, ref: value}})) for value in (foreign, MISSING)]
    assert answers[0] == answers[1], answers
    [(message, extensions)] = answers[0]
    assert extensions["status"] == 422 and list(extensions["errors"]) == [ref], answers
    assert await db.fetchval(count, a.company_id) == rows_before


@pytest.mark.parametrize("entity", WRITABLE, ids=str)
async def test_idempotency_keys_are_per_company(entity: Entity, a: Company, b: Company, db: Db) -> None:
    """B's Idempotency-Key (same key, same body where the body has no ids) never replays B's row to A."""
    key = {"Idempotency-Key": f"matrix-{entity.name}"}
    r = await b.http.post(f"/api/v1/{entity.path}", json=await b.body(entity.name), headers=key)
    assert r.status_code == 200, r.text
    theirs = r.json()["data"]["id"]
    before = await company_snapshot(db, b.company_id)
    r = await a.http.post(f"/api/v1/{entity.path}", json=await a.body(entity.name), headers=key)
    assert r.status_code == 200, r.text
    assert "idempotent-replayed" not in r.headers and r.json()["data"]["id"] != theirs
    assert await row_json(db, entity, a.company_id, ids.decode(r.json()["data"]["id"]))
    assert await company_snapshot(db, b.company_id) == before


@pytest.mark.parametrize("key,target", [("invoices", "invoice"), ("credits", "credit")])
async def test_t4_payment_applied_to_a_foreign_invoice_or_credit_is_422(
    key: str, target: str, a: Company, b: Company, db: Db
) -> None:
    foreign = await b.hid(target)
    if target == "credit":  # a sent credit with money on it, so only the company can make it unusable
        r = await b.http.put(
            f"/api/v1/credits/{foreign}?mark_sent=true",
            json={"line_items": [{"product_key": "c", "quantity": 1, "cost": 5}]},
        )
        assert r.status_code == 200, r.text
    before_b = await company_snapshot(db, b.company_id)
    own_payment = await a.row("payment")
    count = "SELECT count(*) FROM payments WHERE company_id = $1"
    rows_before = await db.fetchval(count, a.company_id)
    own_before = await row_json(db, REGISTRY["payment"], a.company_id, own_payment)
    entry = {f"{target}_id": None, "amount": 5}
    for method, path in (("POST", "/api/v1/payments"), ("PUT", f"/api/v1/payments/{ids.encode(own_payment)}")):
        answers = []
        for value in (foreign, MISSING):
            r = await a.http.request(
                method, path, json={"client_id": await a.client(), "amount": 5, key: [{**entry, f"{target}_id": value}]}
            )
            answers.append(answer(r))
        assert answers[0] == answers[1], answers
        assert answers[0][0] == 422 and f"{key}.0.{target}_id" in answers[0][1]["errors"], answers
    assert await db.fetchval(count, a.company_id) == rows_before
    assert await row_json(db, REGISTRY["payment"], a.company_id, own_payment) == own_before
    assert await company_snapshot(db, b.company_id) == before_b


INVITING = [e for e in WRITABLE if e.relation("invitations") is not None]


@pytest.mark.parametrize("entity", INVITING, ids=str)
async def test_t4_invitation_for_a_foreign_contact_is_422(entity: Entity, a: Company, b: Company, db: Db) -> None:
    vendor_ref = entity.field("vendor_id")  # a purchase order invites its vendor's contacts
    party = "vendor" if vendor_ref is not None and vendor_ref.writable else "client"
    r = await b.http.get(f"/api/v1/{party}s/{await b.hid(party)}")
    [foreign] = [c["id"] for c in r.json()["data"]["contacts"]][:1] or [None]
    assert foreign, f"B's {party} has a contact"
    key = f"{party}_contact_id"
    before_b = await company_snapshot(db, b.company_id)
    own = await a.row(entity.name)
    own_before = await row_json(db, entity, a.company_id, own)
    count = f"SELECT count(*) FROM {entity.table} WHERE company_id = $1"
    rows_before = await db.fetchval(count, a.company_id)
    body = await a.body(entity.name)
    for method, path in (("POST", f"/api/v1/{entity.path}"), ("PUT", f"/api/v1/{entity.path}/{ids.encode(own)}")):
        answers = []
        for value in (foreign, MISSING):
            r = await a.http.request(method, path, json={**body, "invitations": [{key: value}]})
            answers.append(answer(r))
        assert answers[0] == answers[1], answers
        assert answers[0][0] == 422, answers
        assert list(answers[0][1]["errors"]) == [f"invitations.0.{key}"], answers
    assert await db.fetchval(count, a.company_id) == rows_before
    assert await row_json(db, entity, a.company_id, own) == own_before
    assert await company_snapshot(db, b.company_id) == before_b


# ---- GraphQL ------------------------------------------------------------------------------------------


def type_name(entity: Entity) -> str:
    return "".join(p[:1].upper() + p[1:] for p in entity.name.split("_"))


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    r = await http.post("/graphql", json={"query": query, "variables": variables})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def errors_of(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["message"], e.get("extensions")) for e in body.get("errors", [])]


GET_ENTITIES = [e for e in ROUTED if e.field("id") is not None and e.name != e.path]


@pytest.mark.parametrize("entity", GET_ENTITIES, ids=str)
async def test_graphql_foreign_id_answers_like_a_missing_one(entity: Entity, a: Company, b: Company, db: Db) -> None:
    foreign = ids.encode(await b.row(entity.name))
    own = ids.encode(await a.row(entity.name))
    before = await company_snapshot(db, b.company_id)
    name = to_camel_case(entity.name)
    operations: list[tuple[str, dict[str, Any], Any]] = [
        (f"query($id: HashID!) {{ {name}(id: $id) {{ id }} }}", {}, not_found(entity)),
    ]
    if entity.writable:
        body = await a.body(entity.name)
        operations.append(
            (
                f"mutation($id: HashID!, $input: JSON!) {{ update{type_name(entity)}(id: $id, "
                f"input: $input) {{ id }} }}",
                {"input": body},
                not_found(entity),
            )
        )
        bulk = "bulk" + "".join(p[:1].upper() + p[1:] for p in entity.path.split("_"))
        for action in entity.bulk_actions:
            operations.append(
                (f'mutation($ids: [HashID!]!) {{ {bulk}(action: "{action}", ids: $ids) {{ id }} }}', {}, INVALID_IDS)
            )
    for query, extra, expected in operations:
        answers = []
        for value in (foreign, MISSING, GARBAGE):
            variables = {"id": value, "ids": [value], **extra}
            if "$ids" in query:
                variables = {"ids": [own, value]}
            answers.append(errors_of(await gql(a.http, query, variables)))
        assert answers[0] == answers[1] == answers[2], (query, answers)
        status, payload = expected
        assert answers[0] == [
            (
                payload["message"],
                {"code": "not_found" if status == 404 else "invalid", "status": status, "errors": payload["errors"]},
            )
        ], answers
    assert await company_snapshot(db, b.company_id) == before


FILTERED = [e for e in ROUTED if ref_filters(e)]


@pytest.mark.parametrize("entity", FILTERED, ids=str)
async def test_t3_graphql_list_filtered_by_a_foreign_id_is_empty(entity: Entity, a: Company, b: Company) -> None:
    await b.row(entity.name)
    await a.row(entity.name)
    field_name = to_camel_case(entity.path)
    first = "id" if entity.field("id") is not None else "createdAt"
    for param, target in ref_filters(entity):
        arg = to_camel_case(param)
        query = f"query($v: String) {{ {field_name}({arg}: $v) {{ items {{ {first} }} pagination {{ total }} }} }}"
        body = await gql(a.http, query, {"v": await b.hid(target)})
        assert "errors" not in body, body
        assert body["data"][field_name] == {"items": [], "pagination": {"total": 0}}, param
        spec = minimal(entity)  # A's row names its client (or vendor) when its minimal body does
        if spec.get(param) in (CLIENT, VENDOR) if isinstance(spec, dict) else param == "client_id":
            body = await gql(a.http, query, {"v": await a.hid(target)})
            assert body["data"][field_name]["items"], "the filter finds A's own rows"


NESTED_CLIENTS = """{ clients(perPage: 100) { items { id name contacts { id firstName email }
    documents { id } groupSettings { id name } invoices { id clientId payments { id clientId }
    client { id } } } pagination { total } } }"""


async def test_t7_concurrent_graphql_requests_of_two_tenants_stay_apart(a: Company, b: Company) -> None:
    expected: dict[str, set[tuple[str, str]]] = {}
    for c in (a, b):
        group = (await c.http.post("/api/v1/group_settings", json={"name": f"{c.tag} group"})).json()["data"]["id"]
        mine = set()
        for n in range(3):
            r = await c.http.post(
                "/api/v1/clients",
                json={
                    "name": f"{c.tag} client {n}",
                    "group_settings_id": group,
                    "contacts": [{"first_name": f"{c.tag}{n}", "email": f"{c.tag}{n}@{c.tag}.test"}],
                },
            )
            assert r.status_code == 200, r.text
            mine.add((r.json()["data"]["id"], r.json()["data"]["contacts"][0]["id"]))
            inv = await c.http.post(
                "/api/v1/invoices?paid=true",
                json={
                    "client_id": r.json()["data"]["id"],
                    "line_items": [{"product_key": "p", "quantity": 1, "cost": 7}],
                },
            )
            assert inv.status_code == 200, inv.text
        expected[c.tag] = mine
    for _ in range(5):
        results = await asyncio.gather(*(gql(c.http, NESTED_CLIENTS, {}) for c in (a, b, a, b)))
        for c, body in zip((a, b, a, b), results, strict=False):
            assert "errors" not in body, body
            items = body["data"]["clients"]["items"]
            got = {(i["id"], i["contacts"][0]["id"]) for i in items}
            assert got == expected[c.tag], (c.tag, items)
            assert all(len(i["contacts"]) == 1 and i["contacts"][0]["email"].endswith(f"@{c.tag}.test") for i in items)
            assert all(i["groupSettings"]["name"] == f"{c.tag} group" for i in items)
            for i in items:
                [inv] = i["invoices"]
                assert inv["clientId"] == inv["client"]["id"] == i["id"]
                [paid] = inv["payments"]
                assert paid["clientId"] == i["id"]


# ---- P1/P2/P4: mass assignment ----------------------------------------------------------------------

PROTECTED: dict[str, dict[str, Any]] = {
    "invoice": {
        "balance": 999,
        "paid_to_date": 999,
        "amount": 999,
        "status_id": "2",
        "company_id": "<b>",
        "user_id": "<b-user>",
        "is_deleted": True,
        "created_at": 1,
        "hashed_id": "x",
        "id": "<b-id>",
    },
    "client": {
        "balance": 999,
        "paid_to_date": 999,
        "credit_balance": 999,
        "payment_balance": 999,
        "company_id": "<b>",
        "user_id": "<b-user>",
        "is_deleted": True,
        "created_at": 1,
        "id": "<b-id>",
    },
    "payment": {
        "applied": 999,
        "refunded": 999,
        "company_id": "<b>",
        "user_id": "<b-user>",
        "status_id": "6",
        "is_deleted": True,
        "created_at": 1,
        "id": "<b-id>",
    },
}
# columns compared before/after, per entity (the protected fields as stored)
PROTECTED_COLUMNS = {
    "invoice": "balance, paid_to_date, amount, status_id, company_id, user_id, is_deleted, created_at, id",
    "client": "balance, paid_to_date, credit_balance, payment_balance, company_id, user_id, is_deleted, created_at, id",
    "payment": "applied, refunded, amount, status_id, company_id, user_id, is_deleted, created_at, id",
}


async def _stored(db: Db, entity: Entity, company_id: int, row_id: int) -> dict[str, Any]:
    row = await db.fetchrow(
        f"SELECT {PROTECTED_COLUMNS[entity.name]} FROM {entity.table} WHERE company_id = $1 AND id = $2",
        company_id,
        row_id,
    )
    assert row is not None
    return dict(row)


@pytest.mark.parametrize("name", sorted(PROTECTED))
async def test_p1_p4_protected_fields_are_ignored_on_update(name: str, a: Company, b: Company, db: Db) -> None:
    entity = REGISTRY[name]
    for _n, fld in enumerate(PROTECTED[name]):
        if fld not in ("company_id", "user_id", "id", "hashed_id"):
            assert entity.field(fld) is None or not entity.field(fld).writable, fld  # type: ignore[union-attr]
    own = await a.row(name)
    if name == "invoice":  # a sent invoice with an amount, so its money fields are not all zero
        r = await a.http.put(
            f"/api/v1/invoices/{ids.encode(own)}?mark_sent=true",
            json={"line_items": [{"product_key": "x", "quantity": 2, "cost": 10}]},
        )
        assert r.status_code == 200, r.text
    swap = {"<b>": b.tenant.company_id, "<b-user>": b.tenant.user_id, "<b-id>": await b.hid(name)}
    body = {k: swap.get(v, v) if isinstance(v, str) else v for k, v in PROTECTED[name].items()}
    before = await _stored(db, entity, a.company_id, own)
    r = await a.http.put(f"/api/v1/{entity.path}/{ids.encode(own)}", json=body)
    assert r.status_code == 200, r.text
    assert await _stored(db, entity, a.company_id, own) == before
    assert r.json()["data"]["id"] == ids.encode(own)
    for fld in PROTECTED[name]:
        if fld in ("balance", "paid_to_date", "amount", "credit_balance", "payment_balance", "applied", "refunded"):
            assert r.json()["data"][fld] == float(before[fld]), fld
    # also on create: the protected fields of a new row are the service's, not the caller's
    r = await a.http.post(f"/api/v1/{entity.path}", json={**await a.body(name), **body})
    assert r.status_code == 200, r.text
    made = await _stored(db, entity, a.company_id, ids.decode(r.json()["data"]["id"]))
    assert made["company_id"] == a.company_id and made["user_id"] == a.user_id and made["is_deleted"] is False
    assert made["id"] != ids.decode(swap["<b-id>"])
    if name != "payment":
        assert made["balance"] == 0 and made["paid_to_date"] == 0
    else:
        assert made["applied"] == 0 and made["refunded"] == 0


# fields the registry marks read-only for the generic layer but a service writes from the body on purpose
SERVICE_WRITTEN = {
    "line_items": "validated and recomputed by the document services",
    "frequency_id": "checked by the recurring service (1..12)",
    "rules": "each condition validated by the bank transaction rule service",
    "product_ids": "hashed product ids, checked by the subscription service",
    "recurring_product_ids": "hashed product ids, checked by the subscription service",
    "optional_product_ids": "hashed product ids, checked by the subscription service",
    "optional_recurring_product_ids": "hashed product ids, checked by the subscription service",
    "time_log": "validated by the task service (app.services.projects.time_log)",
}
JUNK = {
    "money": 12345,
    "bool": True,
    "ts": 1,
    "int": 77,
    "code": "3",
    "text": "pwned",
    "date": "2001-01-01",
    "object": {"pwned": 1},
    "array": [{"pwned": 1}],
}


@pytest.mark.parametrize("entity", TENANT_WRITABLE, ids=str)
async def test_p1_every_read_only_field_is_ignored_on_update(entity: Entity, a: Company, b: Company, db: Db) -> None:
    """Generated: a PUT carrying every field the registry marks read-only (and company_id) changes none of
    their stored columns."""
    own = await a.row(entity.name)
    body: dict[str, Any] = {"company_id": b.tenant.company_id}
    columns = ["company_id"]
    for f in entity.fields:
        if f.writable or f.internal or f.name in SERVICE_WRITTEN:
            continue
        body[f.name] = b.tenant.user_id if f.kind in ("id", "ref") else JUNK[f.kind]
        if not f.expr:
            columns.append(f.col)
    stored = f"SELECT {', '.join(columns)} FROM {entity.table} WHERE company_id = $1 AND id = $2"
    before = dict(await db.fetchrow(stored, a.company_id, own))
    r = await a.http.put(f"/api/v1/{entity.path}/{ids.encode(own)}", json=body)
    assert r.status_code == 200, r.text
    assert dict(await db.fetchrow(stored, a.company_id, own)) == before


@pytest.mark.parametrize("entity", TENANT_WRITABLE, ids=str)
async def test_p1_every_read_only_field_is_ignored_on_create(entity: Entity, a: Company, b: Company, db: Db) -> None:
    """Generated: a create carrying every read-only field (and company_id) stores what a create from the
    minimal body stores. Columns that differ between two plain creates (ids, numbers, keys) are per row."""
    body: dict[str, Any] = {"company_id": b.tenant.company_id}
    columns = ["company_id"]
    for f in entity.fields:
        if f.writable or f.internal or f.name in SERVICE_WRITTEN:
            continue
        body[f.name] = b.tenant.user_id if f.kind in ("id", "ref") else JUNK[f.kind]
        if not f.expr:
            columns.append(f.col)
    made = []
    bodies = [await a.body(entity.name) for _ in range(3)]  # FRESH fields differ: they count as per row
    for sent in (bodies[0], bodies[1], {**bodies[2], **body}):
        r = await a.http.post(f"/api/v1/{entity.path}", json=sent)
        assert r.status_code == 200, r.text
        made.append(
            dict(
                await db.fetchrow(
                    f"SELECT {', '.join(columns)} FROM {entity.table} WHERE company_id = $1 AND id = $2",
                    a.company_id,
                    ids.decode(r.json()["data"]["id"]),
                )
            )
        )
    first, second, hostile = made
    per_row = {k for k in first if first[k] != second[k]} | {"created_at", "updated_at"}
    assert {k: v for k, v in hostile.items() if k not in per_row} == {
        k: v for k, v in first.items() if k not in per_row
    }
    assert hostile["company_id"] == a.company_id


async def test_p1_invoice_status_cancelled_is_422_and_client_change_is_422(a: Company, db: Db) -> None:
    entity = REGISTRY["invoice"]
    own = await a.row("invoice")
    other = await a.http.post("/api/v1/clients", json={"name": "Other client of A"})
    before = await row_json(db, entity, a.company_id, own)
    r = await a.http.put(f"/api/v1/invoices/{ids.encode(own)}", json={"status_id": "5", "po_number": "x"})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["status_id"], r.text
    r = await a.http.put(f"/api/v1/invoices/{ids.encode(own)}", json={"client_id": other.json()["data"]["id"]})
    assert r.status_code == 422 and list(r.json()["errors"]) == ["client_id"], r.text
    assert await row_json(db, entity, a.company_id, own) == before


# ---- R3: statement counts do not grow with the page -------------------------------------------------

# entities whose rows are not cheap to multiply in SQL, with the reason
NOT_CHEAP = {"user": "users are global rows reached through company_users; many users means many accounts"}
COUNTED = [e for e in ROUTED if e.name not in NOT_CHEAP]


async def clone(db: Db, entity: Entity, company_id: int, row_id: int, n: int, batch: int) -> None:
    """n copies of a row straight in SQL: new ids, and unique text columns suffixed with the copy's number."""
    cols = await db.fetch(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        entity.table,
    )
    indexes = await db.fetch(
        "SELECT ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey))::text[] AS plain, pg_get_expr(i.indexprs, i.indrelid) AS expression "
        "FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique AND NOT i.indisprimary",
        entity.table,
    )
    # a column is unique when an index holds it plainly or inside an expression, e.g. lower(name)
    expressions = " ".join(r["expression"] or "" for r in indexes)
    unique = {name for r in indexes for name in r["plain"]} | {
        c["column_name"] for c in cols if re.search(rf"\b{c['column_name']}\b", expressions)
    }
    names, values = [], []
    for col in cols:
        name = col["column_name"]
        if name == "id":
            continue
        names.append(name)
        if name in unique and col["data_type"] == "text":
            values.append(f"CASE WHEN t.{name} IS NULL THEN NULL ELSE t.{name} || '-{batch}-' || g END")
        elif name in unique and col["data_type"] == "bytea":  # a digest (tokens): a new one per copy
            values.append(f"sha256(t.{name} || convert_to('-{batch}-' || g, 'UTF8'))")
        else:
            values.append(f"t.{name}")
    await db.execute(
        f"INSERT INTO {entity.table} ({', '.join(names)}) SELECT {', '.join(values)} "
        f"FROM {entity.table} t, generate_series(1, $3) g WHERE t.company_id = $1 AND t.id = $2",
        company_id,
        row_id,
        n,
    )


async def statements(db: Db, http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    before = db.queries
    r = await http.request(method, path, **kwargs)
    assert r.status_code == 200, r.text
    return db.queries - before, r.json()


def graphql_list(entity: Entity) -> str:
    relations = " ".join(f"{to_camel_case(r.name)} {{ __typename }}" for r in entity.relations)
    first = "id" if entity.field("id") is not None else "createdAt"
    return f"{{ {to_camel_case(entity.path)}(perPage: 100) {{ items {{ {first} {relations} }} }} }}"


@pytest.mark.parametrize("entity", COUNTED, ids=str)
async def test_r3_statement_count_is_constant_as_the_page_grows(entity: Entity, a: Company, db: Db) -> None:
    own = await a.row(entity.name)
    include = ",".join(r.name for r in entity.relations)
    query = graphql_list(entity)
    counts: dict[str, list[int]] = {"default": [], "all": [], "graphql": []}
    sizes = []
    for target in (5, 50):
        have = await db.fetchval(f"SELECT count(*) FROM {entity.table} WHERE company_id = $1", a.company_id)
        if have < target:
            await clone(db, entity, a.company_id, own, target - have, target)
        n, body = await statements(db, a.http, "GET", f"/api/v1/{entity.path}?per_page=100")
        counts["default"].append(n)
        sizes.append(len(body["data"]))
        n, _ = await statements(db, a.http, "GET", f"/api/v1/{entity.path}?per_page=100&include={include}")
        counts["all"].append(n)
        n, body = await statements(db, a.http, "POST", "/graphql", json={"query": query})
        assert "errors" not in body, body
        counts["graphql"].append(n)
        assert len(body["data"][to_camel_case(entity.path)]["items"]) == sizes[-1]
    assert sizes[0] >= 5 and sizes[1] >= 50 and sizes[1] > sizes[0], sizes
    for kind, (small, large) in counts.items():
        assert small == large, (kind, counts)


@pytest.mark.parametrize("entity", WRITABLE, ids=str)
async def test_edit_answers_the_row_as_show_does_to_a_caller_who_may_edit(
    entity: Entity, a: Company, b: Company, db: Db
) -> None:
    """`GET /{entity}/{id}/edit` (upstream's edit form read): the show envelope; a member who may only view
    the row is refused; another company's id answers like a missing one."""
    own = await a.hid(entity.name)
    shown = await a.http.get(f"/api/v1/{entity.path}/{own}")
    edit = await a.http.get(f"/api/v1/{entity.path}/{own}/edit")
    assert edit.status_code == 200 and edit.json() == shown.json(), edit.text
    foreign = await a.http.get(f"/api/v1/{entity.path}/{await b.hid(entity.name)}/edit")
    missing = await a.http.get(f"/api/v1/{entity.path}/{MISSING}/edit")
    assert foreign.status_code == missing.status_code == 404 and foreign.json() == missing.json()
    _, token = await add_member(db, a.tenant.company_id, f"viewer-{entity.name}@example.com", f"view_{entity.name}")
    viewer = {"X-API-TOKEN": token}
    assert (await a.http.get(f"/api/v1/{entity.path}/{own}", headers=viewer)).status_code == 200
    refused = await a.http.get(f"/api/v1/{entity.path}/{own}/edit", headers=viewer)
    assert refused.status_code == 403 and refused.json() == {"message": "This action is unauthorized.", "errors": {}}
