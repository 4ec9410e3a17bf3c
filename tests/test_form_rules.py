"""The rules of form bodies (rest.forms): PHP's bracket syntax and where this server is stricter than PHP
(a clear 400 naming the key, never a silent rename or drop), the size limit (413), the content types taken
(form bodies on REST only; anything else 415), and the SDK's spellings of booleans and empty values."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx
import pytest
from test_form_bodies import FORM, post
from test_registry_matrix import Company, company_snapshot, png

from app import ids
from app.db import Db
from app.main import create_app
from rest.forms import MAX_PAIRS, nest


@pytest.fixture
def a(tenant_a: Any, db: Db) -> Company:
    return Company(tenant_a, db, "a")


def test_brackets_nest_as_php_reads_them() -> None:
    pairs = [
        ("name", "Acme"),
        ("contacts[0][email]", "a@b.c"),
        ("contacts[0][first_name]", "Ada"),
        ("contacts[1][email]", "d@e.f"),
        ("settings[currency_id]", "2"),
        ("ids[]", "x"),
        ("ids[]", "y"),
        ("sparse[0]", "a"),
        ("sparse[2]", "b"),
        ("backwards[1]", "a"),
        ("backwards[0]", "b"),
        ("mixed[0]", "a"),
        ("mixed[k]", "b"),
        ("negative[-1]", "a"),
        ("padded[01]", "a"),
        ("  dotted.name with space", "v"),
        ("empty", ""),
    ]
    assert nest(pairs) == {
        "name": "Acme",
        "contacts": [{"email": "a@b.c", "first_name": "Ada"}, {"email": "d@e.f"}],
        "settings": {"currency_id": "2"},
        "ids": ["x", "y"],
        "sparse": {"0": "a", "2": "b"},
        "backwards": {"1": "a", "0": "b"},
        "mixed": {"0": "a", "k": "b"},
        "negative": {"-1": "a"},
        "padded": {"01": "a"},
        "dotted_name_with_space": "v",
        "empty": "",
    }
    assert list(nest(pairs)["backwards"]) == ["1", "0"]  # the order sent, as PHP keeps it
    assert nest([("a[5]", "x"), ("a[]", "y")]) == {"a": {"5": "x", "6": "y"}}
    assert nest([("a[]", "x"), ("a[]", "y"), ("a[]", "z")]) == {"a": ["x", "y", "z"]}
    assert nest([("a[][b]", "1"), ("a[][b]", "2")]) == {"a": [{"b": "1"}, {"b": "2"}]}
    assert nest([("a" + "[x]" * 10, "deep")])["a"]["x"]["x"]["x"]["x"]["x"]["x"]["x"]["x"]["x"] == {"x": "deep"}
    assert nest([(f"a[{MAX_PAIRS - 1}]", "last")]) == {"a": {str(MAX_PAIRS - 1): "last"}}


# ---- multipart ----------------------------------------------------------------------------------


async def test_multipart_nested_fields_with_a_file(a: Company, db: Db) -> None:
    fields = {
        "name": "Multipart Co",
        "contacts[0][email]": "mp@example.test",
        "contacts[0][first_name]": "Mia",
        "settings[currency_id]": "3",
        "is_tax_exempt": "1",
    }
    r = await a.http.post(
        "/api/v1/clients?include=documents", data=fields, files={"documents[]": ("logo.png", png(), "image/png")}
    )
    assert r.status_code == 200, r.text
    client = r.json()["data"]
    assert client["settings"]["currency_id"] == "3" and client["is_tax_exempt"] is True
    assert [c["email"] for c in client["contacts"]] == ["mp@example.test"]
    assert [d["name"] for d in client["documents"]] == ["logo.png"]
    # and an update with nested fields and a file, through POST with _method=PUT as the web app sends it
    r = await a.http.post(
        f"/api/v1/clients/{client['id']}?include=documents",
        data={
            "_method": "PUT",
            "contacts[0][email]": "mp2@example.test",
            "contacts[0][id]": client["contacts"][0]["id"],
        },
        files={"documents[]": ("second.png", png(), "image/png")},
    )
    assert r.status_code == 200, r.text
    assert [c["email"] for c in r.json()["data"]["contacts"]] == ["mp2@example.test"]
    assert len(r.json()["data"]["documents"]) == 2


# ---- hostile keys -------------------------------------------------------------------------------

HOSTILE = {
    "too deep": "name=x&a" + "[]" * 11 + "=1",
    "index too large": "name=x&line_items[999999999][cost]=1",
    "index just over": "name=x&ids[1000]=1",
    "__proto__": "name=x&__proto__[admin]=1",
    "constructor": "name=x&settings[constructor][prototype]=1",
    "duplicate": "name=x&name=y",
    "duplicate nested": "name=x&contacts[0][email]=a@b.c&contacts[0][email]=d@e.f",
    "scalar then array": "name=x&settings=1&settings[currency_id]=2",
    "array then scalar": "name=x&settings[currency_id]=2&settings=1",
    "unbalanced open": "name=x&settings[currency_id=2",
    "text after bracket": "name=x&settings[currency_id]x=2",
    "stray close": "name]=x",
    "bracket inside index": "name=x&settings[a[b]=2",
    "empty name": "name=x&=1",
    "brackets only": "name=x&[a]=1",
    "bad utf-8": "name=%ff%fe",
    "too many fields": "name=x&" + "&".join(f"f{n}=1" for n in range(1000)),
    "too many empties": "name=x" + "&" * 5000,
}


@pytest.mark.parametrize("case", HOSTILE, ids=str)
async def test_hostile_form_keys_are_a_400_and_change_nothing(case: str, a: Company, db: Db) -> None:
    await a.client()
    before = await company_snapshot(db, a.company_id)
    for path in ("/api/v1/clients", f"/api/v1/clients/{await a.client()}"):
        method = "POST" if path.endswith("clients") else "PUT"
        r = await a.http.request(method, path, content=HOSTILE[case].encode(), headers=FORM)
        assert r.status_code == 400, (case, r.status_code, r.text)
        body = r.json()
        assert set(body) == {"message", "errors"} and body["errors"] == {} and body["message"].startswith("The form")
    assert await company_snapshot(db, a.company_id) == before


async def test_hostile_multipart_keys_are_a_400(a: Company, db: Db) -> None:
    before = await company_snapshot(db, a.company_id)
    for fields in ({"name": "x", "a" + "[]" * 11: "1"}, {"name": "x", "ids[99999]": "1"}, {"name": "x", "s[a": "1"}):
        r = await a.http.post("/api/v1/clients", data=fields, files={"documents[]": ("x.png", png(), "image/png")})
        assert r.status_code == 400, r.text
    assert await company_snapshot(db, a.company_id) == before


async def test_sparse_and_unordered_indexes_are_objects_as_php_encodes_them(a: Company, db: Db) -> None:
    """`a[0]` with `a[2]` is {"0":..,"2":..} (PHP's json_encode): a list field refuses it with its 422."""
    client = await a.client()
    before = await company_snapshot(db, a.company_id)
    for content in (
        f"client_id={client}&line_items[0][cost]=1&line_items[2][cost]=2",
        f"client_id={client}&line_items[1][cost]=1&line_items[0][cost]=2",
    ):
        r = await a.http.post("/api/v1/invoices", content=content.encode(), headers=FORM)
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == {"line_items": ["The line items must be an array."]}
    assert await company_snapshot(db, a.company_id) == before
    # `[]` appends after the highest index, as PHP does
    r = await a.http.post(
        "/api/v1/invoices",
        content=f"client_id={client}&line_items[0][cost]=1&line_items[][cost]=2&line_items[][cost]=3".encode(),
        headers=FORM,
    )
    assert r.status_code == 200, r.text
    assert [x["cost"] for x in r.json()["data"]["line_items"]] == [1, 2, 3]


async def test_booleans_and_empty_values_as_the_sdk_spells_them(a: Company, db: Db) -> None:
    spelled = {"1": True, "0": False, "true": True, "false": False, "": False}
    for text, expected in spelled.items():
        r = await a.http.post(
            "/api/v1/products",
            content=f"product_key=B{text or 'empty'}&stock_notification={text}".encode(),
            headers=FORM,
        )
        assert r.status_code == 200, r.text
        assert r.json()["data"]["stock_notification"] is expected, text
    r = await a.http.post(
        "/api/v1/clients", content=b"name=Empty+fields&website=&private_notes=&country_id=", headers=FORM
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["name"], data["website"], data["private_notes"]) == ("Empty fields", "", "")
    r = await post(a, "/api/v1/clients", {"name": "Empty fields", "website": "", "country_id": ""}, form=False)
    assert data["country_id"] == r.json()["data"]["country_id"]  # "" is unset: the company's country, as in JSON


async def test_oversized_form_body_is_a_413(settings: Any, db: Db, tenant_a: Any) -> None:
    app = create_app(dataclasses.replace(settings, max_json_bytes=10_000), db=db)
    before = await db.fetchval("SELECT count(*) FROM clients")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"X-Requested-With": "XMLHttpRequest", "X-API-TOKEN": tenant_a.token},
    ) as c:
        r = await c.post("/api/v1/clients", content=b"name=" + b"x" * 20_000, headers=FORM)
        assert r.status_code == 413, r.text
        assert r.json() == {"message": "The request body may not be larger than 10000 bytes.", "errors": {}}
    assert await db.fetchval("SELECT count(*) FROM clients") == before


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/xml", "application/x-www-form-urlencodedx", "application/php-serialized"]
)
async def test_other_content_types_stay_415(ctype: str, a: Company, db: Db) -> None:
    before = await company_snapshot(db, a.company_id)
    r = await a.http.post("/api/v1/clients", content=b"name=Acme", headers={"Content-Type": ctype})
    assert r.status_code == 415, r.text
    assert "application/x-www-form-urlencoded" in r.json()["message"]
    assert await company_snapshot(db, a.company_id) == before


async def test_charset_parameter_is_accepted(a: Company) -> None:
    r = await a.http.post(
        "/api/v1/clients",
        content=b"name=Caf%C3%A9+M%C3%BCller",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "Café Müller"


async def test_graphql_does_not_take_form_bodies(a: Company) -> None:
    r = await a.http.post("/graphql", content=b"query=%7B__typename%7D", headers=FORM)
    assert r.status_code == 415, r.text


async def test_method_override_in_a_form_body(a: Company, db: Db) -> None:
    client = await a.client()
    r = await a.http.post(f"/api/v1/clients/{client}", content=b"_method=PUT&name=Renamed+by+form", headers=FORM)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["name"] == "Renamed by form"
    r = await a.http.post(f"/api/v1/clients/{client}", content=b"name=No+override", headers=FORM)
    assert r.status_code == 405
    assert await db.fetchval("SELECT name FROM clients WHERE id = $1", ids.decode(client)) == "Renamed by form"
