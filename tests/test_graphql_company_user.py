"""GraphQL `User.companyUser`: the membership REST shows with `?include=company_user`, of the caller's
company only, loaded in one statement for a whole page of users."""

from __future__ import annotations

from typing import Any

import httpx
from members import add_member
from test_graphql import gql, ok, only_error

from app import ids
from app.db import Db

USERS = """query($n: Int) { users(perPage: $n) { items { id email companyUser { permissions isAdmin isOwner isLocked
    settings notifications reactSettings permissionsUpdatedAt createdAt updatedAt archivedAt ninjaPortalUrl } } } }"""


def by_email(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {u["email"]: u for u in data["users"]["items"]}


async def test_company_user_matches_rest(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    await add_member(db, tenant_a.company_id, "m@example.com", permissions="view_client,edit_invoice")
    await add_member(db, tenant_a.company_id, "admin@example.com", is_admin=True)
    users = by_email(await ok(api, USERS, {"n": 20}))
    rest = {u["email"]: u["company_user"] for u in (await api.get("/api/v1/users?include=company_user")).json()["data"]}
    assert set(users) == set(rest) and len(users) == 3
    member = users["m@example.com"]["companyUser"]
    assert member["permissions"] == "view_client,edit_invoice"
    assert member["isAdmin"] is False and member["isOwner"] is False and member["isLocked"] is False
    assert users["admin@example.com"]["companyUser"]["isAdmin"] is True
    owner = [u for u in users.values() if u["id"] == tenant_a.user_id][0]["companyUser"]
    assert owner["isOwner"] is True and owner["isAdmin"] is True
    for email, user in users.items():  # the same values as REST's include, field by field
        got, want = user["companyUser"], rest[email]
        assert got["permissions"] == want["permissions"] and got["settings"] == want["settings"]
        assert got["notifications"] == want["notifications"] and got["reactSettings"] == want["react_settings"]
        assert got["updatedAt"] == want["updated_at"] and got["archivedAt"] == want["archived_at"]
        assert got["permissionsUpdatedAt"] == want["permissions_updated_at"]
        assert got["ninjaPortalUrl"] == "" and isinstance(got["settings"], dict)


async def test_company_user_is_the_current_companys(
    api: httpx.AsyncClient, api_b: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db
) -> None:
    # company A's owner is also a limited member of company B
    await add_member(
        db, tenant_b.company_id, "ignored@example.com", "view_invoice", user_id=ids.decode(tenant_a.user_id)
    )
    seen_by_b = {u["id"]: u for u in (await ok(api_b, USERS, {"n": 20}))["users"]["items"]}
    assert set(seen_by_b) == {tenant_a.user_id, tenant_b.user_id}
    shared = seen_by_b[tenant_a.user_id]["companyUser"]
    assert shared["permissions"] == "view_invoice" and shared["isOwner"] is False and shared["isAdmin"] is False
    # from company A the same user is its owner, and company B's users are not there at all
    seen_by_a = {u["id"]: u for u in (await ok(api, USERS, {"n": 20}))["users"]["items"]}
    assert set(seen_by_a) == {tenant_a.user_id}
    assert seen_by_a[tenant_a.user_id]["companyUser"]["isOwner"] is True
    # company B's owner by id from company A: the same answer as a missing user
    body = await gql(
        api, "query($id: HashID!) { user(id: $id) { id companyUser { isOwner } } }", {"id": tenant_b.user_id}
    )
    assert only_error(body)["message"] == "User not found" and body["data"] == {"user": None}


async def test_a_member_without_view_user_sees_its_own(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    user_id, token = await add_member(db, tenant_a.company_id, "m@example.com", permissions="view_client")
    r = await anon.post("/graphql", json={"query": USERS, "variables": {"n": 20}}, headers={"X-API-TOKEN": token})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    items = r.json()["data"]["users"]["items"]
    assert [u["id"] for u in items] == [ids.encode(user_id)]
    assert items[0]["companyUser"]["permissions"] == "view_client"


async def test_company_user_loads_in_one_statement_per_page(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    for i in range(30):
        await add_member(db, tenant_a.company_id, f"u{i}@example.com", permissions="view_client")
    counts = {}
    for n in (3, 31):
        before = db.queries
        items = (await ok(api, USERS, {"n": n}))["users"]["items"]
        counts[n] = db.queries - before
        assert len(items) == n and all(u["companyUser"] is not None for u in items)
    assert counts[3] == counts[31], counts
