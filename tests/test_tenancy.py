"""Tenant isolation (docs/decisions.md "No existence oracle"): with company A's token,
company B's ids behave exactly like ids that do not exist, in URLs, in bulk calls, in filters and in bodies,
and nothing of B ever changes."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import httpx
import pytest

from app import ids
from app.db import Db

TENANT_TABLES = ("clients", "client_contacts", "group_settings", "documents", "activities", "company_tokens")


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


async def snapshot(db: Db, company_hashed: str) -> dict[str, list[dict[str, Any]]]:
    company = ids.decode(company_hashed)
    out = {}
    for table in TENANT_TABLES:
        rows = await db.fetch(f"SELECT * FROM {table} WHERE company_id = $1 ORDER BY id", company)
        out[table] = [dict(r) for r in rows]
    out["companies"] = [dict(await db.fetchrow("SELECT * FROM companies WHERE id = $1", company))]
    return out


async def upload(http: httpx.AsyncClient, client_id: str) -> dict[str, Any]:
    r = await http.put(f"/api/v1/clients/{client_id}/upload", files={"documents[]": ("logo.png", png(), "image/png")})
    assert r.status_code == 200, r.text
    return r.json()["data"]["documents"][-1]


class World:
    a_client: dict[str, Any]
    a_group: dict[str, Any]
    a_document: dict[str, Any]
    b_client: dict[str, Any]
    b_group: dict[str, Any]
    b_document: dict[str, Any]
    b_activity: str
    b_before: dict[str, Any]
    tenant_b: Any


@pytest.fixture
async def world(api: httpx.AsyncClient, api_b: httpx.AsyncClient, tenant_b: Any, db: Db) -> World:
    w = World()
    w.tenant_b = tenant_b
    w.a_group = (await api.post("/api/v1/group_settings", json={"name": "A group"})).json()["data"]
    w.a_client = (
        await api.post(
            "/api/v1/clients",
            json={
                "name": "A client",
                "group_settings_id": w.a_group["id"],
                "contacts": [{"first_name": "Alice", "email": "alice@a.test"}],
            },
        )
    ).json()["data"]
    w.a_document = await upload(api, w.a_client["id"])
    w.b_group = (await api_b.post("/api/v1/group_settings", json={"name": "B group"})).json()["data"]
    r = await api_b.post(
        "/api/v1/clients",
        json={
            "name": "B secret client",
            "number": "B-1",
            "group_settings_id": w.b_group["id"],
            "contacts": [{"first_name": "Bob", "email": "bob@b.test"}, {"first_name": "Bea", "email": "bea@b.test"}],
        },
    )
    assert r.status_code == 200, r.text
    w.b_client = r.json()["data"]
    w.b_document = await upload(api_b, w.b_client["id"])
    activities = (await api_b.get(f"/api/v1/activities?client_id={w.b_client['id']}")).json()["data"]
    w.b_activity = activities[0]["id"]
    w.b_before = await snapshot(db, tenant_b.company_id)
    return w


async def assert_b_unchanged(db: Db, world: World) -> None:
    assert await snapshot(db, world.tenant_b.company_id) == world.b_before


def missing_id() -> str:
    return ids.encode(7_777_777)


# ---- ids in URLs -----------------------------------------------------------------------------------


def url_cases(w: World) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path template with {id}, the B id to put in, request kwargs)."""
    return [
        ("GET", "/api/v1/clients/{id}", w.b_client["id"], {}),
        ("GET", "/api/v1/clients/{id}?include=activities,group_settings", w.b_client["id"], {}),
        ("PUT", "/api/v1/clients/{id}", w.b_client["id"], {"json": {"name": "Taken over"}}),
        ("PATCH", "/api/v1/clients/{id}", w.b_client["id"], {"json": {"name": "Taken over"}}),
        ("POST", "/api/v1/clients/{id}?_method=PUT", w.b_client["id"], {"json": {"name": "Taken over"}}),
        ("PUT", "/api/v1/clients/{id}", w.b_client["id"], {"json": {"contacts": []}}),
        ("DELETE", "/api/v1/clients/{id}", w.b_client["id"], {}),
        (
            "PUT",
            "/api/v1/clients/{id}/upload",
            w.b_client["id"],
            {"files": {"documents[]": ("x.png", png(), "image/png")}},
        ),
        (
            "POST",
            "/api/v1/clients/{id}/upload",
            w.b_client["id"],
            {"data": {"_method": "PUT"}, "files": {"documents[]": ("x.png", png(), "image/png")}},
        ),
        ("GET", "/api/v1/group_settings/{id}", w.b_group["id"], {}),
        ("PUT", "/api/v1/group_settings/{id}", w.b_group["id"], {"json": {"name": "Taken over"}}),
        ("DELETE", "/api/v1/group_settings/{id}", w.b_group["id"], {}),
        (
            "PUT",
            "/api/v1/group_settings/{id}/upload",
            w.b_group["id"],
            {"files": {"documents[]": ("x.png", png(), "image/png")}},
        ),
        ("GET", "/api/v1/documents/{id}", w.b_document["id"], {}),
        ("GET", "/api/v1/documents/{id}/download", w.b_document["id"], {}),
        ("PUT", "/api/v1/documents/{id}", w.b_document["id"], {"json": {"name": "taken.png", "is_public": False}}),
        ("DELETE", "/api/v1/documents/{id}", w.b_document["id"], {}),
        ("GET", "/api/v1/activities/{id}", w.b_activity, {}),
    ]


