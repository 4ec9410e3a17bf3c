"""Users of a company: create or attach, update, archive/restore/delete, detach, invite/reconfirm, the
password confirmation they need, and who may do what."""

from __future__ import annotations

from typing import Any

import httpx
from members import PASSWORD, add_member

from app import ids
from app.db import Db

CONFIRMED = {"X-API-PASSWORD": PASSWORD}
DENIED = {"message": "This action is unauthorized.", "errors": {}}
BAD_PASSWORD = {"message": "Invalid Password", "errors": {}}


async def create(api: httpx.AsyncClient, email: str, **extra: Any) -> httpx.Response:
    body = {"first_name": "New", "last_name": "Member", "email": email, **extra}
    return await api.post("/api/v1/users?include=company_user", json=body, headers=CONFIRMED)


async def test_create_joins_the_company_with_the_given_rights(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    r = await create(
        api, "new@example.com", company_user={"permissions": "view_client,edit_invoice", "is_admin": False}
    )
    assert r.status_code == 200, r.text
    user = r.json()["data"]
    assert (user["first_name"], user["email"], user["has_password"], user["is_deleted"]) == (
        "New",
        "new@example.com",
        False,
        False,
    )
    assert user["company_user"]["permissions"] == "edit_invoice,view_client"
    assert user["company_user"]["is_admin"] is False and user["company_user"]["is_owner"] is False
    row = await db.fetchrow(
        "SELECT permissions, is_admin, is_owner FROM company_users WHERE company_id = $1 AND user_id = $2",
        ids.decode(tenant_a.company_id),
        ids.decode(user["id"]),
    )
    assert dict(row) == {"permissions": "edit_invoice,view_client", "is_admin": False, "is_owner": False}
    listed = (await api.get("/api/v1/users?include=company_user")).json()["data"]
    assert {u["email"] for u in listed} == {"owner-a@example.com", "new@example.com"}
    assert all("company_user" in u for u in listed)


async def test_create_cannot_make_an_owner_and_needs_a_valid_body(api: httpx.AsyncClient, db: Db) -> None:
    r = await create(api, "owner2@example.com", company_user={"is_owner": True, "is_admin": True})
    assert r.status_code == 200 and r.json()["data"]["company_user"]["is_owner"] is False
    assert r.json()["data"]["company_user"]["is_admin"] is True
    r = await api.post("/api/v1/users", json={"email": "not-an-email"}, headers=CONFIRMED)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"first_name", "last_name", "email"}
    r = await create(api, "owner2@example.com")
    assert r.status_code == 422 and r.json()["errors"] == {"email": ["Cannot add the same user to the same company"]}
    assert await db.fetchval("SELECT count(*) FROM users WHERE email = 'owner2@example.com'") == 1


async def test_create_needs_the_password(api: httpx.AsyncClient, db: Db) -> None:
    body = {"first_name": "A", "last_name": "B", "email": "nopass@example.com"}
    r = await api.post("/api/v1/users", json=body)
    assert r.status_code == 412 and r.json() == BAD_PASSWORD
    r = await api.post("/api/v1/users", json=body, headers={"X-API-PASSWORD": "wrong"})
    assert r.status_code == 412 and r.json() == BAD_PASSWORD
    assert await db.fetchval("SELECT count(*) FROM users WHERE email = 'nopass@example.com'") == 0
    # once confirmed, the token's window lets the next protected call through without the header
    r = await api.post("/api/v1/users", json=body, headers={"X-API-PASSWORD-BASE64": "c2VjcmV0LXBhc3N3b3Jk"})
    assert r.status_code == 200, r.text
    body["email"] = "second@example.com"
    assert (await api.post("/api/v1/users", json=body)).status_code == 200
    assert (await api.post("/api/v1/password_timeout")).json() == {"message": "Password is valid"}


async def test_a_user_of_another_account_cannot_be_attached(api: httpx.AsyncClient, tenant_b: Any, db: Db) -> None:
    r = await create(api, "owner-b@example.com")
    assert r.status_code == 422
    assert r.json()["errors"] == {"email": ["User exists but cannot be crossed linked to multiple accounts"]}
    assert await db.fetchval("SELECT count(*) FROM company_users WHERE user_id = $1", ids.decode(tenant_b.user_id)) == 1


