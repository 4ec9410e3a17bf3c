"""Idempotency-Key (docs/decisions.md): replay, a different request 422, per-company scope, 24 h expiry, a failing
request releasing its key, and a true concurrent duplicate on separate connections (committed database)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from app import idempotency
from app.db import Db
from app.main import create_app
from app.schema import upgrade
from app.services import accounts

HEADERS = {"X-Requested-With": "XMLHttpRequest"}

CLIENTS = "/api/v1/clients"


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"key-{uuid.uuid4()}"}


async def clients(db: Db, name: str) -> int:
    return int(await db.fetchval("SELECT count(*) FROM clients WHERE name = $1", name))


async def test_same_key_same_body_replays_and_creates_one_client(api, db):
    k = key()
    first = await api.post(CLIENTS, json={"name": "Once Ltd"}, headers=k)
    assert first.status_code == 200, first.text
    assert "idempotent-replayed" not in first.headers
    # the same JSON spelled differently is the same request
    again = await api.post(
        CLIENTS, content=b'{ "name" : "Once Ltd" }', headers={**k, "Content-Type": "application/json"}
    )
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["x-app-version"]  # the header contract still wraps a replay
    assert await clients(db, "Once Ltd") == 1


async def test_without_a_key_nothing_is_stored(api, db):
    await api.post(CLIENTS, json={"name": "Twice"})
    await api.post(CLIENTS, json={"name": "Twice"})
    assert await clients(db, "Twice") == 2
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 0


async def test_same_key_other_body_is_422(api, db):
    k = key()
    assert (await api.post(CLIENTS, json={"name": "First"}, headers=k)).status_code == 200
    r = await api.post(CLIENTS, json={"name": "Second"}, headers=k)
    assert r.status_code == 422
    assert r.json() == {
        "message": "The given data was invalid.",
        "errors": {"idempotency_key": ["The Idempotency-Key was used with a different request."]},
    }
    # another path with the same key is another request too
    r = await api.post("/api/v1/invoices", json={"name": "First"}, headers=k)
    assert r.status_code == 422
    assert await clients(db, "Second") == 0


async def test_a_4xx_is_stored_and_replayed(api):
    k = key()
    first = await api.post(CLIENTS, json={"name": "x" * 300}, headers=k)
    assert first.status_code == 422
    again = await api.post(CLIENTS, json={"name": "x" * 300}, headers=k)
    assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


async def test_keys_are_scoped_per_company(api, api_b, db):
    k = key()
    a = await api.post(CLIENTS, json={"name": "Shared Key Co"}, headers=k)
    b = await api_b.post(CLIENTS, json={"name": "Shared Key Co"}, headers=k)
    assert a.status_code == b.status_code == 200
    assert "idempotent-replayed" not in b.headers
    assert a.json()["data"]["id"] != b.json()["data"]["id"]
    assert await clients(db, "Shared Key Co") == 2


async def test_keys_expire_after_24_hours(api, db):
    k = key()
    assert (await api.post(CLIENTS, json={"name": "Daily"}, headers=k)).status_code == 200
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    r = await api.post(CLIENTS, json={"name": "Daily"}, headers=k)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    assert await clients(db, "Daily") == 2
    # and an expired key may now carry another body
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    assert (await api.post(CLIENTS, json={"name": "Other"}, headers=k)).status_code == 200


async def test_expired_keys_are_purged(api, db, monkeypatch):
    await api.post(CLIENTS, json={"name": "Old"}, headers=key())
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '2 days'")
    monkeypatch.setattr(idempotency, "PURGE_CHANCE", 1.0)
    await api.post(CLIENTS, json={"name": "New"}, headers=key())
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 1


async def test_a_pending_key_is_409(api, db, tenant_a):
    k = key()
    body = b'{"name":"Busy"}'
    # a first request still running: its pending row, with the hash this request will have
    from app.bodies import Body
    from app.idempotency import request_hash

    scope = {"method": "POST", "path": CLIENTS, "query_string": b""}
    digest = request_hash(
        scope,
        int(await db.fetchval("SELECT id FROM users WHERE email = 'owner-a@example.com'")),
        Body.from_bytes(body),
        b"application/json",
    )
    company = int(
        await db.fetchval(
            "SELECT company_id FROM company_users cu JOIN users u ON u.id = cu.user_id "
            "WHERE u.email = 'owner-a@example.com'"
        )
    )
    await db.execute(
        "INSERT INTO idempotency_keys (company_id, key, request_hash) VALUES ($1, $2, $3)",
        company,
        k["Idempotency-Key"],
        digest,
    )
    r = await api.post(CLIENTS, content=body, headers={**k, "Content-Type": "application/json"})
    assert r.status_code == 409
    assert r.json() == {"message": "A request with this Idempotency-Key is being processed.", "errors": {}}
    r = await api.post(CLIENTS, json={"name": "Not busy"}, headers=k)
    assert r.status_code == 422  # another body is a client bug even while the first runs
    # a pending row abandoned by a dead worker stops blocking the key
    await db.execute("UPDATE idempotency_keys SET created_at = now() - interval '11 minutes'")
    r = await api.post(CLIENTS, content=body, headers={**k, "Content-Type": "application/json"})
    assert r.status_code == 200 and await clients(db, "Busy") == 1


async def test_key_too_long_is_422(api, db):
    r = await api.post(CLIENTS, json={"name": "Long"}, headers={"Idempotency-Key": "k" * 256})
    assert r.status_code == 422
    assert list(r.json()["errors"]) == ["idempotency_key"]
    assert await clients(db, "Long") == 0
    assert (await api.post(CLIENTS, json={"name": "Long"}, headers={"Idempotency-Key": "k" * 255})).status_code == 200


async def test_a_server_error_releases_the_key(api, db, monkeypatch):
    from app.services.crm.clients import ClientService

    async def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    k = key()
    with monkeypatch.context() as m:
        m.setattr(ClientService, "create", boom)
        r = await api.post(CLIENTS, json={"name": "Retry"}, headers=k)
        assert r.status_code == 500
    assert await db.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    r = await api.post(CLIENTS, json={"name": "Retry"}, headers=k)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers


async def test_multipart_bodies_hash_the_raw_bytes(api, db):
    k = key()
    files = {"documents[]": ("a.txt", b"hello", "text/plain")}
    client = (await api.post(CLIENTS, json={"name": "Docs"})).json()["data"]
    url = f"{CLIENTS}/{client['id']}/upload"
    boundary = "fixedboundary123"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="_method"\r\n\r\nPUT\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="documents[]"; filename="a.txt"\r\n'
        f"Content-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n"
    ).encode()
    headers = {**k, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    first = await api.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    again = await api.post(url, content=body, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true" and again.content == first.content
    assert (
        await db.fetchval(
            "SELECT count(*) FROM documents WHERE documentable_id = $1",
            int(await db.fetchval("SELECT max(id) FROM clients WHERE name = 'Docs'")),
        )
        == 1
    )
    other = await api.post(url, files=files, data={"_method": "PUT"}, headers=k)  # another boundary
    assert other.status_code == 422


async def test_graphql_posts_are_covered(api):
    k = key()
    query = {"query": "{ __typename }"}
    first = await api.post("/graphql", json=query, headers=k)
    again = await api.post("/graphql", json=query, headers=k)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"


# ---- a true concurrent duplicate: separate connections on a committed database ----------------------------
@pytest.fixture
async def committed(database_url: str) -> Any:
    name = f"lightninja_idem_{uuid.uuid4().hex[:12]}"
    admin = Db(database_url, min_size=1, max_size=1)
    await admin.connect()
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    db = Db(url, min_size=2, max_size=12)
    await db.connect()
    try:
        await upgrade(db)
        yield db
    finally:
        await db.disconnect()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.disconnect()


async def test_concurrent_duplicates_run_once(committed, settings):
    db = committed
    info = await accounts.create_account(db, "racer@example.com", "secret-password", "Race Co")
    app = create_app(settings, db=db)
    k = key()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={**HEADERS, "X-API-TOKEN": info["token"], **k},
    ) as http:
        responses = await asyncio.gather(*(http.post(CLIENTS, json={"name": "Racer"}) for _ in range(6)))
    statuses = sorted(r.status_code for r in responses)
    originals = [r for r in responses if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    assert len(originals) == 1, statuses
    for r in responses:
        assert r.status_code in (200, 409), statuses
        if r.status_code == 200:
            assert r.content == originals[0].content
    assert await db.fetchval("SELECT count(*) FROM clients WHERE name = 'Racer'") == 1
    assert await db.fetchval("SELECT status FROM idempotency_keys") == "done"