async def test_foreign_ids_in_urls_look_exactly_like_missing_ones(api: httpx.AsyncClient, world: World, db: Db) -> None:
    for method, template, foreign, kwargs in url_cases(world):
        responses = {}
        for label, value in (("foreign", foreign), ("missing", missing_id()), ("garbage", "NotAnId42")):
            r = await api.request(method, template.format(id=value), **kwargs)
            responses[label] = (r.status_code, r.json())
        assert responses["foreign"][0] == 404, (method, template, responses)
        assert responses["foreign"] == responses["missing"] == responses["garbage"], (method, template, responses)
        assert responses["foreign"][1]["message"].endswith(" not found")
        assert responses["foreign"][1]["errors"] == {}
    await assert_b_unchanged(db, world)


async def test_client_not_found_message(api: httpx.AsyncClient, world: World) -> None:
    r = await api.get(f"/api/v1/clients/{world.b_client['id']}")
    assert r.json() == {"message": "Client not found", "errors": {}}
    r = await api.get(f"/api/v1/group_settings/{world.b_group['id']}")
    assert r.json() == {"message": "Group setting not found", "errors": {}}


async def test_own_ids_still_work(api: httpx.AsyncClient, world: World) -> None:
    """The positive control for the test above: the same routes with A's ids succeed."""
    assert (await api.get(f"/api/v1/clients/{world.a_client['id']}")).status_code == 200
    assert (await api.get(f"/api/v1/group_settings/{world.a_group['id']}")).status_code == 200
    assert (await api.get(f"/api/v1/documents/{world.a_document['id']}")).status_code == 200
    download = await api.get(f"/api/v1/documents/{world.a_document['id']}/download")
    assert download.status_code == 200 and download.content == png()


# ---- bulk --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action,extra",
    [
        ("archive", {}),
        ("restore", {}),
        ("delete", {}),
        ("bulk_update", {"column": "public_notes", "new_value": "pwned"}),
    ],
)
async def test_client_bulk_with_a_foreign_id_changes_nothing(
    api: httpx.AsyncClient, world: World, db: Db, action: str, extra: dict[str, Any]
) -> None:
    a_before = dict(await db.fetchrow("SELECT * FROM clients WHERE id = $1", ids.decode(world.a_client["id"])))
    results = []
    for other in (world.b_client["id"], missing_id()):
        r = await api.post(
            "/api/v1/clients/bulk", json={"action": action, "ids": [world.a_client["id"], other], **extra}
        )
        results.append((r.status_code, r.json()))
    assert results[0] == results[1]
    assert results[0] == (
        422,
        {"message": "The given data was invalid.", "errors": {"ids": ["The selected ids is invalid."]}},
    )
    a_after = dict(await db.fetchrow("SELECT * FROM clients WHERE id = $1", ids.decode(world.a_client["id"])))
    assert a_after == a_before
    await assert_b_unchanged(db, world)


async def test_bulk_assign_foreign_group(api: httpx.AsyncClient, world: World, db: Db) -> None:
    results = []
    for group in (world.b_group["id"], missing_id()):
        r = await api.post(
            "/api/v1/clients/bulk",
            json={"action": "assign_group", "ids": [world.a_client["id"]], "group_settings_id": group},
        )
        results.append((r.status_code, r.json()))
    assert results[0] == results[1]
    assert results[0][0] == 422 and "group_settings_id" in results[0][1]["errors"]
    assert await db.fetchval(
        "SELECT group_settings_id FROM clients WHERE id = $1", ids.decode(world.a_client["id"])
    ) == ids.decode(world.a_group["id"])
    await assert_b_unchanged(db, world)


