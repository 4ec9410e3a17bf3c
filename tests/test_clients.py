"""Clients over REST, the whole surface the web app and scripts use: create, show, update, contacts, delete,
bulk, filters, pagination, includes, activities and group settings. Every write is checked again in the database."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app import ids
from app.db import Db

WEB_APP_BODY = {
    "group_settings_id": "",
    "name": "ACME Probe Ltd",
    "contacts": [
        {
            "first_name": "Wile",
            "last_name": "Coyote",
            "email": "wile@acme.test",
            "phone": "",
            "send_email": False,
            "cc_only": False,
        }
    ],
}

# interfaces/client.ts of the web app = upstream ClientTransformer + default includes
CLIENT_STRINGS = (
    "id",
    "user_id",
    "assigned_user_id",
    "name",
    "display_name",
    "number",
    "website",
    "private_notes",
    "public_notes",
    "group_settings_id",
    "size_id",
    "industry_id",
    "client_hash",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "country_id",
    "phone",
    "shipping_address1",
    "shipping_address2",
    "shipping_city",
    "shipping_state",
    "shipping_postal_code",
    "shipping_country_id",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "vat_number",
    "id_number",
    "routing_id",
    "classification",
)
CLIENT_NUMBERS = ("balance", "paid_to_date", "credit_balance", "payment_balance")
CLIENT_INTS = ("last_login", "created_at", "updated_at", "archived_at")
CLIENT_BOOLS = ("is_deleted", "has_valid_vat_number", "is_tax_exempt")
CLIENT_OBJECTS = ("settings", "tax_info", "e_invoice")
CLIENT_LISTS = ("contacts", "documents", "gateway_tokens")
CONTACT_STRINGS = (
    "id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "contact_key",
    "link",
    "password",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
)
CONTACT_BOOLS = ("is_primary", "is_locked", "send_email", "cc_only", "can_sign")
CONTACT_INTS = ("last_login", "created_at", "updated_at", "archived_at")

ACTIVITY_CREATE, ACTIVITY_ARCHIVE, ACTIVITY_DELETE, ACTIVITY_RESTORE, ACTIVITY_UPDATE = "1", "2", "3", "26", "61"


async def create(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    r = await api.post("/api/v1/clients", json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def show(api: httpx.AsyncClient, client_id: str, include: str = "") -> dict[str, Any]:
    r = await api.get(f"/api/v1/clients/{client_id}" + (f"?include={include}" if include else ""))
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def listing(api: httpx.AsyncClient, query: str = "") -> dict[str, Any]:
    r = await api.get(f"/api/v1/clients?{query}")
    assert r.status_code == 200, (query, r.text)
    return r.json()


async def names(api: httpx.AsyncClient, query: str) -> list[str]:
    return [c["name"] for c in (await listing(api, query))["data"]]


async def bulk(api: httpx.AsyncClient, action: str, client_ids: list[str], **extra: Any) -> httpx.Response:
    return await api.post("/api/v1/clients/bulk", json={"action": action, "ids": client_ids, **extra})


def pk(hashed: str) -> int:
    return ids.decode(hashed)


async def row(db: Db, hashed: str) -> dict[str, Any]:
    found = await db.fetchrow("SELECT * FROM clients WHERE id = $1", pk(hashed))
    assert found is not None
    return dict(found)


async def contacts_in_db(db: Db, client_hashed: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT * FROM client_contacts WHERE client_id = $1 AND deleted_at IS NULL ORDER BY id", pk(client_hashed)
    )
    return [dict(r) for r in rows]


async def activity_types(db: Db, client_hashed: str) -> list[int]:
    rows = await db.fetch("SELECT activity_type_id FROM activities WHERE client_id = $1 ORDER BY id", pk(client_hashed))
    return [r["activity_type_id"] for r in rows]


def assert_client_shape(client: dict[str, Any]) -> None:
    for key in CLIENT_STRINGS:
        assert isinstance(client[key], str), key
    for key in CLIENT_NUMBERS:
        assert isinstance(client[key], float), key
    for key in CLIENT_INTS:
        assert isinstance(client[key], int) and not isinstance(client[key], bool), key
    for key in CLIENT_BOOLS:
        assert isinstance(client[key], bool), key
    for key in CLIENT_OBJECTS:
        assert isinstance(client[key], dict), key
    for key in CLIENT_LISTS:
        assert isinstance(client[key], list), key
    assert None not in client.values()
    assert "company_id" not in client and "deleted_at" not in client
    for contact in client["contacts"]:
        assert_contact_shape(contact)


def assert_contact_shape(contact: dict[str, Any]) -> None:
    for key in CONTACT_STRINGS:
        assert isinstance(contact[key], str), key
    for key in CONTACT_BOOLS:
        assert isinstance(contact[key], bool), key
    for key in CONTACT_INTS:
        assert isinstance(contact[key], int) and not isinstance(contact[key], bool), key
    assert None not in contact.values()
    assert "password_hash" not in contact


# ---- create ----------------------------------------------------------------------------------------


async def test_create_with_the_web_app_body(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    r = await api.post("/api/v1/clients", json=WEB_APP_BODY)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"data"}
    client = r.json()["data"]
    assert client["id"]
    assert_client_shape(client)
    assert client["name"] == client["display_name"] == "ACME Probe Ltd"
    assert client["group_settings_id"] == ""
    assert client["user_id"] == tenant_a.user_id
    assert client["number"] == "0001"
    assert client["settings"]["currency_id"] == "1"
    assert client["country_id"] == "840"  # the company's country
    assert client["archived_at"] == 0 and client["is_deleted"] is False
    assert client["balance"] == 0.0 and client["paid_to_date"] == 0.0
    assert len(client["client_hash"]) >= 32
    [contact] = client["contacts"]
    assert (contact["first_name"], contact["last_name"], contact["email"]) == ("Wile", "Coyote", "wile@acme.test")
    assert contact["is_primary"] is True
    assert contact["send_email"] is True  # the only contact always receives e-mail
    assert contact["password"] == ""
    assert contact["link"].endswith(f"/client/key_login/{contact['contact_key']}")
    assert client["documents"] == [] and client["gateway_tokens"] == []
    stored = await row(db, client["id"])
    assert stored["company_id"] == pk(tenant_a.company_id)
    assert stored["name"] == "ACME Probe Ltd" and stored["number"] == "0001"
    [stored_contact] = await contacts_in_db(db, client["id"])
    assert stored_contact["email"] == "wile@acme.test" and stored_contact["is_primary"]
    assert await activity_types(db, client["id"]) == [1]


async def test_client_has_locations_list(api: httpx.AsyncClient) -> None:
    client = await create(api, name="Located")
    assert client["locations"] == []


async def test_every_field_round_trips(api: httpx.AsyncClient, db: Db) -> None:
    body = {
        "name": "Full Co",
        "website": "https://full.example",
        "private_notes": "private",
        "public_notes": "public",
        "size_id": "2",
        "industry_id": "3",
        "address1": "1 Main St",
        "address2": "Suite 2",
        "phone": "555",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country_id": "276",
        "shipping_address1": "2 Dock Rd",
        "shipping_address2": "Gate 4",
        "shipping_city": "Hamburg",
        "shipping_state": "HH",
        "shipping_postal_code": "20457",
        "shipping_country_id": "276",
        "custom_value1": "c1",
        "custom_value2": "c2",
        "custom_value3": "c3",
        "custom_value4": "c4",
        "vat_number": "DE123",
        "id_number": "ID-9",
        "number": "CUST-9",
        "has_valid_vat_number": True,
        "is_tax_exempt": "true",
        "routing_id": "R1",
        "classification": "business",
        "settings": {"currency_id": "3", "payment_terms": "14"},
        "e_invoice": {"x": 1},
    }
    client = await create(api, **body)
    assert_client_shape(client)
    for key, value in body.items():
        if key == "settings":
            assert client["settings"]["currency_id"] == "3" and client["settings"]["payment_terms"] == "14"
        elif key == "is_tax_exempt":
            assert client[key] is True
        else:
            assert client[key] == value, key
    assert (await show(api, client["id"])) | {"updated_at": 0} == client | {"updated_at": 0}
    stored = await row(db, client["id"])
    assert stored["country_id"] == 276 and stored["size_id"] == 2 and stored["number"] == "CUST-9"


async def test_server_side_fields_are_ignored_on_create(
    api: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, db: Db
) -> None:
    client = await create(
        api,
        name="Sneaky",
        balance=1000,
        paid_to_date=5,
        credit_balance=7,
        id="Wpmbk5ezJn",
        company_id=tenant_b.company_id,
        user_id=tenant_b.user_id,
        is_deleted=True,
        client_hash="chosen",
        created_at=1,
        archived_at=5,
        display_name="Spoofed",
    )
    assert client["balance"] == 0.0 and client["paid_to_date"] == 0.0 and client["credit_balance"] == 0.0
    assert client["is_deleted"] is False and client["archived_at"] == 0
    assert client["user_id"] == tenant_a.user_id and client["client_hash"] != "chosen"
    assert client["display_name"] == "Sneaky" and client["created_at"] > 1
    stored = await row(db, client["id"])
    assert stored["company_id"] == pk(tenant_a.company_id) and stored["balance"] == 0


async def test_settings_currency_defaults_to_the_company_currency(api: httpx.AsyncClient, tenant_a: Any) -> None:
    assert (await create(api, name="Dollar"))["settings"]["currency_id"] == "1"
    r = await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"currency_id": "2"}})
    assert r.status_code == 200
    pound = await create(api, name="Pound")
    assert pound["settings"] == {"entity": "App\\Models\\Client", "industry_id": "", "size_id": "", "currency_id": "2"}
    assert (await create(api, name="Euro", settings={"currency_id": "3"}))["settings"]["currency_id"] == "3"
    assert (await create(api, name="Blank", settings={"currency_id": ""}))["settings"]["currency_id"] == "2"


async def test_settings_values_are_typed_like_upstream(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(
        api,
        name="Typed",
        settings={
            "currency_id": 2,
            "payment_terms": 14,
            "send_reminders": "1",
            "language_id": "",
            "custom_thing": {"kept": True},
        },
    )
    settings = client["settings"]
    assert settings["currency_id"] == "2" and settings["payment_terms"] == "14"
    assert settings["send_reminders"] is True and settings["custom_thing"] == {"kept": True}
    stored = await db.fetchval("SELECT settings FROM clients WHERE id = $1", pk(client["id"]))
    assert stored["currency_id"] == "2"
    for bad, field in (
        ({"language_id": "99999"}, "settings.language_id"),
        ({"country_id": "1"}, "settings.country_id"),
        ({"send_reminders": "perhaps"}, "settings.send_reminders"),
        ({"payment_terms": ["14"]}, "settings.payment_terms"),
        ({"pdf_variables": "x"}, "settings.pdf_variables"),
    ):
        r = await api.put(f"/api/v1/clients/{client['id']}", json={"settings": bad})
        assert r.status_code == 422, (bad, r.text)
        assert list(r.json()["errors"]) == [field]
    assert await db.fetchval("SELECT settings FROM clients WHERE id = $1", pk(client["id"])) == stored


async def test_currency_falls_back_to_the_group_currency(api: httpx.AsyncClient) -> None:
    group = (
        await api.post("/api/v1/group_settings", json={"name": "Euro group", "settings": {"currency_id": "3"}})
    ).json()["data"]
    plain = (await api.post("/api/v1/group_settings", json={"name": "Plain group"})).json()["data"]
    assert (await create(api, name="In group", group_settings_id=group["id"]))["settings"]["currency_id"] == "3"
    assert (await create(api, name="In plain group", group_settings_id=plain["id"]))["settings"]["currency_id"] == "1"
    own = await create(api, name="Own currency", group_settings_id=group["id"], settings={"currency_id": "2"})
    assert own["settings"]["currency_id"] == "2"
    # an explicitly empty currency means the company's (upstream's order of checks)
    empty = await create(api, name="Empty", group_settings_id=group["id"], settings={"currency_id": ""})
    assert empty["settings"]["currency_id"] == "1"


async def test_iso_codes_instead_of_ids(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(
        api, name="Coded", country_code="DE", shipping_country_code="fra", currency_code="EUR", language_code="de"
    )
    assert client["country_id"] == "276" and client["shipping_country_id"] == "250"
    assert client["settings"]["currency_id"] == "3" and client["settings"]["language_id"] == "3"
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"country_code": "US"})
    assert r.json()["data"]["country_id"] == "840"
    for body, field in (
        ({"country_code": "XX"}, "country_code"),
        ({"currency_code": "ZZZ"}, "currency_code"),
        ({"language_code": "xx_XX"}, "language_code"),
    ):
        r = await api.post("/api/v1/clients", json={"name": "Bad code", **body})
        assert r.status_code == 422 and list(r.json()["errors"]) == [field], r.text
    assert await db.fetchval("SELECT count(*) FROM clients") == 1


async def test_unknown_currency_is_422(api: httpx.AsyncClient, db: Db) -> None:
    r = await api.post("/api/v1/clients", json={"name": "Bad", "settings": {"currency_id": "99999"}})
    assert r.status_code == 422
    assert r.json()["errors"] == {"settings.currency_id": ["The selected currency id is invalid."]}
    assert await db.fetchval("SELECT count(*) FROM clients") == 0


async def test_numbers_count_up_with_padding(api: httpx.AsyncClient, tenant_a: Any, db: Db) -> None:
    assert (await create(api, name="One"))["number"] == "0001"
    assert (await create(api, name="Two"))["number"] == "0002"
    manual = await create(api, name="Typed", number="0003")
    assert manual["number"] == "0003"
    assert (await create(api, name="Four"))["number"] == "0004"  # skips the one typed in by hand
    await api.put(f"/api/v1/companies/{tenant_a.company_id}", json={"settings": {"counter_padding": 6}})
    assert (await create(api, name="Five"))["number"] == "000005"
    await api.put(
        f"/api/v1/companies/{tenant_a.company_id}",
        json={"settings": {"client_number_pattern": "C-{$counter}", "counter_padding": 3}},
    )
    assert (await create(api, name="Six"))["number"] == "C-006"
    counter = await db.fetchval(
        "SELECT settings->>'client_number_counter' FROM companies WHERE id = $1", pk(tenant_a.company_id)
    )
    assert counter == "7"


async def test_numbers_are_per_company(api: httpx.AsyncClient, api_b: httpx.AsyncClient) -> None:
    assert (await create(api, name="A1"))["number"] == "0001"
    assert (await create(api_b, name="B1"))["number"] == "0001"
    assert (await create(api_b, name="B2", number="0002"))["number"] == "0002"
    assert (await create(api, name="A2", number="0002"))["number"] == "0002"


async def test_a_rejected_create_does_not_use_a_number(api: httpx.AsyncClient) -> None:
    await create(api, name="One")
    r = await api.post("/api/v1/clients", json={"name": "Bad", "contacts": [{"email": "not-an-email"}]})
    assert r.status_code == 422
    assert (await create(api, name="Two"))["number"] == "0002"


async def test_duplicate_number_and_id_number_are_422(api: httpx.AsyncClient, db: Db) -> None:
    first = await create(api, name="First", number="N-1", id_number="ID-1")
    second = await create(api, name="Second")
    for body, field in (
        ({"name": "Dup", "number": "N-1"}, "number"),
        ({"name": "Dup", "id_number": "ID-1"}, "id_number"),
        ({"name": "Dup", "number": " N-1 "}, "number"),
    ):
        r = await api.post("/api/v1/clients", json=body)
        assert r.status_code == 422, r.text
        assert r.json() == {
            "message": "The given data was invalid.",
            "errors": {field: [f"The {field.replace('_', ' ')} has already been taken."]},
        }
        r = await api.put(f"/api/v1/clients/{second['id']}", json=body)
        assert r.status_code == 422, r.text
        assert field in r.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM clients") == 2
    assert (await row(db, second["id"]))["name"] == "Second"
    # a client may keep its own number
    r = await api.put(f"/api/v1/clients/{first['id']}", json={"number": "N-1", "id_number": "ID-1", "name": "Same"})
    assert r.status_code == 200, r.text
    # empty id_numbers never collide
    await create(api, name="No id 1", id_number="")
    await create(api, name="No id 2", id_number="")


async def test_blank_client(api: httpx.AsyncClient, db: Db) -> None:
    r = await api.get("/api/v1/clients/create")
    assert r.status_code == 200, r.text
    blank = r.json()["data"]
    assert blank["id"] == "" and blank["name"] == "" and blank["number"] == ""
    assert blank["group_settings_id"] == ""
    for key in (*CLIENT_STRINGS, *CLIENT_NUMBERS, *CLIENT_INTS, *CLIENT_BOOLS, *CLIENT_OBJECTS, *CLIENT_LISTS):
        assert key in blank, key
    assert None not in blank.values()
    assert blank["contacts"] == [] and blank["documents"] == []
    assert await db.fetchval("SELECT count(*) FROM clients") == 0


# ---- show, includes ----------------------------------------------------------------------------------


async def test_show_as_the_client_view_page_does(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, **WEB_APP_BODY)
    shown = await show(api, client["id"], "group_settings,activities.history")
    assert_client_shape(shown)
    assert "group_settings" not in shown  # an item include that resolves to nothing is omitted
    assert [a["activity_type_id"] for a in shown["activities"]] == [ACTIVITY_CREATE]
    activity = shown["activities"][0]
    assert activity["client_id"] == client["id"] and isinstance(activity["created_at"], int)
    assert None not in activity.values()
    group = (await api.post("/api/v1/group_settings", json={"name": "VIP", "settings": {"currency_id": "2"}})).json()[
        "data"
    ]
    await api.put(f"/api/v1/clients/{client['id']}", json={"group_settings_id": group["id"]})
    shown = await show(api, client["id"], "group_settings,activities.history")
    assert shown["group_settings_id"] == group["id"]
    assert shown["group_settings"]["id"] == group["id"] and shown["group_settings"]["name"] == "VIP"
    assert shown["group_settings"]["settings"]["currency_id"] == "2"
    assert [a["activity_type_id"] for a in shown["activities"]] == [ACTIVITY_UPDATE, ACTIVITY_CREATE]


async def test_default_includes_and_unknown_includes(api: httpx.AsyncClient) -> None:
    client = await create(api, **WEB_APP_BODY)
    for include in ("", "__class__", "contacts", "nope.nothing", "contacts.__dict__", ",,,", "activities.x.y.z"):
        shown = await show(api, client["id"], include)
        assert {"contacts", "documents", "gateway_tokens"} <= set(shown), include
        assert "__class__" not in shown and "nope" not in shown
        listed = (await listing(api, f"include={include}"))["data"][0]
        assert {"contacts", "documents", "gateway_tokens"} <= set(listed), include
    assert "activities" not in await show(api, client["id"])
    assert "ledger" in await show(api, client["id"], "ledger")
    assert "system_logs" in await show(api, client["id"], "system_logs")


async def test_missing_client_is_404(api: httpx.AsyncClient) -> None:
    for bad in ("nope", ids.encode(123456), "VolejRejNm", "1", "%20"):
        for r in (
            await api.get(f"/api/v1/clients/{bad}"),
            await api.put(f"/api/v1/clients/{bad}", json={"name": "x"}),
            await api.delete(f"/api/v1/clients/{bad}"),
        ):
            assert r.status_code == 404, (bad, r.text)
            assert r.json() == {"message": "Client not found", "errors": {}}


# ---- update ----------------------------------------------------------------------------------------


async def test_update_is_partial(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(
        api,
        name="Partial",
        website="https://a.example",
        city="Paris",
        private_notes="keep",
        settings={"currency_id": "3", "payment_terms": "7"},
        contacts=[{"first_name": "Ann", "email": "ann@example.com"}],
    )
    before_row = await row(db, client["id"])
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"website": "https://b.example"})
    assert r.status_code == 200, r.text
    after = r.json()["data"]
    changed = {k for k in client if client[k] != after[k]}
    assert changed <= {"website", "updated_at"}, changed
    assert after["website"] == "https://b.example"
    after_row = await row(db, client["id"])
    assert {k for k in before_row if before_row[k] != after_row[k]} <= {"website", "updated_at"}
    # settings are merged key by key, not replaced
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"settings": {"payment_terms": "30"}})
    assert r.json()["data"]["settings"]["currency_id"] == "3"
    assert r.json()["data"]["settings"]["payment_terms"] == "30"
    # PATCH is the same handler
    r = await api.patch(f"/api/v1/clients/{client['id']}", json={"city": "Lyon"})
    assert r.status_code == 200 and r.json()["data"]["city"] == "Lyon"
    assert (await row(db, client["id"]))["private_notes"] == "keep"


async def test_update_ignores_server_side_fields(api: httpx.AsyncClient, db: Db, tenant_b: Any) -> None:
    client = await create(api, name="Guarded")
    r = await api.put(
        f"/api/v1/clients/{client['id']}",
        json={
            "balance": 99,
            "paid_to_date": 1,
            "credit_balance": 5,
            "company_id": tenant_b.company_id,
            "is_deleted": True,
            "id": ids.encode(999),
            "client_hash": "x",
            "number": "",
        },
    )
    assert r.status_code == 200, r.text
    stored = await row(db, client["id"])
    assert stored["balance"] == 0 and stored["paid_to_date"] == 0 and stored["credit_balance"] == 0
    assert stored["is_deleted"] is False and stored["client_hash"] == client["client_hash"]
    assert stored["number"] == "0001"  # an empty number keeps the one assigned


async def test_update_can_clear_values(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, name="Clear", website="https://x.example", country_id="276", size_id="1")
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"website": "", "country_id": "", "size_id": None})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["website"] == "" and data["country_id"] == "" and data["size_id"] == ""
    stored = await row(db, client["id"])
    assert stored["country_id"] is None and stored["website"] == ""


# ---- contacts ----------------------------------------------------------------------------------------


async def test_contacts_sent_replace_the_stored_ones(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(
        api,
        name="Contacts",
        contacts=[
            {"first_name": "Keep", "email": "keep@example.com"},
            {"first_name": "Drop", "email": "drop@example.com"},
        ],
    )
    keep, drop = client["contacts"]
    r = await api.put(
        f"/api/v1/clients/{client['id']}",
        json={
            "contacts": [
                {"id": keep["id"], "first_name": "Kept", "email": "keep@example.com"},
                {"first_name": "New", "email": "new@example.com"},
            ]
        },
    )
    assert r.status_code == 200, r.text
    contacts = r.json()["data"]["contacts"]
    assert [c["first_name"] for c in contacts] == ["Kept", "New"]
    assert contacts[0]["id"] == keep["id"] and contacts[0]["contact_key"] == keep["contact_key"]
    assert contacts[1]["id"] not in (keep["id"], drop["id"])
    assert drop["id"] not in {c["id"] for c in contacts}
    stored = await contacts_in_db(db, client["id"])
    assert [c["first_name"] for c in stored] == ["Kept", "New"]
    dropped = await db.fetchrow("SELECT is_deleted, deleted_at FROM client_contacts WHERE id = $1", pk(drop["id"]))
    assert dropped["is_deleted"] is True and dropped["deleted_at"] is not None
    # without a `contacts` key nothing changes
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"name": "Renamed"})
    assert [c["id"] for c in r.json()["data"]["contacts"]] == [c["id"] for c in contacts]


async def test_a_contact_id_of_another_client_is_not_taken_over(api: httpx.AsyncClient, db: Db) -> None:
    other = await create(api, name="Other", contacts=[{"first_name": "Theirs", "email": "theirs@example.com"}])
    mine = await create(api, name="Mine")
    theirs = other["contacts"][0]
    r = await api.put(f"/api/v1/clients/{mine['id']}", json={"contacts": [{"id": theirs["id"], "first_name": "Mine"}]})
    assert r.status_code == 200, r.text
    [contact] = r.json()["data"]["contacts"]
    assert contact["id"] != theirs["id"]
    stored = await db.fetchrow(
        "SELECT client_id, first_name, deleted_at FROM client_contacts WHERE id = $1", pk(theirs["id"])
    )
    assert stored["client_id"] == pk(other["id"]) and stored["first_name"] == "Theirs"
    assert stored["deleted_at"] is None


async def test_empty_contacts_keep_one_contact(api: httpx.AsyncClient, db: Db) -> None:
    bare = await create(api, name="No contacts given")
    assert len(bare["contacts"]) == 1 and bare["contacts"][0]["is_primary"] is True
    client = await create(api, name="Two", contacts=[{"first_name": "A"}, {"first_name": "B"}])
    for body in ({"contacts": []}, {"contacts": None}):
        r = await api.put(f"/api/v1/clients/{client['id']}", json=body)
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]["contacts"]) == 1
        assert r.json()["data"]["contacts"][0]["is_primary"] is True
        assert len(await contacts_in_db(db, client["id"])) == 1
    empty = await create(api, name="Empty list", contacts=[])
    assert len(empty["contacts"]) == 1


async def test_exactly_one_primary_contact(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(
        api,
        name="Primaries",
        contacts=[
            {"first_name": "A", "is_primary": True},
            {"first_name": "B", "is_primary": True},
            {"first_name": "C", "is_primary": False},
        ],
    )
    assert [c["is_primary"] for c in client["contacts"]] == [True, False, False]
    a, b, c = client["contacts"]
    r = await api.put(
        f"/api/v1/clients/{client['id']}",
        json={
            "contacts": [
                {"id": a["id"], "is_primary": False},
                {"id": b["id"], "is_primary": False},
                {"id": c["id"], "is_primary": True},
            ]
        },
    )
    contacts = r.json()["data"]["contacts"]
    assert [(x["first_name"], x["is_primary"]) for x in contacts] == [("C", True), ("A", False), ("B", False)]
    r = await api.put(
        f"/api/v1/clients/{client['id']}",
        json={"contacts": [{"id": a["id"], "is_primary": False}, {"id": b["id"], "is_primary": False}]},
    )
    assert [(x["first_name"], x["is_primary"]) for x in r.json()["data"]["contacts"]] == [("A", True), ("B", False)]
    stored = await contacts_in_db(db, client["id"])
    assert sum(1 for s in stored if s["is_primary"]) == 1


async def test_contact_validation_and_password(api: httpx.AsyncClient, db: Db) -> None:
    for contacts, field in (
        ([{"email": "not-an-email"}], "contacts.0.email"),
        ([{"first_name": "ok"}, {"first_name": ["x"]}], "contacts.1.first_name"),
        (["string"], "contacts.0"),
        ("not a list", "contacts"),
        ([{"send_email": "maybe"}], "contacts.0.send_email"),
        ([{"password": "p" * 1001}], "contacts.0.password"),
        ([{"password": "Ab1"}], "contacts.0.password"),  # too short
        ([{"password": "alllowercase1"}], "contacts.0.password"),  # no capital
        ([{"password": "NoDigitsHere"}], "contacts.0.password"),
        ([{"email": "same@example.com"}, {"email": "SAME@example.com"}], "contacts.1.email"),
    ):
        r = await api.post("/api/v1/clients", json={"name": "Invalid", "contacts": contacts})
        assert r.status_code == 422, (contacts, r.text)
        assert field in r.json()["errors"], r.json()
    assert await db.fetchval("SELECT count(*) FROM clients") == 0
    client = await create(api, name="Portal", contacts=[{"email": "p@example.com", "password": "Portal-pass1"}])
    assert client["contacts"][0]["password"] == "**********"
    stored = (await contacts_in_db(db, client["id"]))[0]["password_hash"]
    assert stored.startswith("$2") and "Portal-pass1" not in stored
    # sending the mask back keeps the password
    contact = client["contacts"][0]
    await api.put(f"/api/v1/clients/{client['id']}", json={"contacts": [{**contact}]})
    assert (await contacts_in_db(db, client["id"]))[0]["password_hash"] == stored


async def test_display_name_falls_back_to_the_contact(api: httpx.AsyncClient) -> None:
    named = await create(api, name="", contacts=[{"first_name": "Ada", "last_name": "Lovelace"}])
    assert named["display_name"] == "Ada Lovelace"
    mailed = await create(api, contacts=[{"email": "only@example.com"}])
    assert mailed["display_name"] == "only@example.com"
    nobody = await create(api)
    assert nobody["display_name"] == "No Contact Set"


# ---- delete, archive, restore ----------------------------------------------------------------------


async def test_delete_is_a_soft_delete(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, **WEB_APP_BODY)
    r = await api.delete(f"/api/v1/clients/{client['id']}")
    assert r.status_code == 200, r.text
    deleted = r.json()["data"]
    assert deleted["is_deleted"] is True and deleted["archived_at"] > 0
    assert deleted["contacts"] and deleted["name"] == "ACME Probe Ltd"
    stored = await row(db, client["id"])
    assert stored["is_deleted"] is True and stored["deleted_at"] is not None
    shown = await show(api, client["id"])  # still readable
    assert shown["is_deleted"] is True
    assert await activity_types(db, client["id"]) == [1, 3]
    # deleting again changes nothing
    again = await api.delete(f"/api/v1/clients/{client['id']}")
    assert again.status_code == 200 and again.json()["data"]["archived_at"] == deleted["archived_at"]
    assert await activity_types(db, client["id"]) == [1, 3]


async def test_a_deleted_client_cannot_be_edited(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, name="Gone")
    await api.delete(f"/api/v1/clients/{client['id']}")
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"name": "Back"})
    assert r.status_code == 400
    assert r.json() == {
        "message": "Record is deleted and cannot be edited. Restore the record to enable editing",
        "errors": {},
    }
    assert (await row(db, client["id"]))["name"] == "Gone"
    # an archived one can be edited
    other = await create(api, name="Archived")
    await bulk(api, "archive", [other["id"]])
    r = await api.put(f"/api/v1/clients/{other['id']}", json={"name": "Still editable"})
    assert r.status_code == 200 and r.json()["data"]["archived_at"] > 0


async def test_bulk_archive_restore_delete(api: httpx.AsyncClient, db: Db) -> None:
    a, b, c = [await create(api, name=n) for n in ("A", "B", "C")]
    r = await bulk(api, "archive", [a["id"], b["id"]])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["id"] for x in body["data"]] == [a["id"], b["id"]]
    assert all(x["archived_at"] > 0 and x["is_deleted"] is False for x in body["data"])
    assert body["meta"]["pagination"]["total"] == 2
    assert (await row(db, a["id"]))["deleted_at"] is not None
    assert (await row(db, c["id"]))["deleted_at"] is None
    r = await bulk(api, "delete", [b["id"], c["id"]])
    assert all(x["is_deleted"] for x in r.json()["data"])
    assert (await row(db, c["id"]))["is_deleted"] is True
    r = await bulk(api, "restore", [a["id"], b["id"], c["id"]])
    assert all(x["is_deleted"] is False and x["archived_at"] == 0 for x in r.json()["data"])
    for x in (a, b, c):
        stored = await row(db, x["id"])
        assert stored["deleted_at"] is None and stored["is_deleted"] is False
    assert await activity_types(db, a["id"]) == [1, 2, 26]
    assert await activity_types(db, b["id"]) == [1, 2, 3, 26]
    assert await activity_types(db, c["id"]) == [1, 3, 26]


async def test_bulk_response_is_paginated(api: httpx.AsyncClient) -> None:
    made = [await create(api, name=f"Bulk {i:02}") for i in range(22)]
    r = await bulk(api, "archive", [m["id"] for m in made])
    body = r.json()
    assert len(body["data"]) == 20 and body["meta"]["pagination"]["total"] == 22
    r = await api.post("/api/v1/clients/bulk?per_page=50", json={"action": "restore", "ids": [m["id"] for m in made]})
    assert len(r.json()["data"]) == 22


async def test_bulk_assign_group(api: httpx.AsyncClient, db: Db) -> None:
    group = (await api.post("/api/v1/group_settings", json={"name": "Wholesale"})).json()["data"]
    a, b, c = [await create(api, name=n) for n in ("A", "B", "C")]
    r = await bulk(api, "assign_group", [a["id"], b["id"]], group_settings_id=group["id"])
    assert r.status_code == 200, r.text
    assert {x["group_settings_id"] for x in r.json()["data"]} == {group["id"]}
    assert (await row(db, a["id"]))["group_settings_id"] == pk(group["id"])
    assert (await row(db, c["id"]))["group_settings_id"] is None
    for bad in ("", "nope", ids.encode(987654), None):
        r = await bulk(api, "assign_group", [c["id"]], group_settings_id=bad)
        assert r.status_code == 422, bad
        assert "group_settings_id" in r.json()["errors"]
    assert (await row(db, c["id"]))["group_settings_id"] is None
    assert [x["name"] for x in (await listing(api, f"group={group['id']}"))["data"]] == ["A", "B"]


async def test_bulk_update(api: httpx.AsyncClient, db: Db) -> None:
    a, b, c = [await create(api, name=n) for n in ("A", "B", "C")]
    r = await bulk(api, "bulk_update", [a["id"], b["id"]], column="public_notes", new_value="Net 30 only")
    assert r.status_code == 200, r.text
    assert {x["public_notes"] for x in r.json()["data"]} == {"Net 30 only"}
    assert (await row(db, b["id"]))["public_notes"] == "Net 30 only"
    assert (await row(db, c["id"]))["public_notes"] == ""
    r = await bulk(api, "bulk_update", [a["id"]], column="country_id", new_value="276")
    assert r.status_code == 200 and r.json()["data"][0]["country_id"] == "276"
    assert (await row(db, a["id"]))["country_id"] == 276
    r = await bulk(api, "bulk_update", [a["id"]], column="custom_value3", new_value="tag")
    assert (await row(db, a["id"]))["custom_value3"] == "tag"
    for column, value in (
        ("name", "x"),
        ("balance", "100"),
        ("company_id", "1"),
        (None, "x"),
        ("country_id", "99999"),
        ("size_id", "abc"),
    ):
        r = await bulk(api, "bulk_update", [c["id"]], column=column, new_value=value)
        assert r.status_code == 422, (column, r.text)
    stored = await row(db, c["id"])
    assert stored["name"] == "C" and stored["balance"] == 0 and stored["country_id"] == 840


async def test_bulk_with_repeated_ids(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, name="Twice")
    r = await bulk(api, "archive", [client["id"], client["id"]])
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["data"]] == [client["id"]]
    assert (await row(db, client["id"]))["deleted_at"] is not None
    assert await activity_types(db, client["id"]) == [1, 2]


async def test_unique_indexes_back_the_checks(api: httpx.AsyncClient, db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    """When a concurrent request takes a number between the check and the write, the unique index answers
    and the client still gets the 422, not a 500 (simulated by switching the check off)."""
    from app.services.crm.clients import ClientService

    async def no_check(self: Any, who: Any, values: Any, current: Any) -> None:
        return None

    first = await create(api, name="First", number="N-1", id_number="ID-1")
    other = await create(api, name="Other")
    monkeypatch.setattr(ClientService, "_unique", no_check)
    for method, path in (("POST", "/api/v1/clients"), ("PUT", f"/api/v1/clients/{other['id']}")):
        for field, value in (("number", "N-1"), ("id_number", "ID-1")):
            r = await api.request(method, path, json={"name": "Racer", field: value})
            assert r.status_code == 422, r.text
            assert r.json()["errors"] == {field: [f"The {field.replace('_', ' ')} has already been taken."]}
    assert await db.fetchval("SELECT count(*) FROM clients") == 2
    assert (await row(db, other["id"]))["name"] == "Other"
    assert (await row(db, first["id"]))["number"] == "N-1"


async def test_bulk_validation(api: httpx.AsyncClient, db: Db) -> None:
    client = await create(api, name="Only")
    cases = [
        ({"ids": [client["id"]]}, "action"),
        ({"action": "explode", "ids": [client["id"]]}, "action"),
        ({"action": "archive"}, "ids"),
        ({"action": "archive", "ids": []}, "ids"),
        ({"action": "archive", "ids": "not-a-list"}, "ids"),
        ({"action": "archive", "ids": [1, 2]}, "ids"),
        ({"action": "archive", "ids": [client["id"], "bogus"]}, "ids"),
        ({"action": "archive", "ids": [client["id"], ids.encode(424242)]}, "ids"),
        ({"action": ["archive"], "ids": [client["id"]]}, "action"),
    ]
    for body, field in cases:
        r = await api.post("/api/v1/clients/bulk", json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["errors"], (body, r.json())
        assert r.json()["message"] == "The given data was invalid."
    stored = await row(db, client["id"])
    assert stored["deleted_at"] is None
    assert await activity_types(db, client["id"]) == [1]


# ---- list: filters, sorting, pagination ---------------------------------------------------------------


@pytest.fixture
async def clients(api: httpx.AsyncClient, db: Db) -> dict[str, dict[str, Any]]:
    """Alpha (active), Beta (archived), Gamma (deleted), Delta (active), with balances 50/150/250/100."""
    made = {
        "alpha": await create(
            api,
            name="Alpha Trading",
            id_number="ID-1",
            number="10",
            custom_value1="north",
            contacts=[{"first_name": "Wile", "last_name": "Coyote", "email": "wile@acme.test", "phone": "555-0199"}],
        ),
        "beta": await create(
            api,
            name="Beta 100% Corp",
            number="9",
            contacts=[{"first_name": "Road", "last_name": "Runner", "email": "road@runner.test"}],
        ),
        "gamma": await create(
            api,
            name="Gamma_Ltd",
            number="100",
            contacts=[{"first_name": "Bugs", "last_name": "Bunny", "email": "Bugs@Carrots.test"}],
        ),
        "delta": await create(
            api,
            name="Delta co",
            id_number="ID-4",
            number="2",
            contacts=[{"first_name": "Daffy", "email": "daffy@duck.test"}],
        ),
    }
    for key, balance in (("alpha", 50), ("beta", 150), ("gamma", 250), ("delta", 100)):
        await db.execute("UPDATE clients SET balance = $2 WHERE id = $1", pk(made[key]["id"]), balance)
    await db.execute(
        "UPDATE clients SET created_at = '2020-01-01', updated_at = '2020-01-02' WHERE id = $1", pk(made["alpha"]["id"])
    )
    await bulk(api, "archive", [made["beta"]["id"]])
    await bulk(api, "delete", [made["gamma"]["id"]])
    return made


ALL = ["Alpha Trading", "Beta 100% Corp", "Gamma_Ltd", "Delta co"]


async def test_list_returns_every_state_by_default(api: httpx.AsyncClient, clients: Any) -> None:
    body = await listing(api)
    assert [c["name"] for c in body["data"]] == ALL
    for client in body["data"]:
        assert_client_shape(client)
        assert len(client["contacts"]) == 1
    assert body["meta"]["pagination"] == {
        "total": 4,
        "count": 4,
        "per_page": 20,
        "current_page": 1,
        "total_pages": 1,
        "links": {},
    }


@pytest.mark.parametrize(
    "status,expected",
    [
        ("active", ["Alpha Trading", "Delta co"]),
        ("archived", ["Beta 100% Corp"]),
        ("deleted", ["Gamma_Ltd"]),
        ("active,archived", ["Alpha Trading", "Beta 100% Corp", "Delta co"]),
        ("archived,deleted", ["Beta 100% Corp", "Gamma_Ltd"]),
        ("active,deleted", ["Alpha Trading", "Gamma_Ltd", "Delta co"]),
        ("active,archived,deleted", ALL),
        ("", ALL),
        ("all", ALL),
        ("bogus", ALL),
        ("active,bogus", ["Alpha Trading", "Delta co"]),
        (" active , archived ", ["Alpha Trading", "Beta 100% Corp", "Delta co"]),
    ],
)
async def test_status_filter(api: httpx.AsyncClient, clients: Any, status: str, expected: list[str]) -> None:
    assert await names(api, f"status={status}") == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("alpha", ["Alpha Trading"]),  # name, case-insensitive
        ("ID-4", ["Delta co"]),  # id_number
        ("north", ["Alpha Trading"]),  # custom value
        ("coyote", ["Alpha Trading"]),  # contact last name
        ("Road", ["Beta 100% Corp"]),  # contact first name
        ("carrots.test", ["Gamma_Ltd"]),  # contact e-mail
        ("555-01", ["Alpha Trading"]),  # contact phone
        ("100", ["Beta 100% Corp", "Gamma_Ltd"]),  # name and number
        ("nothing matches", []),
        ("", ALL),
    ],
)
async def test_free_text_filter(api: httpx.AsyncClient, clients: Any, text: str, expected: list[str]) -> None:
    assert await names(api, f"filter={text}") == expected


async def test_free_text_filter_combines_with_status(api: httpx.AsyncClient, clients: Any) -> None:
    assert await names(api, "filter=a&status=active") == ["Alpha Trading", "Delta co"]
    assert await names(api, "filter=gamma&status=active") == []


async def test_field_filters(api: httpx.AsyncClient, clients: Any) -> None:
    alpha, delta = clients["alpha"], clients["delta"]
    cases = {
        "name=trad": ["Alpha Trading"],
        "name=dELTA": ["Delta co"],
        "email=wile@acme.test": ["Alpha Trading"],
        "email=BUGS@carrots.TEST": ["Gamma_Ltd"],
        "email=acme.test": [],  # exact, not LIKE
        "id_number=ID-1": ["Alpha Trading"],
        "id_number=ID": [],
        "number=9": ["Beta 100% Corp"],
        "number=1": [],
        "balance=100:gt": ["Beta 100% Corp", "Gamma_Ltd"],
        "balance=100:gte": ["Beta 100% Corp", "Gamma_Ltd", "Delta co"],
        "balance=100:lt": ["Alpha Trading"],
        "balance=100:lte": ["Alpha Trading", "Delta co"],
        "balance=100:eq": ["Delta co"],
        "balance=100:nope": ALL,  # unusable values are ignored
        "balance=abc:gt": ALL,
        "between_balance=60:200": ["Beta 100% Corp", "Delta co"],
        "between_balance=50:50": ["Alpha Trading"],
        "between_balance=x:y": ALL,
        f"client_id={alpha['id']}": ["Alpha Trading"],
        "client_id=garbage": [],
        f"client_id={ids.encode(999999)}": [],
        "created_at=2021-01-01": ["Beta 100% Corp", "Gamma_Ltd", "Delta co"],
        "created_at=1609459200": ["Beta 100% Corp", "Gamma_Ltd", "Delta co"],
        "created_at=not-a-date": ALL,
        "updated_at=2021-01-01": ["Beta 100% Corp", "Gamma_Ltd", "Delta co"],
        "is_deleted=1": ["Gamma_Ltd"],
        "is_deleted=true": ["Gamma_Ltd"],
        "is_deleted=0": ["Alpha Trading", "Beta 100% Corp", "Delta co"],
        "is_deleted=false": ["Alpha Trading", "Beta 100% Corp", "Delta co"],
        "name=a&balance=100:lte&status=active": ["Alpha Trading", "Delta co"],
        f"status=active&with={clients['beta']['id']}": ["Beta 100% Corp", "Alpha Trading", "Delta co"],
        f"filter=delta&with={alpha['id']}": ["Alpha Trading", "Delta co"],
        f"client_id={delta['id']}&status=active": ["Delta co"],
        "group=garbage": [],
    }
    for query, expected in cases.items():
        assert await names(api, query) == expected, query


async def test_group_filter(api: httpx.AsyncClient, clients: Any) -> None:
    group = (await api.post("/api/v1/group_settings", json={"name": "G"})).json()["data"]
    await api.put(f"/api/v1/clients/{clients['delta']['id']}", json={"group_settings_id": group["id"]})
    assert await names(api, f"group={group['id']}") == ["Delta co"]


@pytest.mark.parametrize(
    "sort,expected",
    [
        ("name|asc", ["Alpha Trading", "Beta 100% Corp", "Delta co", "Gamma_Ltd"]),
        ("name|desc", ["Gamma_Ltd", "Delta co", "Beta 100% Corp", "Alpha Trading"]),
        ("display_name|asc", ["Alpha Trading", "Beta 100% Corp", "Delta co", "Gamma_Ltd"]),
        ("balance|desc", ["Gamma_Ltd", "Beta 100% Corp", "Delta co", "Alpha Trading"]),
        ("balance|asc", ["Alpha Trading", "Delta co", "Beta 100% Corp", "Gamma_Ltd"]),
        ("number|asc", ["Delta co", "Beta 100% Corp", "Alpha Trading", "Gamma_Ltd"]),  # 2, 9, 10, 100
        ("number|desc", ["Gamma_Ltd", "Alpha Trading", "Beta 100% Corp", "Delta co"]),
        ("id|desc", ["Delta co", "Gamma_Ltd", "Beta 100% Corp", "Alpha Trading"]),
        ("id|sideways", ["Delta co", "Gamma_Ltd", "Beta 100% Corp", "Alpha Trading"]),  # not asc means desc
        ("created_at|asc", ["Alpha Trading", "Beta 100% Corp", "Gamma_Ltd", "Delta co"]),
        ("email|asc", ["Gamma_Ltd", "Delta co", "Beta 100% Corp", "Alpha Trading"]),
        ("nonexistent|desc", ALL),  # off the allow-list: default order, no error
        ("name", ALL),  # no direction: ignored
        ("password_hash|asc", ALL),
        ("name|asc|extra", ALL),
    ],
)
async def test_sort(api: httpx.AsyncClient, clients: Any, sort: str, expected: list[str]) -> None:
    assert await names(api, f"sort={sort}") == expected


async def test_sort_by_name_ignores_case(api: httpx.AsyncClient) -> None:
    for name in ("cherry", "apple", "Banana"):
        await create(api, name=name)
    assert await names(api, "sort=name|asc") == ["apple", "Banana", "cherry"]


async def test_pagination_meta_and_links(api: httpx.AsyncClient) -> None:
    for i in range(5):
        await create(api, name=f"Page {i}")
    body = await listing(api, "per_page=2&page=2&status=active&sort=name|asc")
    assert [c["name"] for c in body["data"]] == ["Page 2", "Page 3"]
    assert body["meta"]["pagination"] == {
        "total": 5,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 3,
        "links": {
            "previous": "http://testserver/api/v1/clients?page=1",
            "next": "http://testserver/api/v1/clients?page=3",
        },
    }
    first = (await listing(api, "per_page=2"))["meta"]["pagination"]
    assert first["links"] == {"next": "http://testserver/api/v1/clients?page=2"}
    last = (await listing(api, "per_page=2&page=3"))["meta"]["pagination"]
    assert last["count"] == 1 and last["links"] == {"previous": "http://testserver/api/v1/clients?page=2"}
    beyond = await listing(api, "per_page=2&page=7")
    assert beyond["data"] == []
    assert beyond["meta"]["pagination"] == {
        "total": 5,
        "count": 0,
        "per_page": 2,
        "current_page": 7,
        "total_pages": 3,
        "links": {"previous": "http://testserver/api/v1/clients?page=6"},
    }
    everything = (await listing(api, "per_page=5"))["meta"]["pagination"]
    assert everything["links"] == {} and everything["total_pages"] == 1


async def test_empty_list_has_meta(api: httpx.AsyncClient) -> None:
    body = await listing(api, "status=active&per_page=10&page=1&filter=&sort=id|desc&tag_ids=")
    assert body == {
        "data": [],
        "meta": {
            "pagination": {"total": 0, "count": 0, "per_page": 10, "current_page": 1, "total_pages": 1, "links": {}}
        },
    }


async def test_web_app_list_query(api: httpx.AsyncClient, clients: Any) -> None:
    body = await listing(api, "include=group_settings&sort=id|desc&tag_ids=&per_page=10&page=1&filter=&status=active")
    assert [c["name"] for c in body["data"]] == ["Delta co", "Alpha Trading"]
    for client in body["data"]:
        assert isinstance(client["contacts"], list) and isinstance(client["settings"]["currency_id"], str)
        assert "group_settings" not in client


async def test_page_undefined_is_page_one(api: httpx.AsyncClient, clients: Any) -> None:
    body = await listing(api, "per_page=1000&page=undefined&sort=id|asc&status=all")
    assert body["meta"]["pagination"]["current_page"] == 1 and len(body["data"]) == 4


# ---- activities ----------------------------------------------------------------------------------------


async def test_activities_have_upstream_type_ids(api: httpx.AsyncClient, db: Db, tenant_a: Any) -> None:
    client = await create(api, name="Tracked")
    await api.put(f"/api/v1/clients/{client['id']}", json={"name": "Tracked 2"})
    await bulk(api, "archive", [client["id"]])
    await bulk(api, "restore", [client["id"]])
    await api.delete(f"/api/v1/clients/{client['id']}")
    expected = [ACTIVITY_CREATE, ACTIVITY_UPDATE, ACTIVITY_ARCHIVE, ACTIVITY_RESTORE, ACTIVITY_DELETE]
    assert await activity_types(db, client["id"]) == [int(x) for x in expected]
    r = await api.get(f"/api/v1/activities?client_id={client['id']}")
    assert r.status_code == 200, r.text
    listed = r.json()["data"]
    assert [a["activity_type_id"] for a in listed] == list(reversed(expected))  # newest first
    for activity in listed:
        assert activity["client_id"] == client["id"] and activity["user_id"] == tenant_a.user_id
        assert None not in activity.values()
    included = (await show(api, client["id"], "activities"))["activities"]
    assert [a["id"] for a in included] == [a["id"] for a in listed]
    other = await create(api, name="Other")
    assert [
        a["activity_type_id"] for a in (await api.get(f"/api/v1/activities?client_id={other['id']}")).json()["data"]
    ] == [ACTIVITY_CREATE]
    assert (await api.get("/api/v1/activities")).json()["meta"]["pagination"]["total"] == 6


async def test_activities_are_read_only(api: httpx.AsyncClient) -> None:
    assert (await api.post("/api/v1/activities", json={"activity_type_id": 1})).status_code == 405


# ---- group settings --------------------------------------------------------------------------------------


async def test_group_settings_crud(api: httpx.AsyncClient, db: Db) -> None:
    r = await api.post("/api/v1/group_settings", json={"name": "Retail", "settings": {"currency_id": "2"}})
    assert r.status_code == 200, r.text
    group = r.json()["data"]
    assert group["name"] == "Retail" and group["settings"] == {"currency_id": "2"}
    assert group["documents"] == [] and group["archived_at"] == 0 and group["is_deleted"] is False
    assert None not in group.values()
    stored = await db.fetchrow("SELECT name, settings FROM group_settings WHERE id = $1", pk(group["id"]))
    assert stored["name"] == "Retail"
    r = await api.put(f"/api/v1/group_settings/{group['id']}", json={"name": "Retail EU"})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Retail EU"
    assert r.json()["data"]["settings"] == {"currency_id": "2"}
    listed = (await api.get("/api/v1/group_settings?status=active&per_page=20")).json()
    assert [g["name"] for g in listed["data"]] == ["Retail EU"] and listed["meta"]["pagination"]["total"] == 1
    assert (await api.get(f"/api/v1/group_settings/{group['id']}")).json()["data"]["name"] == "Retail EU"
    r = await api.delete(f"/api/v1/group_settings/{group['id']}")
    assert r.status_code == 200 and r.json()["data"]["is_deleted"] is True
    assert (await api.get("/api/v1/group_settings?status=active")).json()["data"] == []
    assert await db.fetchval("SELECT is_deleted FROM group_settings WHERE id = $1", pk(group["id"]))
    blank = (await api.get("/api/v1/group_settings/create")).json()["data"]
    assert blank["name"] == "" and blank["settings"] == {}


async def test_group_settings_on_clients(api: httpx.AsyncClient, db: Db) -> None:
    group = (await api.post("/api/v1/group_settings", json={"name": "Partners"})).json()["data"]
    client = await create(api, name="Partnered", group_settings_id=group["id"])
    assert client["group_settings_id"] == group["id"]
    assert (await row(db, client["id"]))["group_settings_id"] == pk(group["id"])
    listed = (await listing(api, "include=group_settings"))["data"][0]
    assert listed["group_settings"]["name"] == "Partners"
    for bad in ("nope", ids.encode(55555)):
        r = await api.post("/api/v1/clients", json={"name": "Bad group", "group_settings_id": bad})
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == {"group_settings_id": ["The selected group settings id is invalid."]}
    # a deleted group cannot be assigned any more
    await api.delete(f"/api/v1/group_settings/{group['id']}")
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"group_settings_id": group["id"]})
    assert r.status_code == 422
    # and "" unassigns
    r = await api.put(f"/api/v1/clients/{client['id']}", json={"group_settings_id": ""})
    assert r.status_code == 200 and r.json()["data"]["group_settings_id"] == ""
    assert await db.fetchval("SELECT count(*) FROM clients WHERE name = 'Bad group'") == 0
