"""The GraphQL facade against a real PostgreSQL: the same rows and values as REST, nested relations through
per-request loaders with a constant statement count, mutations through the same services, tenant isolation,
the header contract, hostile documents, and the committed SDL."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import httpx
import pytest
from graphql import GraphQLError
from strawberry.utils.str_converters import to_camel_case

from app import ids
from app.entities import REGISTRY
from app.main import create_app
from graph.errors import convert
from graph.export import SCHEMA_FILE
from graph.schema import sdl

CLIENT = REGISTRY["client"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def scalars(entity_name: str) -> str:
    """Every plain field of an entity's type, from the registry (so the comparison covers them all)."""
    return " ".join(to_camel_case(f.name) for f in REGISTRY[entity_name].fields if not f.internal)


def same_as_rest(entity_name: str, gql_item: dict[str, Any], rest_item: dict[str, Any]) -> None:
    for f in REGISTRY[entity_name].fields:
        if not f.internal:
            assert gql_item[to_camel_case(f.name)] == rest_item[f.name], f.name


async def gql(
    api: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None, status: int = 200
) -> dict[str, Any]:
    r = await api.post("/graphql", json={"query": query, "variables": variables or {}})
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


async def ok(api: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    body = await gql(api, query, variables)
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body
    return body["errors"][0]  # type: ignore[no-any-return]


async def rest_client(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await api.post("/api/v1/clients", json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


CLIENT_FIELDS = f"{scalars('client')} contacts {{ {scalars('client_contact')} }}"


# ---- the schema file ----------------------------------------------------------------------------
def test_committed_schema_matches_export() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == sdl(), (
        "graph/schema.graphql is stale: run `python -m graph.export --write` and review the diff"
    )


# ---- reads: the same rows and values as REST -----------------------------------------------------
async def test_list_matches_rest_with_filters_and_pagination(api: httpx.AsyncClient) -> None:
    for name in ("Acme Ltd", "Beta Acme", "Gamma", "Acme Three"):
        await rest_client(
            api,
            name=name,
            id_number=f"ID-{name.replace(' ', '')}",
            contacts=[{"first_name": name.split()[0], "email": f"{name[:4].lower()}@x.test"}],
        )
    cases = [
        ({}, {}),
        (
            {"name": "acme", "sort": "name|desc", "per_page": "2", "page": "2"},
            {"name": "acme", "sort": "name|desc", "perPage": 2, "page": 2},
        ),
        ({"filter": "gam"}, {"filter": "gam"}),
        ({"id_number": "ID-Gamma"}, {"idNumber": "ID-Gamma"}),
        ({"email": "beta@x.test", "status": "active"}, {"email": "beta@x.test", "status": "active"}),
        (
            {"balance": "0:eq", "between_balance": "-1:1", "is_deleted": "false"},
            {"balance": "0:eq", "betweenBalance": "-1:1", "isDeleted": "false"},
        ),
    ]
    query = f"""query($a: String, $b: String, $c: String, $d: String, $e: String, $f: String, $g: String,
                      $h: String, $i: String, $page: Int, $perPage: Int) {{
        clients(name: $a, sort: $b, filter: $c, idNumber: $d, email: $e, status: $f, balance: $g,
                betweenBalance: $h, isDeleted: $i, page: $page, perPage: $perPage) {{
            items {{ {CLIENT_FIELDS} }} pagination {{ total count perPage currentPage totalPages }} }} }}"""
    names = {
        "name": "a",
        "sort": "b",
        "filter": "c",
        "idNumber": "d",
        "email": "e",
        "status": "f",
        "balance": "g",
        "betweenBalance": "h",
        "isDeleted": "i",
        "page": "page",
        "perPage": "perPage",
    }
    for rest_params, gql_args in cases:
        rest = (await api.get("/api/v1/clients", params=rest_params)).json()
        data = (await ok(api, query, {names[k]: v for k, v in gql_args.items()}))["clients"]
        assert [c["id"] for c in data["items"]] == [c["id"] for c in rest["data"]], rest_params
        assert data["items"], rest_params
        for mine, theirs in zip(data["items"], rest["data"], strict=False):
            same_as_rest("client", mine, theirs)
            for c_mine, c_theirs in zip(mine["contacts"], theirs["contacts"], strict=True):
                same_as_rest("client_contact", c_mine, c_theirs)
        page = rest["meta"]["pagination"]
        assert data["pagination"] == {
            "total": page["total"],
            "count": page["count"],
            "perPage": page["per_page"],
            "currentPage": page["current_page"],
            "totalPages": page["total_pages"],
        }


async def test_status_filter_and_get_query_string(api: httpx.AsyncClient) -> None:
    keep = await rest_client(api, name="Keep")
    gone = await rest_client(api, name="Gone")
    r = await api.post("/api/v1/clients/bulk", json={"action": "archive", "ids": [gone["id"]]})
    assert r.status_code == 200, r.text
    data = await ok(api, '{ clients(status: "archived") { items { id archivedAt } } }')
    assert [c["id"] for c in data["clients"]["items"]] == [gone["id"]]
    assert data["clients"]["items"][0]["archivedAt"] > 0
    r = await api.get("/graphql", params={"query": '{ clients(status: "active") { items { id } } }'})
    assert r.status_code == 200, r.text
    assert [c["id"] for c in r.json()["data"]["clients"]["items"]] == [keep["id"]]
    r = await api.get("/graphql", params={"query": 'mutation { createClient(input: {name: "x"}) { id } }'})
    assert r.status_code == 400 and "not allowed when using GET" in r.json()["errors"][0]["message"]


async def test_single_client_with_nested_relations(api: httpx.AsyncClient) -> None:
    r = await api.post("/api/v1/group_settings", json={"name": "VIP", "settings": {"currency_id": "2"}})
    assert r.status_code == 200, r.text
    group = r.json()["data"]
    r = await api.put(
        f"/api/v1/group_settings/{group['id']}/upload", files=[("documents[]", ("logo.png", PNG, "image/png"))]
    )
    assert r.status_code == 200, r.text
    client = await rest_client(
        api,
        name="Nested",
        group_settings_id=group["id"],
        contacts=[{"first_name": "Ann", "email": "ann@x.test"}, {"first_name": "Bob"}],
    )
    r = await api.put(f"/api/v1/clients/{client['id']}/upload", files=[("documents[]", ("a.png", PNG, "image/png"))])
    assert r.status_code == 200, r.text
    rest = (await api.get(f"/api/v1/clients/{client['id']}", params={"include": "activities,group_settings"})).json()
    data = await ok(
        api,
        f"""query($id: HashID!) {{ client(id: $id) {{ {CLIENT_FIELDS}
        documents {{ {scalars("document")} }} activities {{ {scalars("activity")} }}
        groupSettings {{ {scalars("group_setting")} documents {{ {scalars("document")} }} }} }} }}""",
        {"id": client["id"]},
    )
    mine, theirs = data["client"], rest["data"]
    same_as_rest("client", mine, theirs)
    assert [c["firstName"] for c in mine["contacts"]] == ["Ann", "Bob"]
    for kind, key, gql_key in (
        ("client_contact", "contacts", "contacts"),
        ("document", "documents", "documents"),
        ("activity", "activities", "activities"),
    ):
        assert len(mine[gql_key]) == len(theirs[key]) > 0, key
        for a, b in zip(mine[gql_key], theirs[key], strict=False):
            same_as_rest(kind, a, b)
    same_as_rest("group_setting", mine["groupSettings"], theirs["group_settings"])
    assert mine["groupSettings"]["settings"] == {"currency_id": "2"}
    group_docs = (await api.get(f"/api/v1/group_settings/{group['id']}")).json()["data"]["documents"]
    assert [d["id"] for d in mine["groupSettings"]["documents"]] == [d["id"] for d in group_docs]
    same_as_rest("document", mine["groupSettings"]["documents"][0], group_docs[0])
    # a client without a group has no groupSettings
    bare = await rest_client(api, name="Bare")
    data = await ok(
        api, "query($id: HashID!) { client(id: $id) { groupSettingsId groupSettings { id } } }", {"id": bare["id"]}
    )
    assert data["client"] == {"groupSettingsId": "", "groupSettings": None}


@pytest.mark.parametrize("entity", [e for e in REGISTRY.values() if e.routes], ids=str)
async def test_every_list_field_serves_every_field(api: httpx.AsyncClient, entity: Any) -> None:
    """Generated from the registry: each routed entity's list answers all its fields and relations
    without an error (non-null fields really are never null)."""
    await rest_client(api, name="Someone", contacts=[{"first_name": "Ann"}])
    relations = " ".join(f"{to_camel_case(r.name)} {{ __typename }}" for r in entity.relations)
    field = to_camel_case(entity.path)
    data = await ok(
        api, f"{{ {field}(perPage: 5) {{ items {{ {scalars(entity.name)} {relations} }} pagination {{ total }} }} }}"
    )
    rest = (await api.get(f"/api/v1/{entity.path}", params={"per_page": "5"})).json()
    assert data[field]["pagination"]["total"] == rest["meta"]["pagination"]["total"]
    for mine, theirs in zip(data[field]["items"], rest["data"], strict=True):
        same_as_rest(entity.name, mine, theirs)


# ---- writes ---------------------------------------------------------------------------------------
CREATE = (
    "mutation($input: JSON!) { createClient(input: $input) "
    "{ id name number settings contacts { id firstName email isPrimary } } }"
)
UPDATE = (
    "mutation($id: HashID!, $input: JSON!) { updateClient(id: $id, input: $input) "
    "{ id name contacts { id firstName } } }"
)
BULK = (
    "mutation($action: String!, $ids: [HashID!]!, $input: JSON) { bulkClients(action: $action, ids: $ids, "
    "input: $input) { id archivedAt isDeleted groupSettingsId } }"
)


async def test_create_update_bulk_mutations(api: httpx.AsyncClient) -> None:
    made = (
        await ok(
            api, CREATE, {"input": {"name": "Made in GQL", "contacts": [{"first_name": "Zed", "email": "zed@x.test"}]}}
        )
    )["createClient"]
    assert made["name"] == "Made in GQL" and made["number"] == "0001"
    assert made["settings"]["currency_id"] == "1"
    assert [(c["firstName"], c["isPrimary"]) for c in made["contacts"]] == [("Zed", True)]
    rest = (await api.get(f"/api/v1/clients/{made['id']}")).json()["data"]
    assert rest["name"] == "Made in GQL" and rest["contacts"][0]["email"] == "zed@x.test"

    contact = made["contacts"][0]["id"]
    updated = (
        await ok(
            api,
            UPDATE,
            {
                "id": made["id"],
                "input": {"name": "Renamed", "contacts": [{"id": contact, "first_name": "Zoe"}, {"first_name": "New"}]},
            },
        )
    )["updateClient"]
    assert updated["name"] == "Renamed"
    assert [c["firstName"] for c in updated["contacts"]] == ["Zoe", "New"] and updated["contacts"][0]["id"] == contact

    body = await gql(api, CREATE, {"input": {"name": "x" * 300}})
    error = only_error(body)
    assert error["message"] == "The given data was invalid."
    assert error["extensions"]["status"] == 422 and error["extensions"]["code"] == "invalid"
    assert list(error["extensions"]["errors"]) == ["name"]
    assert body["data"] == {"createClient": None}
    error = only_error(await gql(api, CREATE, {"input": [1, 2]}))
    assert error["extensions"]["status"] == 400

    other = await rest_client(api, name="Other")
    rows = (await ok(api, BULK, {"action": "archive", "ids": [made["id"], other["id"]]}))["bulkClients"]
    assert sorted(r["id"] for r in rows) == sorted([made["id"], other["id"]])
    assert all(r["archivedAt"] > 0 and not r["isDeleted"] for r in rows)
    r = await api.post("/api/v1/group_settings", json={"name": "Gold"})
    group = r.json()["data"]["id"]
    rows = (
        await ok(api, BULK, {"action": "assign_group", "ids": [other["id"]], "input": {"group_settings_id": group}})
    )["bulkClients"]
    assert rows[0]["groupSettingsId"] == group
    error = only_error(await gql(api, BULK, {"action": "explode", "ids": [other["id"]]}))
    assert error["extensions"]["status"] == 422 and list(error["extensions"]["errors"]) == ["action"]
    error = only_error(await gql(api, BULK, {"action": " ", "ids": [other["id"]]}))
    assert error["extensions"]["errors"] == {"action": ["The action field is required."]}

    made_group = (
        await ok(
            api, 'mutation { createGroupSetting(input: {name: "Silver", settings: {x: 1.10}}) { id name settings } }'
        )
    )["createGroupSetting"]
    assert made_group["name"] == "Silver" and made_group["settings"] == {"x": 1.1}
    rows = (
        await ok(
            api,
            'mutation($ids: [HashID!]!) { bulkGroupSettings(action: "delete", ids: $ids) { id isDeleted } }',
            {"ids": [made_group["id"]]},
        )
    )["bulkGroupSettings"]
    assert rows == [{"id": made_group["id"], "isDeleted": True}]


async def test_rest_and_graphql_see_each_others_writes(api: httpx.AsyncClient) -> None:
    via_rest = await rest_client(api, name="From REST")
    data = await ok(api, "query($id: HashID!) { client(id: $id) { name } }", {"id": via_rest["id"]})
    assert data["client"]["name"] == "From REST"
    via_gql = (await ok(api, CREATE, {"input": {"name": "From GQL"}}))["createClient"]
    r = await api.get(f"/api/v1/clients/{via_gql['id']}")
    assert r.status_code == 200 and r.json()["data"]["name"] == "From GQL"
    r = await api.put(f"/api/v1/clients/{via_gql['id']}", json={"name": "Changed by REST"})
    assert r.status_code == 200, r.text
    data = await ok(api, '{ clients(sort: "name|asc") { items { name } } }')
    assert [c["name"] for c in data["clients"]["items"]] == ["Changed by REST", "From REST"]


# ---- tenant isolation -----------------------------------------------------------------------------
async def test_other_companys_ids_answer_like_missing_ones(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, db: Any
) -> None:
    theirs = await rest_client(api_b, name="B's client")
    before = dict(await db.fetchrow("SELECT * FROM clients WHERE id = $1", ids.decode(theirs["id"])))
    missing = ids.encode(2**40)
    answers = []
    for hid in (theirs["id"], missing, "not-a-hashid", "x" * 100):
        one = only_error(await gql(api, "query($id: HashID!) { client(id: $id) { id name } }", {"id": hid}))
        upd = only_error(await gql(api, UPDATE, {"id": hid, "input": {"name": "pwned"}}))
        bulk = only_error(await gql(api, BULK, {"action": "delete", "ids": [hid]}))
        answers.append([(e["message"], e["extensions"]) for e in (one, upd, bulk)])
    assert answers[0] == answers[1] == answers[2] == answers[3]
    assert answers[0][0] == ("Client not found", {"code": "not_found", "status": 404, "errors": {}})
    assert answers[0][1] == answers[0][0]
    assert answers[0][2] == (
        "The given data was invalid.",
        {"code": "invalid", "status": 422, "errors": {"ids": ["The selected ids is invalid."]}},
    )
    # a mixed bulk (one own id, one foreign) changes nothing either
    mine = await rest_client(api, name="A's client")
    only_error(await gql(api, BULK, {"action": "delete", "ids": [mine["id"], theirs["id"]]}))
    assert not (await api.get(f"/api/v1/clients/{mine['id']}")).json()["data"]["is_deleted"]
    after = dict(await db.fetchrow("SELECT * FROM clients WHERE id = $1", ids.decode(theirs["id"])))
    assert after == before
    listed = await ok(api, "{ clients { items { id } } }")
    assert theirs["id"] not in [c["id"] for c in listed["clients"]["items"]]


# ---- header contract ------------------------------------------------------------------------------
async def test_header_contract_on_graphql(app: Any, tenant_a: Any) -> None:
    query = {"query": "{ clients { pagination { total } } }"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as raw:
        r = await raw.post("/graphql", json=query, headers={"X-API-TOKEN": tenant_a.token})
        assert r.status_code == 403
        assert r.json() == {"message": "Missing or invalid X-Requested-With header", "errors": {}}
        r = await raw.post("/graphql", json=query, headers={"X-Requested-With": "XMLHttpRequest"})
        assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}
        r = await raw.post(
            "/graphql", json=query, headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": "wrong"}
        )
        assert r.status_code == 403 and r.json()["message"] == "Invalid token"
        r = await raw.options("/graphql")
        assert r.status_code == 200 and "x-minimum-client-version" in r.headers
        r = await raw.post(
            "/graphql", json=query, headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": tenant_a.token}
        )
        assert r.status_code == 200 and r.json() == {"data": {"clients": {"pagination": {"total": 0}}}}
        assert r.headers["content-type"] == "application/json" and "x-app-version" in r.headers


# ---- hostile documents ----------------------------------------------------------------------------
def nested(depth: int) -> str:
    return "{ clients { items { " + "groupSettings { " * depth + "id" + " }" * depth + " } } }"


async def test_limits_and_malformed_documents(api: httpx.AsyncClient) -> None:
    messages = [e["message"] for e in (await gql(api, nested(50)))["errors"]]
    assert any("exceeds maximum operation depth of 10" in m for m in messages), messages
    body = await gql(api, "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }")
    assert body.get("data") is None and body["errors"]
    body = await gql(api, "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }")
    assert "30" in only_error(body)["message"] and "alias" in only_error(body)["message"].lower()
    assert "a29" in (await ok(api, "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }"))
    body = await gql(api, '{ clients(filter: "' + "x" * 10 + '") { items { ' + "id " * 3000 + "} } }")
    assert "tokens" in only_error(body)["message"]
    for broken in ("{ clients { items { id }", "query {", "}}}", "{ nope }", '{ clients(page: "x") { items { id } } }'):
        body = await gql(api, broken)
        assert body["errors"] and body.get("data") is None, broken
    r = await api.post("/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}])
    assert r.status_code == 400 and r.json()["errors"][0]["message"] == "Batching is not enabled"
    r = await api.post("/graphql", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["errors"]
    r = await api.post("/graphql", json={"query": "{ __typename }", "variables": [1]})
    assert r.status_code == 400
    body = await gql(api, "query($id: HashID!) { client(id: $id) { id } }", {"id": 12})
    assert "HashID must be a string" in only_error(body)["message"]
    r = await api.post("/graphql", json={"query": "{ __typename }", "variables": {"pad": "x" * (3 << 20)}})
    assert r.status_code == 413 and r.json()["errors"][0]["extensions"]["status"] == 413


async def test_introspection_follows_the_setting(api: httpx.AsyncClient, settings: Any, db: Any, tenant_a: Any) -> None:
    data = await ok(api, "{ __schema { queryType { name } } }")
    assert data == {"__schema": {"queryType": {"name": "Query"}}}
    closed = create_app(replace(settings, graphql_introspection=False), db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=closed),
        base_url="http://testserver",
        headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": tenant_a.token},
    ) as c:
        body = await gql(c, "{ __schema { queryType { name } } }")
        assert body["data"] is None and "introspection has been disabled" in body["errors"][0]["message"]
        assert await ok(c, "{ __typename }") == {"__typename": "Query"}
        r = await c.get("/graphql", headers={"Accept": "text/html"})
        assert r.status_code == 404


def test_unexpected_errors_are_masked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    error = GraphQLError("boom", path=["clients"], original_error=RuntimeError("SELECT secret FROM x"))
    with caplog.at_level(logging.ERROR, logger="lightninja"):
        masked = convert(error)
    assert masked.formatted == {
        "message": "Server Error",
        "path": ["clients"],
        "extensions": {"code": "server_error", "status": 500, "errors": {}},
    }
    assert "SELECT secret" in caplog.text
    syntax = GraphQLError("Syntax Error: Expected Name")
    assert convert(syntax) is syntax


# ---- statement count: nested lists are batched ----------------------------------------------------
async def seed(db: Any, company: str, n: int) -> None:
    company_id = ids.decode(company)
    group = await db.fetchval("INSERT INTO group_settings (company_id, name) VALUES ($1, 'G') RETURNING id", company_id)
    await db.execute(
        "INSERT INTO documents (company_id, documentable_type, documentable_id, hash, name, type) "
        "VALUES ($1, 'group_settings', $2, md5(random()::text), 'g.png', 'png')",
        company_id,
        group,
    )
    await db.execute(
        "INSERT INTO clients (company_id, name, group_settings_id) SELECT $1, 'C' || g, "
        "CASE WHEN g % 2 = 0 THEN $3::bigint END FROM generate_series(1, $2) g",
        company_id,
        n,
        group,
    )
    await db.execute(
        "INSERT INTO client_contacts (company_id, client_id, contact_key, first_name) "
        "SELECT company_id, id, md5(id::text), 'F' || id FROM clients WHERE company_id = $1",
        company_id,
    )
    await db.execute(
        "INSERT INTO documents (company_id, documentable_type, documentable_id, hash, name, type) "
        "SELECT company_id, 'clients', id, md5(id::text), 'd.png', 'png' FROM clients WHERE company_id = $1",
        company_id,
    )


NESTED = """query($n: Int) { clients(perPage: $n) { items { id name contacts { id firstName } documents { id name }
    activities { id } groupSettings { id name documents { id } } } } }"""


async def test_nested_lists_run_a_constant_number_of_statements(api: httpx.AsyncClient, db: Any, tenant_a: Any) -> None:
    await seed(db, tenant_a.company_id, 200)
    counts = {}
    for n in (20, 200):
        before = db.queries
        data = await ok(api, NESTED, {"n": n})
        counts[n] = db.queries - before
        items = data["clients"]["items"]
        assert len(items) == n
        assert all(len(c["contacts"]) == 1 and len(c["documents"]) == 1 for c in items)
        grouped = [c for c in items if c["groupSettings"] is not None]
        assert len(grouped) == n // 2 and all(len(c["groupSettings"]["documents"]) == 1 for c in grouped)
    assert counts[20] == counts[200], counts
    assert counts[200] <= 6, counts