async def test_group_settings_and_document_bulk_with_foreign_ids(api: httpx.AsyncClient, world: World, db: Db) -> None:
    for path, own, foreign, action in (
        ("/api/v1/group_settings/bulk", world.a_group["id"], world.b_group["id"], "archive"),
        ("/api/v1/group_settings/bulk", world.a_group["id"], world.b_group["id"], "delete"),
        ("/api/v1/documents/bulk", world.a_document["id"], world.b_document["id"], "delete"),
        ("/api/v1/documents/bulk", world.a_document["id"], world.b_document["id"], "download"),
    ):
        results = []
        for other in (foreign, missing_id()):
            r = await api.post(path, json={"action": action, "ids": [own, other]})
            results.append((r.status_code, r.json()))
        assert results[0] == results[1], (path, action, results)
        assert results[0][0] == 422 and "ids" in results[0][1]["errors"], (path, action, results)
    assert (
        await db.fetchval("SELECT deleted_at FROM group_settings WHERE id = $1", ids.decode(world.a_group["id"]))
        is None
    )
    assert await db.fetchval("SELECT count(*) FROM documents WHERE id = $1", ids.decode(world.a_document["id"])) == 1
    await assert_b_unchanged(db, world)


# ---- lists and filters ----------------------------------------------------------------------------


async def test_lists_never_show_foreign_rows(api: httpx.AsyncClient, world: World, db: Db) -> None:
    b_client, b_group = world.b_client["id"], world.b_group["id"]
    empty = [
        f"/api/v1/clients?client_id={b_client}",
        f"/api/v1/clients?group={b_group}",
        "/api/v1/clients?filter=secret",
        "/api/v1/clients?number=B-1",
        "/api/v1/clients?email=bob@b.test",
        "/api/v1/clients?filter=bob",
        f"/api/v1/activities?client_id={b_client}",
        f"/api/v1/documents?client_id={b_client}",
    ]
    for path in empty:
        r = await api.get(path)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["data"] == [] and r.json()["meta"]["pagination"]["total"] == 0, path
    for path, own in (
        ("/api/v1/clients", world.a_client["id"]),
        ("/api/v1/group_settings", world.a_group["id"]),
        ("/api/v1/documents", world.a_document["id"]),
        (f"/api/v1/clients?with={b_client}", world.a_client["id"]),
        (f"/api/v1/clients?status=archived&with={b_client}", None),
    ):
        r = await api.get(path)
        found = [x["id"] for x in r.json()["data"]]
        assert found == ([own] if own else []), (path, found)
    activities = (await api.get("/api/v1/activities?per_page=100")).json()["data"]
    assert activities and all(a["client_id"] in ("", world.a_client["id"]) for a in activities)
    assert world.b_activity not in {a["id"] for a in activities}
    included = (
        await api.get(f"/api/v1/clients/{world.a_client['id']}?include=activities,documents,group_settings")
    ).json()["data"]
    assert {a["id"] for a in included["activities"]} <= {a["id"] for a in activities}
    assert [d["id"] for d in included["documents"]] == [world.a_document["id"]]
    assert included["group_settings"]["id"] == world.a_group["id"]
    await assert_b_unchanged(db, world)


# ---- ids inside bodies ------------------------------------------------------------------------------


async def test_foreign_group_in_a_body_is_422_like_a_missing_one(api: httpx.AsyncClient, world: World, db: Db) -> None:
    for method, path in (("POST", "/api/v1/clients"), ("PUT", f"/api/v1/clients/{world.a_client['id']}")):
        results = []
        for group in (world.b_group["id"], missing_id()):
            r = await api.request(method, path, json={"name": "With B's group", "group_settings_id": group})
            results.append((r.status_code, r.json()))
        assert results[0] == results[1]
        assert results[0] == (
            422,
            {
                "message": "The given data was invalid.",
                "errors": {"group_settings_id": ["The selected group settings id is invalid."]},
            },
        )
    assert await db.fetchval("SELECT count(*) FROM clients WHERE name = $1", "With B's group") == 0
    assert await db.fetchval("SELECT name FROM clients WHERE id = $1", ids.decode(world.a_client["id"])) == "A client"
    await assert_b_unchanged(db, world)