async def test_members_cannot_create_users_or_raise_their_own_rights(
    anon: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    member, token = await add_member(db, tenant_a.company_id, "m@example.com", permissions="view_client")
    headers = {"X-API-TOKEN": token, **CONFIRMED}
    body = {"first_name": "X", "last_name": "Y", "email": "x@example.com"}
    r = await anon.post("/api/v1/users", json=body, headers=headers)
    assert r.status_code == 403 and r.json() == DENIED
    me = ids.encode(member)
    r = await anon.put(
        f"/api/v1/users/{me}?include=company_user",
        json={"first_name": "Renamed", "company_user": {"permissions": "edit_all,create_all", "is_admin": True}},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["first_name"] == "Renamed"
    assert data["company_user"]["permissions"] == "view_client" and data["company_user"]["is_admin"] is False
    r = await anon.put(
        f"/api/v1/company_users/{me}",
        json={"company_user": {"permissions": "edit_all", "is_admin": True}},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["data"]["permissions"] == "view_client"
    # the owner is not visible to a member without view_user, so its id answers like a missing one
    r = await anon.put(f"/api/v1/users/{tenant_a.user_id}", json={"first_name": "Hacked"}, headers=headers)
    assert r.status_code == 404 and r.json() == {"message": "User not found", "errors": {}}
    assert [u["id"] for u in (await anon.get("/api/v1/users", headers=headers)).json()["data"]] == [me]


async def test_an_admin_cannot_edit_the_owner_nor_its_own_rights(
    anon: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    admin, token = await add_member(db, tenant_a.company_id, "admin@example.com", is_admin=True)
    headers = {"X-API-TOKEN": token, **CONFIRMED}
    r = await anon.put(f"/api/v1/users/{tenant_a.user_id}", json={"email": "mine@example.com"}, headers=headers)
    assert r.status_code == 403 and r.json() == DENIED
    r = await anon.put(
        f"/api/v1/users/{ids.encode(admin)}?include=company_user",
        json={"company_user": {"is_admin": False, "is_locked": True, "permissions": "view_all"}},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["data"]["company_user"]["is_admin"] is True
    assert r.json()["data"]["company_user"]["is_locked"] is False
    assert (
        await db.fetchval("SELECT email FROM users WHERE id = $1", ids.decode(tenant_a.user_id))
        == "owner-a@example.com"
    )


async def test_password_only_for_oneself(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    member, token = await add_member(db, tenant_a.company_id, "pw@example.com")
    before = await db.fetchval("SELECT password_hash FROM users WHERE id = $1", member)
    r = await api.put(f"/api/v1/users/{ids.encode(member)}", json={"password": "another-one"}, headers=CONFIRMED)
    assert r.status_code == 200
    assert await db.fetchval("SELECT password_hash FROM users WHERE id = $1", member) == before
    r = await anon.put(
        f"/api/v1/users/{ids.encode(member)}",
        json={"password": "brand-new-pass"},
        headers={"X-API-TOKEN": token, **CONFIRMED},
    )
    assert r.status_code == 200
    login = await anon.post("/api/v1/login", json={"email": "pw@example.com", "password": "brand-new-pass"})
    assert login.status_code == 200
    r = await anon.put(
        f"/api/v1/users/{ids.encode(member)}", json={"email": "owner-a@example.com"}, headers={"X-API-TOKEN": token}
    )
    assert r.status_code == 422 and r.json()["errors"] == {"email": ["This email is already linked to an account"]}


async def test_bulk_archive_restore_delete(
    anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db
) -> None:
    member, token = await add_member(db, tenant_a.company_id, "bulk@example.com")
    hid = ids.encode(member)
    r = await api.post("/api/v1/users/bulk", json={"action": "archive", "ids": [hid]}, headers=CONFIRMED)
    assert r.status_code == 200 and r.json()["data"][0]["archived_at"] > 0
    r = await anon.get("/api/v1/ping", headers={"X-API-TOKEN": token})
    assert r.status_code == 403 and r.json()["message"] == "User inactive"
    r = await api.post("/api/v1/users/bulk", json={"action": "restore", "ids": [hid]}, headers=CONFIRMED)
    assert r.status_code == 200 and r.json()["data"][0]["archived_at"] == 0
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": token})).status_code == 200
    r = await api.delete(f"/api/v1/users/{hid}", headers=CONFIRMED)
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": token})).status_code == 403
    # nobody deletes themselves, and the owner is never archived or deleted
    r = await api.post("/api/v1/users/bulk", json={"action": "delete", "ids": [tenant_a.user_id]}, headers=CONFIRMED)
    assert r.status_code == 403
    _, admin_token = await add_member(db, tenant_a.company_id, "adm@example.com", is_admin=True)
    r = await anon.post(
        "/api/v1/users/bulk",
        json={"action": "archive", "ids": [tenant_a.user_id]},
        headers={"X-API-TOKEN": admin_token, **CONFIRMED},
    )
    assert r.status_code == 403 and r.json() == DENIED
    assert await db.fetchval("SELECT deleted_at FROM users WHERE id = $1", ids.decode(tenant_a.user_id)) is None


async def test_detach_from_company(anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    member, token = await add_member(db, tenant_a.company_id, "detach@example.com")
    r = await api.delete(f"/api/v1/users/{ids.encode(member)}/detach_from_company", headers=CONFIRMED)
    assert r.status_code == 200 and r.json() == {"message": "User detached from company"}
    assert (await anon.get("/api/v1/ping", headers={"X-API-TOKEN": token})).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM company_users WHERE user_id = $1", member) == 0
    r = await api.get(f"/api/v1/users/{ids.encode(member)}")
    assert r.status_code == 404
    r = await api.delete(f"/api/v1/users/{tenant_a.user_id}/detach_from_company", headers=CONFIRMED)
    assert r.status_code == 403 and r.json()["message"] == "Cannot detach owner."
    # the detached user can be added again
    r = await create(api, "detach@example.com")
    assert r.status_code == 200 and r.json()["data"]["id"] == ids.encode(member)


async def test_invite_and_reconfirm_say_no_mail_was_sent(api: httpx.AsyncClient, tenant_a: Any) -> None:
    for path in ("users/{}/reconfirm", "user/{}/reconfirm", "users/{}/invite"):
        r = await api.post(f"/api/v1/{path.format(tenant_a.user_id)}", headers=CONFIRMED)
        assert r.status_code == 400, r.text
        assert "sent" in r.json()["message"] and r.json()["message"].startswith("No email was sent")
    r = await api.post(f"/api/v1/users/{ids.encode(999_999)}/invite", headers=CONFIRMED)
    assert r.status_code == 404


async def test_blank_and_edit(api: httpx.AsyncClient, tenant_a: Any) -> None:
    blank = (await api.get("/api/v1/users/create")).json()["data"]
    assert blank["id"] == "" and blank["email"] == "" and blank["is_deleted"] is False
    r = await api.get(f"/api/v1/users/{tenant_a.user_id}/edit")
    assert r.status_code == 200 and r.json()["data"]["email"] == "owner-a@example.com"


async def test_other_companies_users_answer_like_missing_ones(
    api: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db
) -> None:
    missing = ids.encode(999_999)
    for method, path in (
        ("GET", "users/{}"),
        ("GET", "users/{}/edit"),
        ("PUT", "users/{}"),
        ("DELETE", "users/{}"),
        ("DELETE", "users/{}/detach_from_company"),
        ("POST", "users/{}/invite"),
        ("POST", "users/{}/reconfirm"),
    ):
        foreign = await api.request(method, f"/api/v1/{path.format(tenant_b.user_id)}", json={}, headers=CONFIRMED)
        absent = await api.request(method, f"/api/v1/{path.format(missing)}", json={}, headers=CONFIRMED)
        assert foreign.status_code == absent.status_code == 404, (path, foreign.text)
        assert foreign.json() == absent.json()
    r = await api.post("/api/v1/users/bulk", json={"action": "archive", "ids": [tenant_b.user_id]}, headers=CONFIRMED)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["ids"]
    assert await db.fetchval("SELECT deleted_at FROM users WHERE id = $1", ids.decode(tenant_b.user_id)) is None


async def test_read_only_fields_are_ignored(api: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db) -> None:
    junk = {
        "id": tenant_b.user_id,
        "is_deleted": True,
        "has_password": True,
        "email_verified_at": 5,
        "created_at": 5,
        "archived_at": 5,
        "account_id": 1,
        "password_hash": "x",
        "oauth_provider_id": "google",
        "last_login": 5,
    }
    r = await create(api, "ro@example.com", **junk)
    assert r.status_code == 200, r.text
    made = ids.decode(r.json()["data"]["id"])
    stored = "SELECT account_id, is_deleted, password_hash, email_verified_at, deleted_at, last_login FROM users "
    stored += "WHERE id = $1"
    row = dict(await db.fetchrow(stored, made))
    account = await db.fetchval("SELECT account_id FROM users WHERE id = $1", ids.decode(tenant_a.user_id))
    assert row == {
        "account_id": account,
        "is_deleted": False,
        "password_hash": "",
        "email_verified_at": None,
        "deleted_at": None,
        "last_login": None,
    }
    r = await api.put(f"/api/v1/users/{ids.encode(made)}", json=junk, headers=CONFIRMED)
    assert r.status_code == 200
    assert dict(await db.fetchrow(stored, made)) == row


async def test_hostile_bodies_change_nothing(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    member, _ = await add_member(db, tenant_a.company_id, "h@example.com", permissions="view_client")
    url = f"/api/v1/users/{ids.encode(member)}"
    for body, field in (
        ({"company_user": "admin"}, "company_user"),
        ({"company_user": {"permissions": ["edit_all"]}}, "company_user.permissions"),
        ({"company_user": {"is_admin": "maybe"}}, "company_user.is_admin"),
        ({"company_user": {"settings": "x"}}, "company_user.settings"),
        ({"first_name": "x" * 101}, "first_name"),
        ({"email": "no-at-sign"}, "email"),
        ({"first_name": {"$ne": 1}}, "first_name"),
        ({"email": "a\x00b@example.com"}, "email"),
    ):
        r = await api.put(url, json=body, headers=CONFIRMED)
        assert r.status_code == 422, (body, r.text)
        assert list(r.json()["errors"]) == [field], (body, r.json())
    row = await db.fetchrow(
        "SELECT u.first_name, u.email, cu.permissions, cu.is_admin FROM users u JOIN company_users cu "
        "ON cu.user_id = u.id WHERE u.id = $1",
        member,
    )
    assert dict(row) == {
        "first_name": "Member",
        "email": "h@example.com",
        "permissions": "view_client",
        "is_admin": False,
    }
    r = await api.post("/api/v1/users/bulk", json={"action": "purge", "ids": [ids.encode(member)]}, headers=CONFIRMED)
    assert r.status_code == 422 and list(r.json()["errors"]) == ["action"]


async def test_preferences_are_ones_own(anon: httpx.AsyncClient, api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    member, token = await add_member(db, tenant_a.company_id, "p@example.com")
    me = ids.encode(member)
    prefs = {"react_settings": {"table_columns": {"invoice": ["number"]}}}
    r = await anon.put(
        f"/api/v1/company_users/{me}/preferences?include=company_user", json=prefs, headers={"X-API-TOKEN": token}
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["data"]["id"] == me and r.json()["data"]["company_user"]["react_settings"] == prefs["react_settings"]
    )
    r = await api.put(f"/api/v1/company_users/{me}/preferences", json={"react_settings": {}})
    assert r.status_code == 403
    r = await anon.put(
        f"/api/v1/company_users/{me}/preferences", json={"react_settings": "x"}, headers={"X-API-TOKEN": token}
    )
    assert r.status_code == 422
    stored = await db.fetchval(
        "SELECT react_settings FROM company_users WHERE company_id = $1 AND user_id = $2",
        ids.decode(tenant_a.company_id),
        member,
    )
    assert stored == prefs["react_settings"]
