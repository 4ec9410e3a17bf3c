"""Absurd numbers: exponents beyond any column, literals beyond any integer,
ids beyond int4, counters at the end of their range and patterns that grow numbers past the column's
limit. Each is a clear 4xx naming the field (REST envelope, or a GraphQL error carrying the same status),
and the database is exactly as it was."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from test_hostile import assert_clean
from test_invoices import make_client, web_line

from app.crud.validate import INT_RANGES, MAX_COUNTER
from app.db import Db
from app.entities import REGISTRY

NINES = "9" * 30


async def snapshot(db: Db) -> dict[str, Any]:
    """Every row of every table (all the API could touch), for before/after comparison."""
    tables = [
        r["tablename"]
        for r in await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    ]
    return {t: sorted((dict(r) for r in await db.fetch(f"SELECT * FROM {t}")), key=repr) for t in tables}


def raw(body: str) -> dict[str, Any]:
    return {"content": body.encode(), "headers": {"Content-Type": "application/json"}}


@pytest.fixture
async def client(api: httpx.AsyncClient) -> dict[str, Any]:
    return await make_client(api)


# ---- exponents: exact decimals no column can hold -----------------------------------------------


@pytest.mark.parametrize(
    "body,field",
    [
        ('{{"client_id": "{c}", "amount": 1e-40000}}', "amount"),
        ('{{"client_id": "{c}", "amount": 0.{zeros}1}}', "amount"),
        ('{{"client_id": "{c}", "amount": 1E-16384}}', "amount"),
    ],
)
async def test_payment_amount_with_a_huge_exponent(
    api: httpx.AsyncClient, db: Db, client: Any, body: str, field: str
) -> None:
    before = await snapshot(db)
    r = await api.post("/api/v1/payments", **raw(body.format(c=client["id"], zeros="0" * 20_000)))
    assert field in assert_clean(r, (422,))["errors"], r.text
    assert await snapshot(db) == before


async def test_payment_invoice_amount_with_a_huge_exponent(api: httpx.AsyncClient, db: Db, client: Any) -> None:
    invoice = (await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": [web_line()]})).json()[
        "data"
    ]
    await api.post("/api/v1/invoices/bulk", json={"action": "mark_sent", "ids": [invoice["id"]]})
    before = await snapshot(db)
    body = f'{{"client_id": "{client["id"]}", "invoices": [{{"invoice_id": "{invoice["id"]}", "amount": 1e-40000}}]}}'
    r = await api.post("/api/v1/payments", **raw(body))
    assert "invoices.0.amount" in assert_clean(r, (422,))["errors"], r.text
    assert await snapshot(db) == before


@pytest.mark.parametrize("amount", ["1e-40000", "1e999999999", "-5", "abc"])
async def test_an_amount_paid_the_columns_cannot_hold_applies_nothing(
    api: httpx.AsyncClient, db: Db, client: Any, amount: str
) -> None:
    r = await api.post(
        f"/api/v1/invoices?mark_sent=true&amount_paid={amount}",
        json={"client_id": client["id"], "line_items": [web_line()]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["paid_to_date"] == 0
    assert await db.fetchval("SELECT count(*) FROM payments") == 0


@pytest.mark.parametrize(
    "name,value", [("quantity", "1e-20000"), ("cost", "1e-40000"), ("discount", "-1E-17000"), ("tax_rate1", "1e-400")]
)
async def test_line_item_numbers_with_a_huge_exponent(
    api: httpx.AsyncClient, db: Db, client: Any, name: str, value: str
) -> None:
    line = json.dumps(web_line(**{name: "__VALUE__"})).replace('"__VALUE__"', value)
    before = await snapshot(db)
    for method, path in (
        ("POST", "/api/v1/invoices"),
        ("POST", "/api/v1/quotes"),
        ("POST", "/api/v1/credits"),
        ("POST", "/api/v1/recurring_invoices"),
    ):
        body = f'{{"client_id": "{client["id"]}", "frequency_id": 5, "line_items": [{line}]}}'
        r = await api.request(method, path, **raw(body))
        assert f"line_items.0.{name}" in assert_clean(r, (422,))["errors"], (path, r.text)
    assert await snapshot(db) == before


async def test_small_exact_decimals_still_work(api: httpx.AsyncClient, client: Any) -> None:
    """The bound is on absurd exponents only: what a double prints (0.1 + 0.2) or a 6-place rate is fine."""
    line = json.dumps(web_line(quantity="__Q__", cost=10)).replace('"__Q__"', "0.30000000000000004")
    r = await api.post("/api/v1/invoices", **raw(f'{{"client_id": "{client["id"]}", "line_items": [{line}]}}'))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["amount"] == 3
    r = await api.post("/api/v1/payments", **raw(f'{{"client_id": "{client["id"]}", "amount": 1.5e-6}}'))
    assert r.status_code == 200, r.text


# ---- integers beyond their column ------------------------------------------------------------------


@pytest.mark.parametrize("where", ["client", "group", "company"])
async def test_payment_type_setting_beyond_int4_then_paid(
    api: httpx.AsyncClient, db: Db, tenant_a: Any, client: Any, where: str
) -> None:
    """An id-valued setting must name a row of its list: a payment type of 30 nines would reach
    payments.type_id (int4) when an invoice is created with ?paid=true."""
    before = await snapshot(db)
    settings = {"payment_type_id": NINES}
    if where == "client":
        r = await api.put(f"/api/v1/clients/{client['id']}", json={"settings": settings})
    elif where == "group":
        r = await api.post("/api/v1/group_settings", json={"name": "G", "settings": settings})
    else:
        r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": settings})
    errors = assert_clean(r, (422,))["errors"]
    assert errors == {"settings.payment_type_id": ["The selected payment type id is invalid."]}
    assert await snapshot(db) == before
    r = await api.post("/api/v1/invoices?paid=true", json={"client_id": client["id"], "line_items": [web_line()]})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "4", r.text


async def test_valid_payment_type_setting_is_used(api: httpx.AsyncClient, client: Any) -> None:
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"settings": {"payment_type_id": 5}})
    assert r.status_code == 200 and r.json()["data"]["settings"]["payment_type_id"] == "5", r.text
    r = await api.post("/api/v1/invoices?paid=true", json={"client_id": client["id"], "line_items": [web_line()]})
    assert r.status_code == 200, r.text
    payment = (await api.get("/api/v1/payments")).json()["data"][0]
    assert payment["type_id"] == "5"
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"settings": {"payment_type_id": "0"}})
    assert r.status_code == 200, r.text


async def test_every_registry_integer_is_bounded_by_its_column(db: Db) -> None:
    """The validator bounds an int or code field by the range of its declared column type; every declared
    type must be the one PostgreSQL really has, so no integer that passes can overflow its column."""
    types = {
        (r["table_name"], r["column_name"]): r["data_type"]
        for r in await db.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        )
    }
    checked = 0
    for entity in REGISTRY.values():
        for f in entity.fields:
            if f.kind in ("int", "code") and f.writable and not f.expr:
                assert types[(entity.table, f.col)] == f.column_type, (entity.name, f.name)
                assert f.column_type in INT_RANGES
                checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    "path,body,field",
    [
        ("/api/v1/products", '{"product_key": "p", "in_stock_quantity": 1e100000000}', "in_stock_quantity"),
        ("/api/v1/products", '{"product_key": "p", "max_quantity": 2147483648}', "max_quantity"),
        ("/api/v1/products", '{"product_key": "p", "max_quantity": -2147483649}', "max_quantity"),
        ("/api/v1/products", '{"product_key": "p", "price": 1e999999999}', "price"),
        ("/api/v1/products", '{"product_key": "p", "price": -1e999999999}', "price"),
        ("/api/v1/payment_terms", '{"num_days": 1e-100000000}', "num_days"),
        ("/api/v1/payment_terms", '{"num_days": "' + "9" * 5000 + '"}', "num_days"),
    ],
)
async def test_integers_and_money_with_absurd_exponents(
    api: httpx.AsyncClient, db: Db, path: str, body: str, field: str
) -> None:
    """Bounded before they are computed: int(1e100000000) would take minutes, abs(1e999999999) overflows."""
    before = await snapshot(db)
    started = time.perf_counter()
    r = await api.post(path, **raw(body))
    assert time.perf_counter() - started < 2
    assert field in assert_clean(r, (422,))["errors"], r.text
    assert await snapshot(db) == before


# ---- number counters and patterns --------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "invoice_number_counter",
        "client_number_counter",
        "payment_number_counter",
        "quote_number_counter",
        "credit_number_counter",
        "recurring_invoice_number_counter",
    ],
)
@pytest.mark.parametrize("value", [2147483647, 2**31 - 2, 10**9])
async def test_counter_at_the_end_of_its_range_is_422(
    api: httpx.AsyncClient, db: Db, tenant_a: Any, key: str, value: int
) -> None:
    before = await snapshot(db)
    r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {key: value}})
    assert list(assert_clean(r, (422,))["errors"]) == [f"settings.{key}"], r.text
    assert await snapshot(db) == before


async def test_counter_reaching_its_limit_stops_with_422(
    api: httpx.AsyncClient, db: Db, tenant_a: Any, client: Any
) -> None:
    """The last counter value is used; the create after it is a 422 on `number` that changes nothing (a
    counter stored before the bound existed is refused the same way)."""
    r = await api.put(
        f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"invoice_number_counter": MAX_COUNTER}}
    )
    assert r.status_code == 200, r.text
    r = await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": [web_line()]})
    assert r.status_code == 200 and r.json()["data"]["number"] == str(MAX_COUNTER), r.text
    before = await snapshot(db)
    r = await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": [web_line()]})
    assert list(assert_clean(r, (422,))["errors"]) == ["number"], r.text
    assert await snapshot(db) == before
    await db.execute("UPDATE companies SET settings = jsonb_set(settings, '{invoice_number_counter}', '2147483647')")
    before = await snapshot(db)
    r = await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": [web_line()]})
    assert list(assert_clean(r, (422,))["errors"]) == ["number"], r.text
    assert await snapshot(db) == before


async def test_pattern_setting_is_capped(api: httpx.AsyncClient, db: Db, tenant_a: Any) -> None:
    before = await snapshot(db)
    for key in ("invoice_number_pattern", "client_number_pattern", "payment_number_pattern"):
        r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {key: "{$counter}" * 6_000}})
        assert list(assert_clean(r, (422,))["errors"]) == [f"settings.{key}"], r.text
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "kind,path", [("invoice", "/api/v1/invoices"), ("client", "/api/v1/clients"), ("payment", "/api/v1/payments")]
)
async def test_generated_number_longer_than_a_typed_one_is_422(
    api: httpx.AsyncClient, db: Db, tenant_a: Any, client: Any, kind: str, path: str
) -> None:
    """A pattern within its cap can still expand past 191 characters ({$counter} padded 20 times over),
    and one stored before the cap may be any length: the create is a 422 on `number`."""
    body = {"client_id": client["id"], "name": "N", "line_items": [web_line()]}
    for pattern, padding in (("{$counter}" * 19, 20), ("x" * 60_000, 4)):
        await db.execute(
            "UPDATE companies SET settings = settings || $1::jsonb",
            {f"{kind}_number_pattern": pattern, "counter_padding": padding},
        )
        before = await snapshot(db)
        r = await api.post(path, json=body)
        assert assert_clean(r, (422,))["errors"] == {"number": ["The number may not be greater than 191 characters."]}
        assert await snapshot(db) == before


# ---- GraphQL: variables, literals ------------------------------------------------------------------


async def gql_error(api: httpx.AsyncClient, payload: bytes) -> dict[str, Any]:
    r = await api.post("/graphql", content=payload, headers={"Content-Type": "application/json"})
    body = r.json()
    assert body["errors"], body
    for error in body["errors"]:
        assert error.get("extensions", {}).get("status") != 500, (r.status_code, body)
        assert "Traceback" not in r.text and "asyncpg" not in r.text
    return {"status": r.status_code, "body": body}


async def test_graphql_variables_nested_50000_deep(api: httpx.AsyncClient, db: Db) -> None:
    before = await snapshot(db)
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    payload = (
        '{"query": "mutation($i: JSON!) { createClient(input: $i) { id } }", "variables": {"i": ' + deep + "}}"
    ).encode()
    got = await gql_error(api, payload)
    assert got["status"] == 400
    assert got["body"]["errors"][0]["extensions"]["status"] == 400
    assert await snapshot(db) == before


@pytest.mark.parametrize(
    "query,variables",
    [
        ("{ clients(page: " + "1" * 5000 + ") { items { id } } }", ""),
        ('mutation { createClient(input: {name: "x", size_id: ' + "1" * 5000 + "}) { id } }", ""),
        ('mutation { createClient(input: {name: "x", settings: {counter_padding: ' + "9" * 5000 + "}}) { id } }", ""),
        ("query($p: Int) { clients(page: $p) { items { id } } }", '{"p": ' + "1" * 5000 + "}"),
        (
            "mutation($i: JSON!) { createClient(input: $i) { id } }",
            '{"i": {"name": "x", "size_id": ' + "1" * 5000 + "}}",
        ),
    ],
)
async def test_graphql_5000_digit_int_literal(api: httpx.AsyncClient, db: Db, query: str, variables: str) -> None:
    """Python will not read an int of more than 4300 digits: in the document or in its variables that is
    the client's 400, as a REST body with one is."""
    before = await snapshot(db)
    payload = json.dumps({"query": query}).encode()
    if variables:
        payload = payload[:-1] + b', "variables": ' + variables.encode() + b"}"
    got = await gql_error(api, payload)
    assert [e["extensions"]["status"] for e in got["body"]["errors"]] == [400], got
    assert "4300" not in json.dumps(got["body"])
    assert await snapshot(db) == before


async def test_graphql_float_literal_with_a_huge_exponent(api: httpx.AsyncClient, db: Db, client: Any) -> None:
    before = await snapshot(db)
    query = 'mutation {{ createPayment(input: {{client_id: "{}", amount: 1e-40000}}) {{ id }} }}'.format(client["id"])
    got = await gql_error(api, json.dumps({"query": query}).encode())
    error = got["body"]["errors"][0]
    assert error["extensions"]["status"] == 422 and "amount" in error["extensions"]["errors"], got
    query = (
        'mutation {{ createInvoice(input: {{client_id: "{}", line_items: [{{quantity: 1e-20000, cost: 1}}]}}) '
        "{{ id }} }}".format(client["id"])
    )
    error = (await gql_error(api, json.dumps({"query": query}).encode()))["body"]["errors"][0]
    assert error["extensions"]["status"] == 422 and "line_items.0.quantity" in error["extensions"]["errors"]
    assert await snapshot(db) == before