async def test_foreign_assigned_user_in_a_body_is_422(
    api: httpx.AsyncClient, world: World, db: Db, tenant_a: Any
) -> None:
    results = []
    for user in (world.tenant_b.user_id, missing_id()):
        r = await api.post("/api/v1/clients", json={"name": "Assigned", "assigned_user_id": user})
        results.append((r.status_code, r.json()))
    assert results[0] == results[1]
    assert results[0][0] == 422 and list(results[0][1]["errors"]) == ["assigned_user_id"]
    r = await api.post("/api/v1/clients", json={"name": "Assigned", "assigned_user_id": tenant_a.user_id})
    assert r.status_code == 200 and r.json()["data"]["assigned_user_id"] == tenant_a.user_id
    await assert_b_unchanged(db, world)


async def test_foreign_contact_ids_in_a_body_are_not_taken_over(api: httpx.AsyncClient, world: World, db: Db) -> None:
    b_contact = world.b_client["contacts"][0]
    r = await api.put(
        f"/api/v1/clients/{world.a_client['id']}",
        json={"contacts": [{"id": b_contact["id"], "first_name": "Mallory", "email": "mallory@a.test"}]},
    )
    assert r.status_code == 200, r.text
    [contact] = r.json()["data"]["contacts"]
    assert contact["id"] != b_contact["id"] and contact["first_name"] == "Mallory"
    await assert_b_unchanged(db, world)


async def test_b_sees_its_own_data_untouched(api: httpx.AsyncClient, api_b: httpx.AsyncClient, world: World) -> None:
    for method, template, foreign, kwargs in url_cases(world):
        await api.request(method, template.format(id=foreign), **kwargs)
    r = await api_b.get(f"/api/v1/clients/{world.b_client['id']}?include=group_settings")
    client = r.json()["data"]
    assert client["name"] == "B secret client" and client["is_deleted"] is False and client["archived_at"] == 0
    assert [c["first_name"] for c in client["contacts"]] == ["Bob", "Bea"]
    assert [d["id"] for d in client["documents"]] == [world.b_document["id"]]
    assert client["group_settings"]["name"] == "B group"
    download = await api_b.get(f"/api/v1/documents/{world.b_document['id']}/download")
    assert download.status_code == 200 and download.content == png()


async def test_t2_member_of_both_companies_stays_in_the_token_company(
    anon: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db
) -> None:
    """User U belongs to A and B; with the token of A, U cannot reach what U itself created in B (IN#7879)."""
    from app.services import accounts

    user = ids.decode(tenant_a.user_id)
    company_b = ids.decode(tenant_b.company_id)
    account_b = await db.fetchval("SELECT account_id FROM companies WHERE id = $1", company_b)
    await db.execute(
        "INSERT INTO company_users (company_id, user_id, account_id, is_admin) VALUES ($1, $2, $3, true)",
        company_b,
        user,
        account_b,
    )
    token_b, _ = await accounts.mint_token(db, company_b, user, account_b, "U in B", is_system=False)
    in_b = {"X-API-TOKEN": token_b}
    in_a = {"X-API-TOKEN": tenant_a.token}
    created = (await anon.post("/api/v1/clients", json={"name": "U's client in B"}, headers=in_b)).json()["data"]
    group = (await anon.post("/api/v1/group_settings", json={"name": "U's group in B"}, headers=in_b)).json()["data"]
    before = await snapshot(db, tenant_b.company_id)
    missing = {"message": "Client not found", "errors": {}}
    for r in (
        await anon.get(f"/api/v1/clients/{created['id']}", headers=in_a),
        await anon.put(f"/api/v1/clients/{created['id']}", json={"name": "x"}, headers=in_a),
        await anon.delete(f"/api/v1/clients/{created['id']}", headers=in_a),
    ):
        assert r.status_code == 404 and r.json() == missing
    r = await anon.post("/api/v1/clients/bulk", json={"action": "archive", "ids": [created["id"]]}, headers=in_a)
    assert r.status_code == 422
    r = await anon.post("/api/v1/clients", json={"name": "x", "group_settings_id": group["id"]}, headers=in_a)
    assert r.status_code == 422
    assert (await anon.get("/api/v1/clients", headers=in_a)).json()["data"] == []
    assert await snapshot(db, tenant_b.company_id) == before
