"""Permissions, GENERATED from the registry: for every routed entity, a member with no permissions, with
view_X only, with create_X only and with edit_X only meets the owner's row and its own over REST and
GraphQL, and gets exactly what upstream's policies allow (docs: upstream-team-and-permissions.md 2.1-2.6):

- view: `view_X`, `edit_X` (edit implies view), or the row is the member's own (created or assigned);
  designs, group settings and payment terms are visible to every member. Invisible rows answer 404, lists
  leave them out.
- create: `create_X`, except entities only admins create (tokens, users, gateways, tax rates, ...) or only
  `create_all` creates (designs, payment terms): 403 otherwise.
- edit (update, delete, bulk): `edit_X`, or the member's own row; a visible row without it is a 403.
  Users and tokens are renamed and changed by admins only (their bulk follows the generic rule for tokens).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from members import PASSWORD, add_member
from strawberry.utils.str_converters import to_camel_case
from test_registry_matrix import INVALID_IDS, ROUTED, Company, answer, errors_of, gql, not_found, type_name

from app import ids
from app.auth import ADMIN_CREATES, CREATE_ALL_ONLY, VISIBLE_TO_MEMBERS
from app.crud.service import CrudService
from app.db import Db
from app.entities.spec import Entity
from app.services import service_for

PROFILES = ("none", "view", "create", "edit")
DENIED = (403, {"message": "This action is unauthorized.", "errors": {}})
# PUT is for admins (and, for users, oneself) only; so are all writes of entities whose service sets its own
# write rules (gateway tokens, schedulers, task statuses)
ADMIN_EDITS = {"user", "company_token"} | {
    e.name
    for e in ROUTED
    if type(service_for(e, None))._require is not CrudService._require  # type: ignore[arg-type]
}


def permissions(profile: str, entity: Entity) -> str:
    return "" if profile == "none" else f"{profile}_{entity.name}"


def may_view(profile: str, entity: Entity) -> bool:
    return entity.name in VISIBLE_TO_MEMBERS or profile in ("view", "edit")


def may_create(profile: str, entity: Entity) -> bool:
    return profile == "create" and entity.name not in ADMIN_CREATES | CREATE_ALL_ONLY


def may_edit(profile: str, entity: Entity) -> bool:
    return profile == "edit" and entity.name not in ADMIN_EDITS


class Member(Company):
    """A member of company A with one permission profile, speaking through its own token."""

    def __init__(self, owner: Company, http: httpx.AsyncClient, user_id: int) -> None:
        self.http, self.tenant, self.db, self.tag = http, owner.tenant, owner.db, "m"
        self.company_id, self.user_id, self.rows = owner.company_id, user_id, {}
        self.owner = owner

    async def hid(self, name: str) -> str:
        return await self.owner.hid(name)  # the owner's rows (client, bank account): bodies name rows of the company


@pytest.fixture
def owner(tenant_a: Any, db: Db) -> Company:
    return Company(tenant_a, db, "a")


async def member_of(app: Any, db: Db, owner: Company, perms: str) -> AsyncIterator[Member]:
    user_id, token = await add_member(db, owner.tenant.company_id, f"member-{perms or 'none'}@example.com", perms)
    headers = {"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": token, "X-API-PASSWORD": PASSWORD}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    ) as http:
        yield Member(owner, http, user_id)


def by_id(entity: Entity) -> bool:
    """Rows with their own id (the ledger's rows have none: it is listed, never shown one by one)."""
    return entity.field("id") is not None and entity.name != entity.path


def listed_owner_row(entity: Entity, rows: list[dict[str, Any]], theirs: str) -> bool:
    return theirs in [r.get("id") for r in rows] if by_id(entity) else bool(rows)


def expected_edit(profile: str, entity: Entity) -> tuple[int, Any]:
    if may_edit(profile, entity):
        return 200, None
    return DENIED if may_view(profile, entity) else not_found(entity)


CASES = [(e, p) for e in ROUTED for p in PROFILES]


@pytest.mark.parametrize(("entity", "profile"), CASES, ids=[f"{e.name}-{p}" for e, p in CASES])
async def test_rest_permissions(entity: Entity, profile: str, owner: Company, app: Any, db: Db) -> None:
    theirs = ids.encode(await owner.row(entity.name))
    base = f"/api/v1/{entity.path}"
    async for m in member_of(app, db, owner, permissions(profile, entity)):
        listed = await m.http.get(f"{base}?per_page=500")
        assert listed.status_code == 200, listed.text
        assert listed_owner_row(entity, listed.json()["data"], theirs) == may_view(profile, entity)
        if by_id(entity):
            shown = answer(await m.http.get(f"{base}/{theirs}"))
            assert shown[0] == (200 if may_view(profile, entity) else 404), shown
        if not entity.writable:
            return
        body = await owner.body(entity.name)
        before = await owner.http.get(f"{base}/{theirs}")
        status, payload = expected_edit(profile, entity)
        updated = answer(await m.http.put(f"{base}/{theirs}", json=body))
        assert updated[0] == status and (payload is None or updated[1] == payload), updated
        bulk = answer(await m.http.post(f"{base}/bulk", json={"action": "archive", "ids": [theirs]}))
        if entity.name == "company_token" and profile == "edit":
            assert bulk[0] == 200, bulk  # upstream: bulk asks edit_company_token, not admin
        elif status == 200:
            assert bulk[0] == 200, bulk
        else:
            assert bulk == (DENIED if may_view(profile, entity) else INVALID_IDS), bulk
        if bulk[0] != 200:  # refused: the owner's row is as it was
            after = await owner.http.get(f"{base}/{theirs}")
            assert after.json() == before.json()
        created = answer(await m.http.post(base, json=await m.body(entity.name)))
        if not may_create(profile, entity):
            assert created == DENIED, created
            return
        assert created[0] == 200, created
        mine = created[1]["data"]["id"]
        # the member's own row: visible and editable whatever else it may do
        assert (await m.http.get(f"{base}/{mine}")).status_code == 200
        assert (await m.http.put(f"{base}/{mine}", json=await m.body(entity.name))).status_code == 200
        assert mine in [r["id"] for r in (await m.http.get(f"{base}?per_page=500")).json()["data"]]


def gql_status(body: dict[str, Any]) -> int:
    errors = errors_of(body)
    return 200 if not errors else int(errors[0][1]["status"])


@pytest.mark.parametrize(("entity", "profile"), CASES, ids=[f"{e.name}-{p}" for e, p in CASES])
async def test_graphql_permissions(entity: Entity, profile: str, owner: Company, app: Any, db: Db) -> None:
    theirs = ids.encode(await owner.row(entity.name))
    single, plural = to_camel_case(entity.name), to_camel_case(entity.path)
    async for m in member_of(app, db, owner, permissions(profile, entity)):
        first = "id" if by_id(entity) else "createdAt"
        listed = await gql(m.http, f"{{ {plural}(perPage: 500) {{ items {{ {first} }} }} }}", {})
        assert gql_status(listed) == 200, listed
        assert listed_owner_row(entity, listed["data"][plural]["items"], theirs) == may_view(profile, entity)
        if not by_id(entity):
            return
        shown = await gql(m.http, f"query($id: HashID!) {{ {single}(id: $id) {{ id }} }}", {"id": theirs})
        assert gql_status(shown) == (200 if may_view(profile, entity) else 404), shown
        if not entity.writable:
            return
        status, _ = expected_edit(profile, entity)
        updated = await gql(
            m.http,
            f"mutation($id: HashID!, $input: JSON!) {{ update{type_name(entity)}(id: $id, input: $input) {{ id }} }}",
            {"id": theirs, "input": await owner.body(entity.name)},
        )
        assert gql_status(updated) == status, updated
        created = await gql(
            m.http,
            f"mutation($input: JSON!) {{ create{type_name(entity)}(input: $input) {{ id }} }}",
            {"input": await m.body(entity.name)},
        )
        assert gql_status(created) == (200 if may_create(profile, entity) else 403), created


async def test_a_member_cannot_raise_its_own_permissions(owner: Company, app: Any, db: Db) -> None:
    async for m in member_of(app, db, owner, "view_client"):
        me = ids.encode(m.user_id)
        for path, body in (
            (f"/api/v1/company_users/{me}", {"company_user": {"permissions": "edit_all", "is_admin": True}}),
            (f"/api/v1/users/{me}", {"company_user": {"permissions": "create_all", "is_admin": True}}),
        ):
            r = await m.http.put(path, json=body)
            assert r.status_code == 200, r.text
        row = await db.fetchrow(
            "SELECT permissions, is_admin FROM company_users WHERE company_id = $1 AND user_id = $2",
            owner.company_id,
            m.user_id,
        )
        assert dict(row) == {"permissions": "view_client", "is_admin": False}
        r = await m.http.post("/api/v1/clients", json={"name": "still not allowed"})
        assert answer(r) == DENIED


async def test_rights_changed_by_an_admin_apply_to_the_next_request(owner: Company, app: Any, db: Db) -> None:
    theirs = ids.encode(await owner.row("client"))
    async for m in member_of(app, db, owner, ""):
        assert (await m.http.get(f"/api/v1/clients/{theirs}")).status_code == 404
        r = await owner.http.put(
            f"/api/v1/company_users/{ids.encode(m.user_id)}", json={"company_user": {"permissions": "view_client"}}
        )
        assert r.status_code == 200 and r.json()["data"]["permissions"] == "view_client"
        assert (await m.http.get(f"/api/v1/clients/{theirs}")).status_code == 200
