"""Invoices end to end over REST: the web app's bodies, totals from the engine, numbering, invitations,
filters and sorts, tenant isolation and hostile input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from clock import company_today

from app import ids

BASE = "/api/v1/invoices"
UUID = "9b2f7d2e-55a3-4bd8-9d5e-0c1f0a6e0b11"


def web_line(**over: Any) -> dict[str, Any]:
    """A line item exactly as the web app sends it (client-computed totals included)."""
    line = {
        "_id": UUID,
        "quantity": 2,
        "cost": 25,
        "product_key": "",
        "product_cost": 0,
        "net_cost": 25,
        "notes": "Probe line item",
        "discount": 0,
        "is_amount_discount": False,
        "tax_name1": "",
        "tax_rate1": 0,
        "tax_name2": "",
        "tax_rate2": 0,
        "tax_name3": "",
        "tax_rate3": 0,
        "sort_id": 0,
        "line_total": 50,
        "tax_amount": 0,
        "gross_line_total": 50,
        "date": "",
        "custom_value1": "",
        "custom_value2": "",
        "custom_value3": "",
        "custom_value4": "",
        "type_id": "1",
        "tax_id": "1",
        "income_account_id": "",
    }
    line.update(over)
    return line


async def make_client(api: Any, name: str = "ACME", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "contacts": [{"first_name": "Wile", "email": f"{name.lower()}@example.test"}], **extra}
    r = await api.post("/api/v1/clients", json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def make_invoice(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"client_id": client_id, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def count(db: Any, table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))


# ---- create / blank / show -------------------------------------------------------------------------
async def test_blank_invoice_has_empty_client_and_lines(api):
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200, r.text
    blank = r.json()["data"]
    assert blank["client_id"] == "" and blank["line_items"] == []
    assert blank["invitations"] == [] and blank["documents"] == []
    assert blank["status_id"] == "1" and blank["entity_type"] == "invoice"
    assert blank["is_amount_discount"] is True and blank["exchange_rate"] == 1
    assert all(v is not None for v in blank.values() if v != blank["id"])
    assert blank["number"] == "" and blank["date"] == "" and blank["tax_info"] == {}


async def test_create_with_the_web_app_body(api, db):
    client = await make_client(api)
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    contact = client["contacts"][0]
    body = {
        **blank,
        "client_id": client["id"],
        "line_items": [web_line()],
        "invitations": [{"client_contact_id": contact["id"]}],
        # client-computed totals and a status must be ignored
        "amount": 999,
        "balance": 999,
        "paid_to_date": 5,
        "total_taxes": 7,
        "status_id": "4",
    }
    r = await api.post(f"{BASE}?", json=body)
    assert r.status_code == 200, r.text
    inv = r.json()["data"]
    assert inv["client_id"] == client["id"] and inv["number"] == "0001"
    assert inv["amount"] == 50 and inv["balance"] == 0 and inv["paid_to_date"] == 0 and inv["total_taxes"] == 0
    assert inv["status_id"] == "1" and inv["entity_type"] == "invoice"
    assert inv["date"] == company_today().isoformat() and inv["due_date"] == ""
    assert inv["has_tasks"] is False and inv["has_expenses"] is False
    assert inv["tax_info"] == {} and inv["e_invoice"] == {}
    for key in ("project_id", "vendor_id", "design_id", "recurring_id", "subscription_id", "assigned_user_id"):
        assert inv[key] == ""
    for key, value in inv.items():
        assert value is not None, key
    line = inv["line_items"][0]
    assert line["line_total"] == 50 and line["gross_line_total"] == 50 and line["tax_amount"] == 0
    assert line["is_amount_discount"] is True and line["sort_id"] == "0" and line["unit_code"] == "C62"
    assert line["quantity"] == 2 and line["cost"] == 25 and line["type_id"] == "1" and line["tax_id"] == "1"
    assert "_id" not in line and "net_cost" not in line
    invitations = inv["invitations"]
    assert len(invitations) == 1 and invitations[0]["client_contact_id"] == contact["id"]
    key = invitations[0]["key"]
    assert len(key) == 32 and invitations[0]["link"] == f"http://testserver/client/invoice/{key}"
    assert invitations[0]["sent_date"] == "" and invitations[0]["archived_at"] == 0
    assert inv["documents"] == []
    activity = await db.fetchrow(
        "SELECT activity_type_id, client_id FROM activities WHERE invoice_id = $1", ids.decode(inv["id"])
    )
    assert activity["activity_type_id"] == 4 and activity["client_id"] == ids.decode(client["id"])

    r = await api.get(f"{BASE}/{inv['id']}?include=client,activities")
    assert r.status_code == 200, r.text
    shown = r.json()["data"]
    assert shown["client"]["id"] == client["id"] and shown["client"]["name"] == "ACME"
    assert shown["client"]["contacts"][0]["id"] == contact["id"]
    assert [a["activity_type_id"] for a in shown["activities"]] == ["4"]


async def test_invitations_default_to_contacts_receiving_email(api):
    client = await make_client(
        api,
        contacts=[
            {"first_name": "A", "email": "a@x.test"},
            {"first_name": "B", "email": "b@x.test", "send_email": False},
            {"first_name": "C", "email": "c@x.test"},
        ],
    )
    inv = await make_invoice(api, client["id"])
    by_id = {c["id"]: c for c in client["contacts"]}
    invited = {i["client_contact_id"] for i in inv["invitations"]}
    assert invited == {cid for cid, c in by_id.items() if c["send_email"]} and len(invited) == 2


async def test_invitations_follow_the_list_sent_on_update(api):
    client = await make_client(
        api, contacts=[{"first_name": "A", "email": "a@x.test"}, {"first_name": "B", "email": "b@x.test"}]
    )
    a, b = (c["id"] for c in client["contacts"])
    inv = await make_invoice(api, client["id"], invitations=[{"client_contact_id": a}])
    assert [i["client_contact_id"] for i in inv["invitations"]] == [a]
    key_a = inv["invitations"][0]["key"]
    r = await api.put(f"{BASE}/{inv['id']}", json={"invitations": [*inv["invitations"], {"client_contact_id": b}]})
    assert r.status_code == 200, r.text
    after = r.json()["data"]["invitations"]
    assert [(i["client_contact_id"], i["key"] == key_a) for i in after] == [(a, True), (b, False)]
    r = await api.put(f"{BASE}/{inv['id']}", json={"invitations": [{"client_contact_id": b}]})
    assert [i["client_contact_id"] for i in r.json()["data"]["invitations"]] == [b]
    r = await api.put(f"{BASE}/{inv['id']}", json={"po_number": "no invitations key"})
    assert [i["client_contact_id"] for i in r.json()["data"]["invitations"]] == [b]
    r = await api.put(f"{BASE}/{inv['id']}", json={"invitations": [{"client_contact_id": b}] * 501})
    assert r.status_code == 422 and "invitations" in r.json()["errors"]
    r = await api.put(f"{BASE}/{inv['id']}", json={"invitations": [{"client_contact_id": "nonsense"}, "x"]})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"invitations.0.client_contact_id", "invitations.1.client_contact_id"}


async def test_upstream_example_invoice_taxes_on_subtotal(api):
    client = await make_client(api)
    inv = await make_invoice(
        api,
        client["id"],
        line_items=[{"quantity": 1, "cost": 10}, {"quantity": 1, "cost": 10}],
        tax_name1="GST",
        tax_rate1=10,
        tax_name2="GST",
        tax_rate2=10,
    )
    assert inv["amount"] == 24 and inv["total_taxes"] == 4
    inv = await make_invoice(
        api,
        client["id"],
        tax_name1="GST",
        tax_rate1=10,
        tax_name2="GST",
        tax_rate2=10,
        line_items=[
            {"quantity": 1, "cost": 10, "tax_name1": "10", "tax_rate1": 10},
            {"quantity": 1, "cost": 10, "tax_name1": "10", "tax_rate1": 10},
        ],
        is_amount_discount=False,
    )
    assert inv["amount"] == 26


async def test_upstream_example_amount_discount_spread(api):
    client = await make_client(api)
    inv = await make_invoice(
        api,
        client["id"],
        discount=14191,
        is_amount_discount=True,
        line_items=[
            {"quantity": 1, "cost": 8000, "tax_name1": "CA", "tax_rate1": 5},
            {"quantity": 1, "cost": 9500, "tax_name1": "CA", "tax_rate1": 5},
        ],
    )
    assert inv["amount"] == 3474.45 and inv["total_taxes"] == 165.45
    assert [li["tax_amount"] for li in inv["line_items"]] == [75.63, 89.82]
    assert [li["gross_line_total"] for li in inv["line_items"]] == [8075.63, 9589.82]


async def test_update_recomputes_and_keeps_lines(api, db):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 3, "cost": "1.5"}])
    assert inv["amount"] == 4.5
    r = await api.put(f"{BASE}/{inv['id']}", json={"tax_name1": "VAT", "tax_rate1": 20, "amount": 1})
    assert r.status_code == 200, r.text
    updated = r.json()["data"]
    assert updated["amount"] == 5.4 and updated["line_items"][0]["line_total"] == 4.5
    assert updated["number"] == inv["number"]
    r = await api.put(
        f"{BASE}/{inv['id']}", json={**updated, "line_items": [web_line(quantity=1, cost=7)], "number": ""}
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["amount"] == 8.4 and r.json()["data"]["number"] == inv["number"]
    types = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE invoice_id = $1 ORDER BY id", ids.decode(inv["id"])
        )
    ]
    assert types == [4, 5, 5]


async def test_inclusive_taxes_follow_client_setting(api):
    client = await make_client(api, settings={"inclusive_taxes": True, "currency_id": "1"})
    inv = await make_invoice(
        api, client["id"], line_items=[{"quantity": 1, "cost": 110}], tax_name1="VAT", tax_rate1=10
    )
    assert inv["uses_inclusive_taxes"] is True and inv["amount"] == 110 and inv["total_taxes"] == 10


async def test_currency_precision_from_client(api):
    client = await make_client(api, settings={"currency_id": "45"})  # Japanese Yen: precision 0
    from app import reference

    assert reference.CURRENCIES["45"]["precision"] == 0
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": "100.4"}])
    assert inv["amount"] == 100


UPSTREAM_KEYS = {
    "id",
    "user_id",
    "project_id",
    "assigned_user_id",
    "client_id",
    "vendor_id",
    "design_id",
    "recurring_id",
    "subscription_id",
    "amount",
    "balance",
    "paid_to_date",
    "discount",
    "partial",
    "total_taxes",
    "exchange_rate",
    "tax_rate1",
    "tax_rate2",
    "tax_rate3",
    "custom_surcharge1",
    "custom_surcharge2",
    "custom_surcharge3",
    "custom_surcharge4",
    "status_id",
    "number",
    "po_number",
    "terms",
    "public_notes",
    "private_notes",
    "footer",
    "tax_name1",
    "tax_name2",
    "tax_name3",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "date",
    "due_date",
    "partial_due_date",
    "last_sent_date",
    "next_send_date",
    "reminder1_sent",
    "reminder2_sent",
    "reminder3_sent",
    "reminder_last_sent",
    "uses_inclusive_taxes",
    "is_amount_discount",
    "is_deleted",
    "auto_bill_enabled",
    "custom_surcharge_tax1",
    "custom_surcharge_tax2",
    "custom_surcharge_tax3",
    "custom_surcharge_tax4",
    "has_tasks",
    "has_expenses",
    "line_items",
    "entity_type",
    "tax_info",
    "e_invoice",
    "created_at",
    "updated_at",
    "archived_at",
    "invitations",
    "documents",
}


async def test_shape_and_types(api):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 3}])
    assert set(inv) == UPSTREAM_KEYS
    for key in ("amount", "balance", "discount", "exchange_rate", "tax_rate1", "custom_surcharge1"):
        assert isinstance(inv[key], (int, float)) and not isinstance(inv[key], bool), key
    for key in ("status_id", "number", "date", "next_send_date", "reminder1_sent", "client_id", "project_id"):
        assert isinstance(inv[key], str), key
    for key in ("created_at", "updated_at", "archived_at"):
        assert isinstance(inv[key], int), key
    assert set(inv["invitations"][0]) == {
        "id",
        "client_contact_id",
        "key",
        "link",
        "sent_date",
        "viewed_date",
        "opened_date",
        "email_status",
        "email_error",
        "message_id",
        "created_at",
        "updated_at",
        "archived_at",
    }
    assert set(inv["line_items"][0]) == {
        "quantity",
        "cost",
        "product_key",
        "product_cost",
        "notes",
        "discount",
        "is_amount_discount",
        "tax_name1",
        "tax_rate1",
        "tax_name2",
        "tax_rate2",
        "tax_name3",
        "tax_rate3",
        "sort_id",
        "line_total",
        "gross_line_total",
        "tax_amount",
        "date",
        "custom_value1",
        "custom_value2",
        "custom_value3",
        "custom_value4",
        "type_id",
        "tax_id",
        "task_id",
        "expense_id",
        "unit_code",
    }
    # the editor's call: unknown includes are ignored, the client resolves fully
    r = await api.get(
        f"{BASE}/{inv['id']}?include=paymentables,payments,client.group_settings&show_schedule=true&is_locked=true"
    )
    assert r.status_code == 200 and r.json()["data"]["client"]["id"] == client["id"]


async def test_line_item_defaults(api):
    client = await make_client(api)
    inv = await make_invoice(
        api,
        client["id"],
        line_items=[{}, {"type_id": "2", "tax_id": "", "quantity": "", "cost": None, "sort_id": 3, "custom_value1": 7}],
    )
    first, second = inv["line_items"]
    assert first["quantity"] == 0 and first["type_id"] == "1" and first["tax_id"] == "1" and first["notes"] == ""
    assert second["type_id"] == "2" and second["tax_id"] == "2" and second["sort_id"] == "3"
    assert second["custom_value1"] == "7" and second["quantity"] == 0 and second["cost"] == 0


async def test_partial_rules(api):
    client = await make_client(api, settings={"payment_terms": "14", "currency_id": "1"})
    lines = [{"quantity": 1, "cost": 100}]
    r = await api.post(
        BASE,
        json={
            "client_id": client["id"],
            "line_items": lines,
            "partial": 10,
            "date": "2024-01-10",
            "partial_due_date": "2024-01-09",
        },
    )
    assert r.status_code == 422 and "partial_due_date" in r.json()["errors"]
    r = await api.post(
        BASE,
        json={
            "client_id": client["id"],
            "line_items": lines,
            "partial": 10,
            "date": "2024-01-10",
            "due_date": "2024-01-12",
            "partial_due_date": "2024-01-12",
        },
    )
    assert r.status_code == 422 and "partial_due_date" in r.json()["errors"]
    inv = await make_invoice(
        api, client["id"], line_items=lines, partial=10, date="2024-01-10", partial_due_date="2024-01-11"
    )
    assert inv["due_date"] == "2024-01-24" and inv["partial"] == 10
    r = await api.put(f"{BASE}/{inv['id']}", json={"partial": 0})
    assert r.json()["data"]["partial_due_date"] == "" and r.json()["data"]["partial"] == 0


async def test_rappen_rounding(api):
    client = await make_client(api, settings={"enable_rappen_rounding": True, "currency_id": "1"})
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": "10.03"}])
    assert inv["amount"] == 10.05


async def test_saving_a_sent_invoice_moves_the_client_balance(api, db):
    client = await make_client(api)
    client_id = ids.decode(client["id"])
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 100}])
    await _set(db, inv, status_id=2, balance=100)
    await db.execute("UPDATE clients SET balance = 100 WHERE id = $1", client_id)
    r = await api.put(f"{BASE}/{inv['id']}", json={"line_items": [{"quantity": 1, "cost": 150}]})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["amount"], r.json()["data"]["balance"], r.json()["data"]["status_id"]) == (150, 150, "2")
    assert await db.fetchval("SELECT balance FROM clients WHERE id = $1", client_id) == 150
    row = await db.fetchrow(
        "SELECT adjustment, balance, notes, activity_id, ledgerable_type FROM company_ledgers WHERE client_id = $1",
        client_id,
    )
    assert (row["adjustment"], row["balance"], row["activity_id"], row["ledgerable_type"]) == (50, 150, 5, "invoice")
    assert row["notes"] == f"Update Adjustment Invoice # {inv['number']} => 50"
    # something was paid: balance = amount - paid_to_date, status follows the balance
    await _set(db, inv, status_id=3, balance=110, paid_to_date=40)
    await db.execute("UPDATE clients SET balance = 110 WHERE id = $1", client_id)
    r = await api.put(f"{BASE}/{inv['id']}", json={"line_items": [{"quantity": 1, "cost": 120}]})
    assert (r.json()["data"]["balance"], r.json()["data"]["status_id"]) == (80, "3")
    r = await api.put(f"{BASE}/{inv['id']}", json={"line_items": [{"quantity": 1, "cost": 40}]})
    assert (r.json()["data"]["balance"], r.json()["data"]["status_id"]) == (0, "4")
    assert await db.fetchval("SELECT balance FROM clients WHERE id = $1", client_id) == 0
    r = await api.put(f"{BASE}/{inv['id']}", json={"po_number": "unchanged totals"})
    assert await db.fetchval("SELECT count(*) FROM company_ledgers WHERE client_id = $1", client_id) == 3
    # drafts never touch the client
    draft = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 5}])
    await api.put(f"{BASE}/{draft['id']}", json={"line_items": [{"quantity": 1, "cost": 7}]})
    assert await db.fetchval("SELECT balance FROM clients WHERE id = $1", client_id) == 0


# ---- client_id rules -------------------------------------------------------------------------------
async def test_client_id_required_and_immutable(api, db):
    r = await api.post(BASE, json={"line_items": []})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    first, second = await make_client(api, "First"), await make_client(api, "Second")
    inv = await make_invoice(api, first["id"])
    r = await api.put(f"{BASE}/{inv['id']}", json={"client_id": second["id"]})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    r = await api.put(f"{BASE}/{inv['id']}", json={"client_id": first["id"], "po_number": "PO-1"})
    assert r.status_code == 200 and r.json()["data"]["po_number"] == "PO-1"
    r = await api.put(f"{BASE}/{inv['id']}", json={"status_id": "5"})
    assert r.status_code == 422 and "status_id" in r.json()["errors"]


async def test_protected_fields_are_ignored(api, db, tenant_b):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 10}])
    body = {
        "balance": 1,
        "paid_to_date": 2,
        "amount": 3,
        "total_taxes": 4,
        "status_id": "2",
        "company_id": tenant_b.company_id,
        "user_id": tenant_b.user_id,
        "is_deleted": True,
        "created_at": 1,
        "updated_at": 1,
        "archived_at": 5,
        "id": ids.encode(10**6),
        "hashed_id": "x",
        "entity_type": "quote",
        "custom_surcharge_tax1": True,
        "has_tasks": True,
        "last_sent_date": "2024-01-01",
    }
    r = await api.put(f"{BASE}/{inv['id']}", json=body)
    assert r.status_code == 200, r.text
    after = r.json()["data"]
    for key in (
        "balance",
        "paid_to_date",
        "amount",
        "total_taxes",
        "status_id",
        "user_id",
        "is_deleted",
        "created_at",
        "archived_at",
        "id",
        "entity_type",
        "custom_surcharge_tax1",
        "has_tasks",
        "last_sent_date",
    ):
        assert after[key] == inv[key], key
    assert (
        await db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", ids.decode(tenant_b.company_id)) == 0
    )


@pytest.mark.parametrize(
    "mode, status, locked",
    [
        ("off", 2, False),
        ("when_sent", 1, False),
        ("when_sent", 2, True),
        ("when_paid", 2, False),
        ("when_paid", 4, True),
        ("end_of_month", 2, True),
        ("end_of_month", 1, False),
    ],
)
async def test_lock_invoices(api, db, mode, status, locked):
    company = await db.fetchval("SELECT id FROM companies")
    r = await api.put(f"/api/v1/companies/{ids.encode(company)}", json={"settings": {"lock_invoices": mode}})
    assert r.status_code == 200, r.text
    client = await make_client(api)
    inv = await make_invoice(api, client["id"], date="2024-01-15")
    await _set(db, inv, status_id=status)
    r = await api.put(f"{BASE}/{inv['id']}", json={"po_number": "changed"})
    if locked:
        assert r.status_code == 422 and r.json()["errors"]["number"] == [
            "This invoice is locked and unable to be modified."
        ]
    else:
        assert r.status_code == 200, r.text


# ---- numbering -------------------------------------------------------------------------------------
async def test_numbering_and_duplicates(api, db):
    client = await make_client(api)
    a = await make_invoice(api, client["id"])
    b = await make_invoice(api, client["id"])
    assert (a["number"], b["number"]) == ("0001", "0002")
    before = await count(db, "invoices")
    r = await api.post(BASE, json={"client_id": client["id"], "number": "0001"})
    assert r.status_code == 422 and r.json()["errors"]["number"] == ["The number has already been taken."]
    assert await count(db, "invoices") == before
    r = await api.put(f"{BASE}/{b['id']}", json={"number": "0001"})
    assert r.status_code == 422 and r.json()["errors"]["number"] == ["The number has already been taken."]
    custom = await make_invoice(api, client["id"], number="0003")
    assert custom["number"] == "0003"
    assert (await make_invoice(api, client["id"]))["number"] == "0004"  # taken numbers are skipped


# ---- list, filters, sorts --------------------------------------------------------------------------
async def _set(db: Any, invoice: dict[str, Any], **cols: Any) -> None:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(cols, start=2))
    await db.execute(f"UPDATE invoices SET {sets} WHERE id = $1", ids.decode(invoice["id"]), *cols.values())


async def listed(api: Any, query: str) -> list[str]:
    r = await api.get(f"{BASE}?{query}")
    assert r.status_code == 200, r.text
    return [row["number"] for row in r.json()["data"]]


async def test_filters(api, db):
    today = company_today()
    acme, zeta = await make_client(api, "Acme"), await make_client(api, "Zeta")
    draft = await make_invoice(api, acme["id"], line_items=[{"quantity": 1, "cost": 10}], po_number="PO-77")
    sent = await make_invoice(
        api, acme["id"], line_items=[{"quantity": 1, "cost": 20}], due_date=(today + timedelta(days=10)).isoformat()
    )
    late = await make_invoice(
        api,
        zeta["id"],
        line_items=[{"quantity": 1, "cost": 30}],
        date=(today - timedelta(days=40)).isoformat(),
        due_date=(today - timedelta(days=10)).isoformat(),
        custom_value2="blue",
    )
    paid = await make_invoice(api, zeta["id"], line_items=[{"quantity": 1, "cost": 40}])
    cancelled = await make_invoice(api, zeta["id"], line_items=[{"quantity": 1, "cost": 50}])
    await _set(db, sent, status_id=2, balance=20)
    await _set(db, late, status_id=3, balance=15)
    await _set(db, paid, status_id=4, paid_to_date=40)
    await _set(db, cancelled, status_id=5)
    n = {k: v["number"] for k, v in dict(draft=draft, sent=sent, late=late, paid=paid, cancelled=cancelled).items()}

    assert await listed(api, "sort=id|asc") == [n["draft"], n["sent"], n["late"], n["paid"], n["cancelled"]]
    assert await listed(api, "client_status=draft") == [n["draft"]]
    assert await listed(api, "client_status=paid,cancelled&sort=id|asc") == [n["paid"], n["cancelled"]]
    assert await listed(api, "client_status=unpaid&sort=id|asc") == [n["sent"], n["late"]]
    assert await listed(api, "client_status=overdue") == [n["late"]]
    assert len(await listed(api, "client_status=all")) == 5
    assert len(await listed(api, "client_status=bogus")) == 5
    assert await listed(api, "status_id=1,4&sort=id|asc") == [n["draft"], n["paid"]]
    assert await listed(api, f"number={n['late']}") == [n["late"]]
    assert await listed(api, f"client_id={zeta['id']}&sort=id|asc") == [n["late"], n["paid"], n["cancelled"]]
    assert await listed(api, "client_id=nonsense") == []
    start, end = (today - timedelta(days=41)).isoformat(), (today - timedelta(days=39)).isoformat()
    assert await listed(api, f"date_range={start},{end}") == [n["late"]]
    assert len(await listed(api, "date_range=garbage")) == 5
    start, end = today.isoformat(), (today + timedelta(days=30)).isoformat()
    assert await listed(api, f"due_date_range={start},{end}") == [n["sent"]]
    assert await listed(api, "upcoming=true") == [n["sent"]]
    assert await listed(api, "overdue=true") == [n["late"]]
    assert await listed(api, f"payable={zeta['id']}") == [n["late"]]
    assert await listed(api, f"payable={acme['id']}") == [n["sent"]]
    assert await listed(api, "filter=PO-77") == [n["draft"]]
    assert await listed(api, "filter=blue") == [n["late"]]
    assert await listed(api, "filter=zeta&sort=id|asc") == [n["late"], n["paid"], n["cancelled"]]
    assert await listed(api, "filter=acme@example&sort=id|asc") == [n["draft"], n["sent"]]
    assert len(await listed(api, "created_at=2000-01-01")) == 5
    assert await listed(api, f"updated_at={int(__import__('time').time()) + 3600}") == []
    await api.delete(f"{BASE}/{paid['id']}")
    n["paid"] += "_Deleted"
    assert await listed(api, "is_deleted=true") == [n["paid"]]
    assert await listed(api, "status=deleted") == [n["paid"]]
    assert len(await listed(api, "status=active")) == 4
    await api.post("/api/v1/clients/bulk", json={"action": "delete", "ids": [acme["id"]]})
    assert await listed(api, "without_deleted_clients=true&sort=id|asc") == [n["late"], n["paid"], n["cancelled"]]
    assert await listed(api, "without_deleted_clients=false&sort=id|asc") == [
        n["draft"],
        n["sent"],
        n["late"],
        n["paid"],
        n["cancelled"],
    ]


async def test_sorts(api, db):
    acme, zeta = await make_client(api, "Acme"), await make_client(api, "Zeta")
    a = await make_invoice(
        api, zeta["id"], number="9", line_items=[{"quantity": 1, "cost": 30}], date="2024-03-01", due_date="2024-04-01"
    )
    await make_invoice(
        api, acme["id"], number="10", line_items=[{"quantity": 1, "cost": 10}], date="2024-01-01", due_date="2024-05-01"
    )
    await make_invoice(
        api,
        acme["id"],
        number="INV-2",
        line_items=[{"quantity": 1, "cost": 20}],
        date="2024-02-01",
        due_date="2024-03-01",
    )
    await _set(db, a, status_id=2, balance=30)
    assert await listed(api, "sort=number|asc") == ["INV-2", "9", "10"]
    assert await listed(api, "sort=number|desc") == ["10", "9", "INV-2"]
    assert await listed(api, "sort=date|asc") == ["10", "INV-2", "9"]
    assert await listed(api, "sort=due_date|desc") == ["10", "9", "INV-2"]
    assert await listed(api, "sort=amount|desc") == ["9", "INV-2", "10"]
    assert await listed(api, "sort=balance|desc") == ["9", "INV-2", "10"]
    assert await listed(api, "sort=status_id|desc") == ["9", "INV-2", "10"]
    assert await listed(api, "sort=client_id|asc") == ["10", "INV-2", "9"]
    assert await listed(api, "sort=id|desc") == ["INV-2", "10", "9"]
    assert await listed(api, "sort=created_at|asc") == ["9", "10", "INV-2"]
    assert await listed(api, "sort=updated_at|asc") == ["9", "10", "INV-2"]
    assert (await listed(api, "sort=bogus|asc")) == ["9", "10", "INV-2"]


async def test_web_app_list_call(api):
    client = await make_client(api)
    await make_invoice(api, client["id"], line_items=[web_line()])
    r = await api.get(
        f"{BASE}?include=client.group_settings,project&without_deleted_clients=true&sort=id|desc"
        "&tag_ids=&per_page=10&page=1&filter=&status=active"
    )
    assert r.status_code == 200, r.text
    body = r.json()
    row = body["data"][0]
    assert row["client"]["display_name"] == "ACME" and row["amount"] == 50
    assert body["meta"]["pagination"]["total"] == 1


# ---- bulk and activities ---------------------------------------------------------------------------
async def test_archive_restore_delete_activities(api, db):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"])
    for action in ("archive", "restore", "delete"):
        r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [inv["id"]]})
        assert r.status_code == 200, r.text
    shown = (await api.get(f"{BASE}/{inv['id']}")).json()["data"]
    assert shown["is_deleted"] is True and shown["archived_at"] > 0
    types = [
        r["activity_type_id"]
        for r in await db.fetch(
            "SELECT activity_type_id FROM activities WHERE invoice_id = $1 ORDER BY id", ids.decode(inv["id"])
        )
    ]
    assert types == [4, 8, 25, 9]
    r = await api.put(f"{BASE}/{inv['id']}", json={"po_number": "x"})
    assert r.status_code == 400


async def test_delete_frees_the_number_and_restore_takes_it_back(api):
    client = await make_client(api)
    first = await make_invoice(api, client["id"])
    r = await api.delete(f"{BASE}/{first['id']}")
    assert r.status_code == 200 and r.json()["data"]["number"] == "0001_Deleted"
    second = await make_invoice(api, client["id"], number="0001")
    await api.delete(f"{BASE}/{second['id']}")
    assert (await api.get(f"{BASE}/{second['id']}")).json()["data"]["number"] == "0001_Deleted_1"
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [first["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["number"] == "0001"
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [second["id"]]})
    assert r.json()["data"][0]["number"] == "0002"  # its old number is in use again: a fresh one
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [first["id"], second["id"]]})
    assert sorted(row["number"] for row in r.json()["data"]) == ["0001_Deleted", "0002_Deleted"]


# ---- tenant isolation ------------------------------------------------------------------------------
async def test_tenant_isolation(api, api_b, db, tenant_b):
    mine = await make_client(api)
    theirs = await make_client(api_b, "Other")
    their_invoice = await make_invoice(api_b, theirs["id"], line_items=[{"quantity": 1, "cost": 5}])
    missing = ids.encode(10**9)
    for invoice_id in (their_invoice["id"], missing):
        for method, extra in (("get", {}), ("put", {"json": {"po_number": "x"}}), ("delete", {})):
            r = await getattr(api, method)(f"{BASE}/{invoice_id}", **extra)
            assert r.status_code == 404 and r.json() == {"message": "Invoice not found", "errors": {}}
    assert await listed(api, "") == []
    before = (await count(db, "invoices"), await count(db, "invoice_invitations"), await count(db, "activities"))
    r = await api.post(BASE, json={"client_id": theirs["id"], "line_items": [{"quantity": 1, "cost": 1}]})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    r = await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [their_invoice["id"]]})
    assert r.status_code == 422
    r = await api.post(BASE, json={"client_id": mine["id"], "assigned_user_id": tenant_b.user_id})
    assert r.status_code == 422 and "assigned_user_id" in r.json()["errors"]
    mine_inv = await make_invoice(api, mine["id"])
    r = await api.put(f"{BASE}/{mine_inv['id']}", json={"client_id": theirs["id"]})
    assert r.status_code == 422
    their_contact = theirs["contacts"][0]["id"]
    r = await api.put(f"{BASE}/{mine_inv['id']}", json={"invitations": [{"client_contact_id": their_contact}]})
    assert r.status_code == 422 and "invitations.0.client_contact_id" in r.json()["errors"]
    after = (await count(db, "invoices"), await count(db, "invoice_invitations"), await count(db, "activities"))
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)  # only mine_inv was written
    r = await api_b.get(f"{BASE}/{their_invoice['id']}")
    assert r.json()["data"]["po_number"] == "" and r.json()["data"]["archived_at"] == 0
    # links to entities that do not exist yet are read-only: a foreign id is ignored, never stored
    probe = {f: their_invoice["id"] for f in ("vendor_id", "design_id", "recurring_id", "subscription_id")}
    r = await api.put(f"{BASE}/{mine_inv['id']}", json=probe)
    assert r.status_code == 200 and all(r.json()["data"][f] == "" for f in probe)
    their_project = await api_b.post("/api/v1/projects", json={"name": "Theirs", "client_id": theirs["id"]})
    r = await api.put(f"{BASE}/{mine_inv['id']}", json={"project_id": their_project.json()["data"]["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"project_id": ["The selected project id is invalid."]}


# ---- hostile input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, field",
    [
        ({"quantity": "NaN", "cost": 1}, "line_items.0.quantity"),
        ({"quantity": 1, "cost": "Infinity"}, "line_items.0.cost"),
        ({"quantity": 1, "cost": "-inf"}, "line_items.0.cost"),
        ({"quantity": 1, "cost": 10**20}, "line_items.0.cost"),
        ({"quantity": 1e15, "cost": 1}, "line_items.0.quantity"),
        ({"quantity": 10**13, "cost": 10**13}, "line_items.0.cost"),
        ({"quantity": "abc"}, "line_items.0.quantity"),
        ({"quantity": True}, "line_items.0.quantity"),
        ({"notes": {"x": 1}}, "line_items.0.notes"),
        ({"notes": "a\x00b"}, "line_items.0.notes"),
        ({"type_id": "99"}, "line_items.0.type_id"),
        ({"tax_id": "x"}, "line_items.0.tax_id"),
        ("not an object", "line_items.0"),
    ],
)
async def test_hostile_line_items(api, db, line, field):
    client = await make_client(api)
    before = (await count(db, "invoices"), await db.fetchval("SELECT settings FROM companies"))
    r = await api.post(BASE, json={"client_id": client["id"], "line_items": [line]})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"], r.json()
    assert (await count(db, "invoices"), await db.fetchval("SELECT settings FROM companies")) == before


async def test_hostile_documents(api, db):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 1}])
    before = await count(db, "invoices")
    raw = '{{"client_id": "{}", "discount": NaN}}'.format(client["id"])
    r = await api.post(BASE, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    cases = [
        {"line_items": [{"quantity": 1, "cost": 1}] * 501},
        {"line_items": "many"},
        {"discount": "1e400"},
        {"tax_rate1": 10**15},
        {"partial": -1},
        {"custom_surcharge1": "Infinity"},
        {"line_items": [{"quantity": 1, "cost": 6 * 10**13}] * 2},
        {"date": "2024-13-45"},
        {"exchange_rate": "NaN"},
        {
            "uses_inclusive_taxes": True,
            "tax_name1": "VAT",
            "tax_rate1": -100,
            "line_items": [{"quantity": 1, "cost": 1}],
        },
        {
            "is_amount_discount": False,
            "discount": 10**13,
            "tax_name1": "VAT",
            "tax_rate1": 10**13,
            "line_items": [{"quantity": 1, "cost": 1}],
        },
    ]
    for body in cases:
        r = await api.post(BASE, json={"client_id": client["id"], **body})
        assert r.status_code == 422, (body, r.text)
        r = await api.put(f"{BASE}/{inv['id']}", json=body)
        assert r.status_code == 422, (body, r.text)
    assert await count(db, "invoices") == before
    shown = (await api.get(f"{BASE}/{inv['id']}")).json()["data"]
    assert shown["amount"] == 1 and len(shown["line_items"]) == 1
    ok = await make_invoice(api, client["id"], line_items=[{"quantity": 1, "cost": 1}] * 500)
    assert ok["amount"] == 500 and len(ok["line_items"]) == 500


# ---- GraphQL: the same service and values ----------------------------------------------------------
async def test_graphql_create_and_list(api):
    client = await make_client(api)
    query = (
        "mutation($input: JSON!) { createInvoice(input: $input) { id number amount statusId lineItems "
        "invitations { key link } client { name } } }"
    )
    r = await api.post(
        "/graphql",
        json={
            "query": query,
            "variables": {
                "input": {"client_id": client["id"], "amount": 5, "line_items": [{"quantity": 2, "cost": 21}]}
            },
        },
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    made = r.json()["data"]["createInvoice"]
    assert made["amount"] == 42 and made["statusId"] == "1" and made["number"] == "0001"
    assert made["lineItems"][0]["line_total"] == 42 and made["client"]["name"] == "ACME"
    assert made["invitations"][0]["link"].endswith(made["invitations"][0]["key"])
    r = await api.post(
        "/graphql", json={"query": '{ invoices(clientStatus: "draft") { items { id amount } pagination { total } } }'}
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert r.json()["data"]["invoices"]["items"] == [{"id": made["id"], "amount": 42}]
    rest = (await api.get(f"{BASE}/{made['id']}")).json()["data"]
    assert rest["amount"] == 42 and rest["line_items"] == made["lineItems"]


async def test_document_upload_on_an_invoice(api):
    client = await make_client(api)
    inv = await make_invoice(api, client["id"])
    pdf = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    r = await api.put(f"{BASE}/{inv['id']}/upload", files=[("documents[]", ("terms.pdf", pdf, "application/pdf"))])
    assert r.status_code == 200, r.text
    docs = r.json()["data"]["documents"]
    assert [d["name"] for d in docs] == ["terms.pdf"] and docs[0]["link"] == f"/invoices/{inv['id']}/edit"
    r = await api.get(f"/api/v1/documents?client_id={client['id']}")
    assert [d["name"] for d in r.json()["data"]] == ["terms.pdf"]


async def test_product_lines_update_or_create_products(api, db):
    client = await make_client(api)
    await make_invoice(
        api,
        client["id"],
        line_items=[
            web_line(product_key="WIDGET", notes="A widget", cost=12, quantity=3, custom_value1="x"),
            web_line(product_key="", notes="no key"),
            web_line(product_key="HOURS", type_id="2"),
        ],
    )
    products = (await api.get("/api/v1/products")).json()["data"]
    assert [(p["product_key"], p["notes"], p["price"], p["quantity"], p["custom_value1"]) for p in products] == [
        ("WIDGET", "A widget", 12, 3, "x")
    ]
    await make_invoice(api, client["id"], line_items=[web_line(product_key="WIDGET", notes="New", cost=15, quantity=9)])
    products = (await api.get("/api/v1/products")).json()["data"]
    assert [(p["notes"], p["price"], p["quantity"], p["custom_value1"]) for p in products] == [("New", 15, 3, "x")]
    await api.put(
        f"/api/v1/companies/{ids.encode(await db.fetchval('SELECT id FROM companies'))}",
        json={"update_products": False},
    )
    await make_invoice(api, client["id"], line_items=[web_line(product_key="OTHER")])
    assert len((await api.get("/api/v1/products")).json()["data"]) == 1


async def test_list_is_one_statement_whatever_the_page(api, db):
    client = await make_client(api)
    for _ in range(6):
        await make_invoice(api, client["id"], line_items=[web_line()])
    before = db.queries
    r = await api.get(f"{BASE}?include=client.group_settings,activities&per_page=6")
    assert r.status_code == 200 and len(r.json()["data"]) == 6
    page_cost = db.queries - before
    await make_invoice(api, client["id"])
    before = db.queries
    await api.get(f"{BASE}?include=client.group_settings,activities&per_page=7")
    assert db.queries - before == page_cost
