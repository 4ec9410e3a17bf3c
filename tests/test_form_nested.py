"""Nested form bodies as the PHP SDK sends them, through every service that reads nested input: client
contacts and settings, invoice lines and invitations (totals as JSON's), payments applied to invoices and
credits (balances and ledger consistent), company settings; each stores what the same JSON body stores."""

from __future__ import annotations

from typing import Any

import pytest
from invariants import assert_invariants
from test_form_bodies import FORM, JSON_TYPE, as_json, http_build_query, post, stored
from test_registry_matrix import Company

from app import ids
from app.db import Db
from app.entities import REGISTRY


@pytest.fixture
def a(tenant_a: Any, db: Db) -> Company:
    return Company(tenant_a, db, "a")


async def test_client_with_contacts_and_settings(a: Company, db: Db) -> None:
    body = {
        "name": "Acme",
        "contacts": [
            {"first_name": "Ada", "email": "ada@example.test", "is_primary": True, "send_email": True},
            {"first_name": "Bob", "email": "bob@example.test", "send_email": False},
        ],
        "settings": {"currency_id": "2", "payment_terms": "7", "email_sending_method": "default"},
    }
    made = {}
    for form in (False, True):
        r = await post(a, "/api/v1/clients", body, form)
        assert r.status_code == 200, r.text
        made[form] = r.json()["data"]
    assert made[True]["settings"] == made[False]["settings"] and made[True]["settings"]["currency_id"] == "2"
    contacts = {}
    for form, client in made.items():
        rows = await db.fetch(
            "SELECT first_name, email, is_primary, send_email FROM client_contacts WHERE client_id = $1 ORDER BY id",
            ids.decode(client["id"]),
        )
        contacts[form] = [dict(x) for x in rows]
    assert contacts[True] == contacts[False]
    assert [c["email"] for c in contacts[True]] == ["ada@example.test", "bob@example.test"]
    assert [c["send_email"] for c in contacts[True]] == [True, False]
    client_entity = REGISTRY["client"]
    assert await stored(db, client_entity, ids.decode(made[True]["id"])) == await stored(
        db, client_entity, ids.decode(made[False]["id"])
    )


async def test_invoice_lines_total_as_json(a: Company, db: Db) -> None:
    r = await post(
        a,
        "/api/v1/clients",
        {"name": "Two contacts", "contacts": [{"email": "one@example.test"}, {"email": "two@example.test"}]},
        form=True,
    )
    client, contacts = r.json()["data"]["id"], [c["id"] for c in r.json()["data"]["contacts"]]
    r = await a.http.post(
        "/api/v1/invoices",
        content=f"client_id={client}&line_items[0][cost]=10&line_items[0][quantity]=2".encode(),
        headers=FORM,
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["amount"] == 20 and r.json()["data"]["line_items"][0]["line_total"] == 20
    body = {
        "client_id": client,
        "line_items": [
            {"cost": 10, "quantity": 2, "tax_name1": "VAT", "tax_rate1": "20", "notes": "First"},
            {"cost": "2.50", "quantity": "3", "discount": "10", "type_id": "2"},
        ],
        "discount": "5",
        "is_amount_discount": True,
        "uses_inclusive_taxes": False,
        "invitations": [{"client_contact_id": contacts[1]}],
    }
    made = {}
    for form in (False, True):
        r = await post(a, "/api/v1/invoices", body, form)
        assert r.status_code == 200, r.text
        made[form] = r.json()["data"]
    assert made[True]["amount"] == made[False]["amount"] and made[True]["line_items"] == made[False]["line_items"]
    assert made[True]["amount"] != 0
    for data in made.values():  # only the contact named in the body is invited
        invited = await db.fetch(
            "SELECT client_contact_id FROM invoice_invitations WHERE invoice_id = $1", ids.decode(data["id"])
        )
        assert [ids.encode(x["client_contact_id"]) for x in invited] == [contacts[1]]
    invoice = REGISTRY["invoice"]
    assert await stored(db, invoice, ids.decode(made[True]["id"])) == await stored(
        db, invoice, ids.decode(made[False]["id"])
    )


async def test_payment_applied_to_invoices_from_a_form(a: Company, db: Db) -> None:
    client = await a.client()
    invoices = []
    for _ in range(2):
        r = await post(
            a,
            "/api/v1/invoices?mark_sent=true",
            {"client_id": client, "line_items": [{"cost": 100, "quantity": 1}]},
            True,
        )
        assert r.status_code == 200 and r.json()["data"]["status_id"] == "2", r.text
        invoices.append(r.json()["data"]["id"])
    body = {
        "client_id": client,
        "amount": "150",
        "invoices": [{"invoice_id": invoices[0], "amount": "100"}, {"invoice_id": invoices[1], "amount": "50.00"}],
    }
    r = await post(a, "/api/v1/payments", body, form=True)
    assert r.status_code == 200, r.text
    payment = r.json()["data"]
    assert payment["amount"] == 150 and payment["applied"] == 150
    assert [p["amount"] for p in payment["paymentables"]] == [100, 50]
    balances = [(await a.http.get(f"/api/v1/invoices/{i}")).json()["data"]["balance"] for i in invoices]
    assert balances == [0, 50]
    await assert_invariants(db, a.company_id)


async def test_company_settings_from_a_form(tenant_a: Any, tenant_b: Any, db: Db) -> None:
    body = {
        "settings": {"name": "Same name", "currency_id": "2", "payment_terms": "14", "lock_invoices": "when_paid"},
        "update_products": False,
        "enabled_tax_rates": "2",
        "convert_products": True,
        "custom_fields": {"client1": "Region|North,South"},
    }
    rows = []
    for tenant, content, ctype in (
        (tenant_a, as_json(body), JSON_TYPE),
        (tenant_b, http_build_query(body), FORM),
    ):
        r = await tenant.http.put(f"/api/v1/companies/{tenant.company_id}", content=content, headers=ctype)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["settings"]["currency_id"] == "2"
        row = await db.fetchrow(
            "SELECT settings, attributes, custom_fields FROM companies WHERE id = $1", ids.decode(tenant.company_id)
        )
        rows.append(dict(row))
    assert rows[1] == rows[0]


async def test_credit_applied_from_a_form(a: Company, db: Db) -> None:
    client = await a.client()
    line = {"line_items": [{"cost": 100, "quantity": 1}], "client_id": client}
    r = await post(a, "/api/v1/invoices?mark_sent=true", line, form=True)
    invoice = r.json()["data"]["id"]
    r = await post(a, "/api/v1/credits", line, form=True)
    assert r.status_code == 200, r.text
    credit = r.json()["data"]["id"]
    assert (await a.http.get(f"/api/v1/credits/{credit}/mark_sent")).status_code == 200
    body = {
        "client_id": client,
        "invoices": [{"invoice_id": invoice, "amount": "100"}],
        "credits": [{"credit_id": credit, "amount": "100"}],
    }
    r = await post(a, "/api/v1/payments", body, form=True)
    assert r.status_code == 200, r.text
    assert {x.get("credit_id", "") for x in r.json()["data"]["paymentables"]} == {"", credit}
    assert (await a.http.get(f"/api/v1/invoices/{invoice}")).json()["data"]["balance"] == 0
    assert (await a.http.get(f"/api/v1/credits/{credit}")).json()["data"]["balance"] == 0
    await assert_invariants(db, a.company_id)
