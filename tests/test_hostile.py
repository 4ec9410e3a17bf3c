"""Hostile inputs: every case is a clear 4xx or a documented
coercion, never a 5xx, never internals in the body, and the database is exactly as it was."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import ids
from app.db import Db
from app.main import create_app
from app.settings import Settings

# the checkout's own location stands for "a path of this machine"
LEAKS = (
    "Traceback",
    "asyncpg",
    "SELECT ",
    "INSERT ",
    "UPDATE ",
    "psycopg",
    "Exception",
    'File "',
    str(Path(__file__).resolve().parent.parent),
    "orjson",
    "starlette",
)
TABLES = (
    "clients",
    "client_contacts",
    "group_settings",
    "activities",
    "documents",
    "company_tokens",
    "users",
    "company_users",
    "rate_limits",
)


async def state(db: Db) -> dict[str, Any]:
    """Every row the API could touch, for before/after comparison."""
    out: dict[str, Any] = {}
    for table in TABLES:
        order = "key" if table == "rate_limits" else ("company_id, user_id" if table == "company_users" else "id")
        out[table] = [dict(r) for r in await db.fetch(f"SELECT * FROM {table} ORDER BY {order}")]
    out["companies"] = [dict(r) for r in await db.fetch("SELECT * FROM companies ORDER BY id")]
    return out


def assert_clean(r: httpx.Response, allowed: tuple[int, ...] = (400, 413, 415, 422)) -> dict[str, Any]:
    assert r.status_code in allowed, (r.status_code, r.request.method, str(r.request.url)[:120], r.text[:300])
    body = r.json()
    assert isinstance(body["message"], str) and isinstance(body["errors"], dict)
    for leak in LEAKS:
        assert leak not in r.text, (leak, r.text[:300])
    return body


@pytest.fixture
async def seeded(api: httpx.AsyncClient, db: Db) -> dict[str, Any]:
    group = (await api.post("/api/v1/group_settings", json={"name": "G"})).json()["data"]
    client = (
        await api.post(
            "/api/v1/clients",
            json={
                "name": "Existing",
                "group_settings_id": group["id"],
                "contacts": [{"first_name": "Eve", "email": "eve@example.com"}],
            },
        )
    ).json()["data"]
    return {"client": client, "group": group, "before": await state(db)}


# ---- 2.1 authentication ---------------------------------------------------------------------------


async def test_a1_a3_bad_tokens_on_write_routes_change_nothing(
    seeded: Any, anon: httpx.AsyncClient, db: Db, tenant_a: Any
) -> None:
    client_id = seeded["client"]["id"]
    for token in ("", "x", "x" * 10_240, tenant_a.token[:-1], tenant_a.token + " "):
        headers = {"X-API-TOKEN": token} if token else {}
        for method, path, body in (
            ("POST", "/api/v1/clients", {"name": "x"}),
            ("PUT", f"/api/v1/clients/{client_id}", {"name": "x"}),
            ("DELETE", f"/api/v1/clients/{client_id}", None),
            ("POST", "/api/v1/clients/bulk", {"action": "delete", "ids": [client_id]}),
            ("POST", "/api/v1/logout", None),
        ):
            r = await anon.request(method, f"{path}?api_token={tenant_a.token}", json=body, headers=headers)
            assert r.status_code == 403 and r.json() == {"message": "Invalid token", "errors": {}}
    assert await state(db) == seeded["before"]


async def test_a5_forwarded_for_does_not_reset_the_login_lockout(anon: httpx.AsyncClient, tenant_a: Any) -> None:
    for attempt in range(5):
        r = await anon.post(
            "/api/v1/login",
            json={"email": "owner-a@example.com", "password": f"bad{attempt}"},
            headers={"X-Forwarded-For": f"10.0.0.{attempt}"},
        )
        assert r.status_code == 401
    r = await anon.post(
        "/api/v1/login",
        json={"email": "owner-a@example.com", "password": "secret-password"},
        headers={"X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9"},
    )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


async def test_a6_unknown_email_and_wrong_password_are_indistinguishable(
    anon: httpx.AsyncClient, tenant_a: Any
) -> None:
    timings: dict[str, float] = {}
    bodies = {}
    for label, email in (("wrong password", "owner-a@example.com"), ("unknown email", "ghost@example.com")):
        runs = []
        for _ in range(2):  # best of two, so a scheduling hiccup does not decide
            started = time.perf_counter()
            r = await anon.post("/api/v1/login", json={"email": email, "password": "not-it"})
            runs.append(time.perf_counter() - started)
        timings[label] = min(runs)
        bodies[label] = (r.status_code, r.json(), sorted(k for k in r.headers if k.lower() != "content-length"))
    assert bodies["wrong password"] == bodies["unknown email"]
    # both pay for one bcrypt check: an unknown e-mail is not answered instantly
    assert timings["unknown email"] > timings["wrong password"] / 5


async def test_a8_raw_token_is_only_in_the_login_response(anon: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    login = await anon.post("/api/v1/login", json={"email": "owner-a@example.com", "password": "secret-password"})
    token = login.json()["data"][0]["token"]["token"]
    session = {"X-API-TOKEN": token}
    await anon.post("/api/v1/clients", json={"name": "Made"}, headers=session)
    for path in (
        "/api/v1/activities",
        "/api/v1/clients?include=activities",
        f"/api/v1/companies/{tenant_a.company_id}",
    ):
        assert token not in (await anon.get(path, headers=session)).text
    assert token not in (await anon.post("/api/v1/refresh", headers=session)).text
    stored = [dict(r) for r in await db.fetch("SELECT * FROM company_tokens")]
    assert token not in repr(stored)


async def test_a7_links_use_the_configured_base_url(api: httpx.AsyncClient, seeded: Any) -> None:
    for headers in ({"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}):
        r = await api.get("/api/v1/clients?per_page=1&page=2", headers=headers)
        assert r.status_code == 200
        links = r.json()["meta"]["pagination"]["links"]
        assert links == {"previous": "http://testserver/api/v1/clients?page=1"}
        contact = (await api.get(f"/api/v1/clients/{seeded['client']['id']}", headers=headers)).json()["data"]
        assert contact["contacts"][0]["link"].startswith("http://testserver/")
        assert "evil" not in r.text


# ---- 2.5 malformed input ----------------------------------------------------------------------------

BAD_JSON = [
    b'{"name": ',
    b'{"name": "x"',
    b"not json",
    b"{'name': 'x'}",
    b'{"name": "x"} trailing',
    b"\xff\xfe\x00",
    b'{"name": "x",}',
    b"[1, 2]",
    b'"a string"',
    b"null",
    b"42",
    b"true",
    b'{"name": "\\x"}',
    '{"name": "x"}'.encode("utf-16"),
]


def write_routes(seeded: dict[str, Any], company: str) -> list[tuple[str, str]]:
    return [
        ("POST", "/api/v1/clients"),
        ("PUT", f"/api/v1/clients/{seeded['client']['id']}"),
        ("POST", "/api/v1/clients/bulk"),
        ("POST", "/api/v1/group_settings"),
        ("PUT", f"/api/v1/group_settings/{seeded['group']['id']}"),
        ("PUT", f"/api/v1/companies/{company}"),
        ("POST", "/api/v1/login"),
        ("POST", "/api/v1/login/precheck"),
    ]


async def test_m1_invalid_json_bodies(api: httpx.AsyncClient, seeded: Any, db: Db, tenant_a: Any) -> None:
    for method, path in write_routes(seeded, tenant_a.company_id):
        for raw in BAD_JSON:
            r = await api.request(method, path, content=raw, headers={"Content-Type": "application/json"})
            body = assert_clean(r, (400, 422))
            if r.status_code == 400:
                assert body["errors"] == {}
    assert await state(db) == seeded["before"]


async def test_m1_wrong_content_types(api: httpx.AsyncClient, seeded: Any, db: Db, tenant_a: Any) -> None:
    for method, path in write_routes(seeded, tenant_a.company_id):
        for ctype, raw in (
            ("text/plain", b'{"name": "x"}'),
            ("application/yaml", b"name: x"),  # form bodies: tests/test_form_bodies.py
            ("application/jsonp", b'{"name": "x"}'),
            ("text/json", b'{"name": "x"}'),
        ):
            r = await api.request(method, path, content=raw, headers={"Content-Type": ctype})
            assert_clean(r, (415,))
    assert await state(db) == seeded["before"]


async def test_m1_empty_bodies(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    """An empty body is `{}`: where something is required that is a 422 on the field; an update with no
    fields changes nothing. (Creating a client from `{}` is allowed, as upstream: a name is optional.)"""
    for path, field in (
        ("/api/v1/clients/bulk", "action"),
        ("/api/v1/login", "email"),
        ("/api/v1/login/precheck", "email"),
    ):
        for raw in (b"", b"   ", b"{}"):
            r = await api.post(path, content=raw, headers={"Content-Type": "application/json"} if raw else {})
            assert field in assert_clean(r, (422,))["errors"]
    r = await api.put(
        f"/api/v1/clients/{seeded['client']['id']}", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200 and r.json()["data"]["name"] == "Existing"
    after = await state(db)
    assert after["clients"][0] | {"updated_at": None} == seeded["before"]["clients"][0] | {"updated_at": None}


@pytest.mark.parametrize(
    "raw,where",
    [
        (b'{"name": "x", "e_invoice": {"amount": NaN}}', "NaN"),
        (b'{"name": "x", "e_invoice": {"amount": Infinity}}', "Infinity"),
        (b'{"name": "x", "e_invoice": {"amount": -Infinity}}', "-Infinity"),
        (b'{"name": "x", "settings": {"default_task_rate": NaN}}', "NaN in settings"),
    ],
)
async def test_m2_nan_and_infinity_are_refused(
    api: httpx.AsyncClient, seeded: Any, db: Db, raw: bytes, where: str
) -> None:
    r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
    assert_clean(r, (400, 422))
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "raw,field",
    [
        (b'{"name": "x", "e_invoice": {"amount": 1e309}}', "e_invoice.amount"),
        (b'{"name": "x", "settings": {"default_task_rate": 1e309}}', "settings.default_task_rate"),
        (b'{"name": "x", "settings": {"default_task_rate": 1' + b"0" * 400 + b"}}", "settings.default_task_rate"),
        (b'{"name": "x", "settings": {"my_value": -1e400}}', "settings.my_value"),
        (b'{"name": "x", "tax_info": {"n": 1' + b"0" * 400 + b"}}", "tax_info.n"),
        (b'{"name": "x", "settings": {"counter_padding": 99999999999999999999}}', "settings.counter_padding"),
        (b'{"name": "x", "is_tax_exempt": 2}', "is_tax_exempt"),
    ],
)
async def test_m2_m7_out_of_range_numbers_are_422(
    api: httpx.AsyncClient, seeded: Any, db: Db, raw: bytes, field: str
) -> None:
    r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
    assert field in assert_clean(r, (422,))["errors"]
    assert await state(db) == seeded["before"]


async def test_m2_small_numbers_are_kept_exactly(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/api/v1/clients",
        content=b'{"name": "n", "e_invoice": {"a": -0.0, "b": 0.1, "c": 100},'
        b' "settings": {"default_task_rate": "12.50"}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["e_invoice"] == {"a": 0.0, "b": 0.1, "c": 100}
    assert data["settings"]["default_task_rate"] == 12.5


async def test_m3_duplicate_keys_are_refused(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    for raw in (b'{"name": "a", "name": "b"}', b'{"name": "a", "contacts": [{"email": "x@y.z", "email": "q@y.z"}]}'):
        r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
        assert_clean(r, (400,))
    r = await api.put(
        f"/api/v1/clients/{seeded['client']['id']}",
        content=b'{"name": "a", "name": "b"}',
        headers={"Content-Type": "application/json"},
    )
    assert_clean(r, (400,))
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"name": "x", "settings": ' + b'{"a":' * 5_000 + b"1" + b"}" * 5_000 + b"}",
    ],
)
async def test_m4_deep_nesting(api: httpx.AsyncClient, seeded: Any, db: Db, raw: bytes) -> None:
    r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
    assert_clean(r, (400,))
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize("field", ["e_invoice", "settings", "tax_info"])
async def test_m4_moderate_nesting_in_free_form_objects(
    api: httpx.AsyncClient, seeded: Any, db: Db, field: str
) -> None:
    """Deep enough to parse, too deep to store (jsonb / the JSON encoder): a 422 on the field."""
    nested: Any = 1
    for _ in range(300):
        nested = {"a": nested}
    r = await api.post("/api/v1/clients", json={"name": "x", field: {"deep": nested}})
    assert any(k.startswith(field) for k in assert_clean(r, (422,))["errors"])
    r = await api.put(f"/api/v1/clients/{seeded['client']['id']}", json={field: {"deep": nested}})
    assert_clean(r, (422,))
    assert await state(db) == seeded["before"]


async def test_m4_company_free_form_fields(api: httpx.AsyncClient, seeded: Any, db: Db, tenant_a: Any) -> None:
    nested: Any = 1
    for _ in range(300):
        nested = [nested]
    for body in (
        {"custom_fields": {"a": nested}},
        {"tax_data": {"a": nested}},
        {"settings": {"translations": {"a": nested}}},
        {"custom_fields": {"a": "nul\u0000"}},
        {"settings": {"translations": {"key\u0000": "x"}}},
        {"settings": {"pdf_variables": {"x": "\ud800"}}},
    ):
        r = await api.put(
            f"/api/v1/companies/{tenant_a.company_id}",
            content=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert_clean(r, (422,))
    assert await state(db) == seeded["before"]


async def test_m5_oversized_bodies(settings: Settings, db: Db, tenant_a: Any, seeded: Any) -> None:
    app = create_app(dataclasses.replace(settings, max_json_bytes=10_000, max_body_bytes=20_000), db=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": tenant_a.token},
    ) as c:
        big = json.dumps({"name": "x" * 20_000}).encode()
        r = await c.post("/api/v1/clients", content=big, headers={"Content-Type": "application/json"})
        assert_clean(r, (413,))

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while streaming
            yield b'{"name": "'
            for _ in range(30):
                yield b"y" * 1000
            yield b'"}'

        r = await c.post("/api/v1/clients", content=chunks(), headers={"Content-Type": "application/json"})
        assert_clean(r, (413,))
        r = await c.post(
            "/api/v1/clients/bulk",
            content=json.dumps({"action": "archive", "ids": ["x"] * 5000}),
            headers={"Content-Type": "application/json"},
        )
        assert_clean(r, (413,))
        r = await c.put(
            f"/api/v1/clients/{seeded['client']['id']}/upload",
            files={"documents[]": ("big.png", b"\x89PNG" + b"0" * 30_000, "image/png")},
        )
        assert_clean(r, (413, 422))
    assert await state(db) == seeded["before"]


async def test_m5_huge_arrays(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    client_id = seeded["client"]["id"]
    r = await api.post("/api/v1/clients/bulk", json={"action": "archive", "ids": [client_id] * 5001})
    assert "ids" in assert_clean(r, (422,))["errors"]
    r = await api.post("/api/v1/clients", json={"name": "Crowd", "contacts": [{"first_name": "c"}] * 501})
    assert assert_clean(r, (422,))["errors"] == {"contacts": ["The contacts may not have more than 500 items."]}
    r = await api.post("/api/v1/clients", json={"name": "Wide", **{f"unknown_{i}": i for i in range(20_000)}})
    assert r.status_code == 200  # unknown fields are ignored
    await db.execute("DELETE FROM activities WHERE client_id = $1", ids.decode(r.json()["data"]["id"]))
    await db.execute("DELETE FROM client_contacts WHERE client_id = $1", ids.decode(r.json()["data"]["id"]))
    await db.execute("DELETE FROM clients WHERE id = $1", ids.decode(r.json()["data"]["id"]))
    await db.execute(
        "UPDATE companies SET settings = $2 WHERE id = $1",
        seeded["before"]["companies"][0]["id"],
        seeded["before"]["companies"][0]["settings"],
    )
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "value,field",
    [
        ("nul\u0000inside", "name"),
        ("\ud800", "name"),
        ("x" * 1_000_000, "name"),
        ("x" * 192, "website"),
        ({"nested": "object"}, "name"),
        (["list"], "city"),
        (True, "name"),
    ],
)
async def test_m6_bad_strings_are_422(api: httpx.AsyncClient, seeded: Any, db: Db, value: Any, field: str) -> None:
    raw = json.dumps({"name": "ok", field: value}).encode()
    r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
    assert field in assert_clean(r, (422,))["errors"]
    r = await api.put(
        f"/api/v1/clients/{seeded['client']['id']}", content=raw, headers={"Content-Type": "application/json"}
    )
    assert field in assert_clean(r, (422,))["errors"]
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"contacts": [{"first_name": "a\u0000"}]}, "contacts.0.first_name"),
        ({"contacts": [{"email": "\ud800@x.y"}]}, "contacts.0.email"),
        ({"settings": {"payment_terms": "\u0000"}}, "settings.payment_terms"),
        ({"settings": {"my_own_key": "a\u0000b"}}, "settings.my_own_key"),
        ({"settings": {"my_own_key": "\udfff"}}, "settings.my_own_key"),
        ({"e_invoice": {"k\u0000": "v"}}, "e_invoice"),
        ({"e_invoice": {"k": ["\u0000"]}}, "e_invoice"),
        ({"tax_info": {"k": "\ud800"}}, "tax_info"),
    ],
)
async def test_m6_bad_strings_nested(
    api: httpx.AsyncClient, seeded: Any, db: Db, body: dict[str, Any], field: str
) -> None:
    raw = json.dumps({"name": "ok", **body}).encode()
    for method, path in (("POST", "/api/v1/clients"), ("PUT", f"/api/v1/clients/{seeded['client']['id']}")):
        r = await api.request(method, path, content=raw, headers={"Content-Type": "application/json"})
        assert any(k == field or k.startswith(field + ".") for k in assert_clean(r, (422,))["errors"]), r.text
    assert await state(db) == seeded["before"]


async def test_m6_unusual_but_valid_text_round_trips(api: httpx.AsyncClient, db: Db) -> None:
    name = "\u202eevil\u200b\u200d \U0001f680 Ω \u0301"
    r = await api.post("/api/v1/clients", json={"name": name, "number": "\U0001f680-1"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == name.strip() and r.json()["data"]["number"] == "\U0001f680-1"
    assert (
        await db.fetchval("SELECT name FROM clients WHERE id = $1", ids.decode(r.json()["data"]["id"])) == name.strip()
    )


async def test_m6_emoji_number_pattern(api: httpx.AsyncClient, tenant_a: Any) -> None:
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"client_number_pattern": "\U0001f680{$counter}"}}
    )
    assert r.status_code == 200
    r = await api.post("/api/v1/clients", json={"name": "Rocket"})
    assert r.json()["data"]["number"] == "\U0001f6800001"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients?filter=a%00b",
        "/api/v1/clients?name=%00",
        "/api/v1/clients?email=%00",
        "/api/v1/clients?number=%00",
        "/api/v1/clients?id_number=x%00",
        "/api/v1/clients?sort=name%00|asc",
        "/api/v1/clients?status=active%00",
        "/api/v1/group_settings?filter=%00",
        "/api/v1/activities?client_id=%00",
        "/api/v1/clients?%00=1",
    ],
)
async def test_m6_nul_in_query_parameters(api: httpx.AsyncClient, seeded: Any, db: Db, path: str) -> None:
    assert_clean(await api.get(path), (422,))
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients?filter=%ED%A0%80",
        "/api/v1/clients?filter=%FF%FE",
        "/api/v1/clients?name=%C0%AF",
        "/api/v1/clients/%00",
        "/api/v1/clients/%ED%A0%80",
        "/api/v1/clients?client_id=%FF",
        "/api/v1/clients?created_at=%00",
        "/api/v1/clients?balance=%FF:gt",
        "/api/v1/clients?include=%FF",
    ],
)
async def test_m6_broken_encodings_in_urls(api: httpx.AsyncClient, seeded: Any, db: Db, path: str) -> None:
    r = await api.get(path)
    assert r.status_code in (200, 404, 422), r.text
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize("value", [2**62, 2**62 - 1, 2**63, 2**64 + 5, 10**30])
async def test_m7_huge_ids(api: httpx.AsyncClient, seeded: Any, db: Db, value: int) -> None:
    hashed = ids.encode(value)
    missing = {"message": "Client not found", "errors": {}}
    for r in (
        await api.get(f"/api/v1/clients/{hashed}"),
        await api.put(f"/api/v1/clients/{hashed}", json={"name": "x"}),
        await api.delete(f"/api/v1/clients/{hashed}"),
    ):
        assert r.status_code == 404 and r.json() == missing
    r = await api.post("/api/v1/clients/bulk", json={"action": "delete", "ids": [hashed]})
    assert "ids" in assert_clean(r, (422,))["errors"]
    r = await api.post("/api/v1/clients", json={"name": "x", "group_settings_id": hashed})
    assert "group_settings_id" in assert_clean(r, (422,))["errors"]
    assert (await api.get(f"/api/v1/clients?client_id={hashed}")).json()["data"] == []
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "body,field",
    [
        ({"size_id": 99999999999999999999}, "size_id"),
        ({"country_id": -1}, "country_id"),
        ({"country_id": "840.5"}, "country_id"),
        ({"industry_id": "abc"}, "industry_id"),
        ({"shipping_country_id": 10**400}, "shipping_country_id"),
    ],
)
async def test_m7_reference_ids(api: httpx.AsyncClient, seeded: Any, db: Db, body: dict[str, Any], field: str) -> None:
    raw = json.dumps({"name": "x", **body}).encode()
    r = await api.post("/api/v1/clients", content=raw, headers={"Content-Type": "application/json"})
    assert field in assert_clean(r, (422,))["errors"]
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-30",
        "0000-00-00",
        "10000-01-01",
        "",
        "2024-01-01T00:00:00+14:00",
        "1700000000",
        "-99999999999999",
        "99999999999999999999",
        "yesterday",
        "2024-13-01",
        "\u0661\u0662",
    ],
)
async def test_m8_dates_in_filters(api: httpx.AsyncClient, seeded: Any, db: Db, value: str) -> None:
    """Unparseable dates are ignored (upstream parity); parseable ones filter. Never an error."""
    for param in ("created_at", "updated_at"):
        r = await api.get("/api/v1/clients", params={param: value})
        assert r.status_code == 200, (param, value, r.text)
    assert await state(db) == seeded["before"]


async def test_m8_dates_filter_for_real(api: httpx.AsyncClient, seeded: Any) -> None:
    assert len((await api.get("/api/v1/clients", params={"created_at": "2000-01-01"})).json()["data"]) == 1
    assert (await api.get("/api/v1/clients", params={"created_at": "2999-01-01"})).json()["data"] == []


@pytest.mark.parametrize(
    "value,expected",
    [
        (True, True),
        ("true", True),
        ("1", True),
        (1, True),
        ("on", True),
        ("yes", True),
        (" TRUE ", True),
        (False, False),
        ("false", False),
        ("0", False),
        (0, False),
        ("off", False),
        ("", False),
    ],
)
async def test_m9_boolean_coercions(api: httpx.AsyncClient, value: Any, expected: bool) -> None:
    r = await api.post(
        "/api/v1/clients",
        json={"name": "b", "is_tax_exempt": value, "contacts": [{"send_email": value, "first_name": "c"}]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["is_tax_exempt"] is expected


@pytest.mark.parametrize("value", ["maybe", 2, -1, 1.5, [True], {"a": 1}, "tru"])
async def test_m9_non_booleans_are_422(api: httpx.AsyncClient, seeded: Any, db: Db, value: Any) -> None:
    r = await api.post("/api/v1/clients", json={"name": "b", "is_tax_exempt": value})
    assert "is_tax_exempt" in assert_clean(r, (422,))["errors"]
    assert await state(db) == seeded["before"]


async def test_m9_numeric_strings(api: httpx.AsyncClient) -> None:
    r = await api.post(
        "/api/v1/clients",
        json={"name": "n", "country_id": 276, "size_id": " 2 ", "settings": {"default_task_rate": "10.00"}},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["country_id"] == "276" and data["size_id"] == "2" and data["settings"]["default_task_rate"] == 10.0


async def test_m10_unknown_fields_includes_and_sorts(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    r = await api.put(
        f"/api/v1/clients/{seeded['client']['id']}",
        json={"__proto__": {"x": 1}, "constructor": 1, "company_id": 5, "hashed_id": "x"},
    )
    assert r.status_code == 200
    for query in (
        "include=__class__",
        "include=__class__.__init__.__globals__",
        "include=users,company,tokens",
        "sort=__class__|asc",
        "sort=(select 1)|asc",
        "include=" + ",".join(["contacts"] * 500),
        "include=" + ".".join(["activities"] * 200),
        "include=a" * 1000,
    ):
        r = await api.get(f"/api/v1/clients?{query}")
        assert r.status_code == 200, (query, r.text)
        assert r.json()["data"][0]["name"] == "Existing"
        r = await api.get(f"/api/v1/clients/{seeded['client']['id']}?{query}")
        assert r.status_code == 200, (query, r.text)
    after = await state(db)
    assert after["clients"][0] | {"updated_at": None} == seeded["before"]["clients"][0] | {"updated_at": None}


async def test_m11_unsupported_methods(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    client_id = seeded["client"]["id"]
    for method in ("TRACE", "CONNECT", "PROPFIND", "PURGE", "DELETE", "PUT", "PATCH"):
        r = await api.request(method, "/api/v1/clients")
        assert_clean(r, (405,))
        assert "GET" in r.headers["allow"]
    for method in ("TRACE", "POST", "PROPFIND"):
        assert_clean(await api.request(method, f"/api/v1/clients/{client_id}"), (405,))
    head = await api.head("/api/v1/clients")
    assert head.status_code == 200 and head.content == b""
    options = await api.options(f"/api/v1/clients/{client_id}")
    assert options.status_code == 200 and options.text == "OK"
    assert await state(db) == seeded["before"]


# ---- 2.6 injection ------------------------------------------------------------------------------------


async def test_i1_sort_injection_is_inert(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    normal = (await api.get("/api/v1/clients")).json()
    for sort in (
        "id;select pg_sleep(5)|desc",
        "id|desc;select pg_sleep(5)",
        "(select pg_sleep(5))|asc",
        "name|asc nulls first; drop table clients",
        "id|desc,pg_sleep(5)",
        "1|asc",
    ):
        started = time.perf_counter()
        r = await api.get("/api/v1/clients", params={"sort": sort})
        assert time.perf_counter() - started < 2.0, sort
        assert r.status_code == 200 and r.json() == normal, sort
    assert await state(db) == seeded["before"]


@pytest.mark.parametrize(
    "param",
    [
        "filter",
        "name",
        "number",
        "id_number",
        "email",
        "status",
        "balance",
        "between_balance",
        "client_id",
        "group",
        "created_at",
        "is_deleted",
        "with",
    ],
)
async def test_i1_values_are_bound_never_spliced(api: httpx.AsyncClient, seeded: Any, db: Db, param: str) -> None:
    for payload in (
        "' OR '1'='1",
        "1; DROP TABLE clients; --",
        "x') OR 1=1 --",
        "1 OR 1=1",
        "$1",
        "?",
        "0:gt OR 1=1",
        "100:gt; select pg_sleep(5)",
        "{t}.id",
        "%s",
    ):
        started = time.perf_counter()
        r = await api.get("/api/v1/clients", params={param: payload})
        assert time.perf_counter() - started < 2.0
        assert r.status_code == 200, (param, payload, r.text)
        found = r.json()["data"]
        assert found == [] or param in ("status", "balance", "between_balance", "created_at", "is_deleted", "with"), (
            param,
            payload,
        )
    assert await db.fetchval("SELECT count(*) FROM clients") == 1
    assert await state(db) == seeded["before"]


async def test_i2_like_wildcards_match_literally(api: httpx.AsyncClient, db: Db) -> None:
    for name in ("100% Cotton", "Plain Name", "snake_case Ltd", "snakeXcase Ltd", "Back\\slash", "Percentless"):
        await api.post("/api/v1/clients", json={"name": name})

    async def found(**params: str) -> list[str]:
        return sorted(c["name"] for c in (await api.get("/api/v1/clients", params=params)).json()["data"])

    assert await found(filter="%") == ["100% Cotton"]
    assert await found(filter="_") == ["snake_case Ltd"]
    assert await found(filter="e_c") == ["snake_case Ltd"]
    assert await found(filter="\\") == ["Back\\slash"]
    assert await found(filter="%%") == []
    assert await found(name="%") == ["100% Cotton"]
    assert await found(name="_") == ["snake_case Ltd"]
    assert await found(filter="0% c") == ["100% Cotton"]


# ---- 2.9 resource consumption ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "per_page,expected",
    [
        ("0", 20),
        ("-1", 20),
        ("-50", 20),
        ("abc", 20),
        ("", 20),
        ("1.5", 20),
        ("1e3", 20),
        ("undefined", 20),
        ("5001", 5000),
        (str(10**12), 5000),
        (str(10**40), 5000),
        ("5000", 5000),
        ("7", 7),
        (" 3 ", 3),
        ("\u0663", 20),
    ],
)
async def test_r1_per_page(api: httpx.AsyncClient, seeded: Any, per_page: str, expected: int) -> None:
    r = await api.get("/api/v1/clients", params={"per_page": per_page})
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["pagination"]["per_page"] == expected
    assert len(r.json()["data"]) == 1


@pytest.mark.parametrize(
    "page,expected",
    [
        ("-1", 1),
        ("0", 1),
        ("undefined", 1),
        ("abc", 1),
        ("", 1),
        ("1.0", 1),
        ("-99999999999", 1),
        ("2", 2),
        (str(10**9), 10**9),
        (str(10**12), 10**9),
        (str(10**40), 10**9),
    ],
)
async def test_r2_page(api: httpx.AsyncClient, seeded: Any, page: str, expected: int) -> None:
    r = await api.get("/api/v1/clients", params={"page": page, "per_page": "5000"})
    assert r.status_code == 200, r.text
    pagination = r.json()["meta"]["pagination"]
    assert pagination["current_page"] == expected
    assert pagination["total"] == 1 and pagination["total_pages"] == 1
    if expected == 1:
        assert len(r.json()["data"]) == 1 and pagination["links"] == {}
    else:
        assert r.json()["data"] == [] and pagination["count"] == 0
        assert pagination["links"] == {"previous": f"http://testserver/api/v1/clients?page={expected - 1}"}


async def test_r1_r2_on_other_lists_and_bulk(api: httpx.AsyncClient, seeded: Any, db: Db) -> None:
    for path in ("/api/v1/group_settings", "/api/v1/activities", "/api/v1/documents"):
        for query in (
            "per_page=-1&page=-1",
            "per_page=0&page=0",
            f"per_page={10**12}&page={10**12}",
            "per_page=abc&page=undefined",
        ):
            r = await api.get(f"{path}?{query}")
            assert r.status_code == 200, (path, query, r.text)
            assert "pagination" in r.json()["meta"]
    r = await api.post(
        f"/api/v1/clients/bulk?per_page=-1&page={10**12}", json={"action": "archive", "ids": [seeded["client"]["id"]]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["meta"]["pagination"]["total"] == 1


async def test_integer_equality_filters(api: httpx.AsyncClient, seeded: Any) -> None:
    r = await api.get("/api/v1/activities?activity_type_id=1")
    assert r.status_code == 200 and len(r.json()["data"]) == 1
    for bad in ("abc", "99999999999999999999", "1.5"):
        r = await api.get(f"/api/v1/activities?activity_type_id={bad}")
        assert r.status_code == 200 and r.json()["data"] == []
