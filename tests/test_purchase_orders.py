"""Purchase orders end to end over REST: the invoice's engine with the vendor as the party (same totals,
the purchase order counter, invitations to vendor contacts, the vendor's currency), the lifecycle (mark_sent,
accept, cancel, expense, add_to_inventory, email), filters, sorts, includes, bulk, activities, tenancy
inside bodies and paths, and that no client balance, paid_to_date or ledger row ever moves."""

from __future__ import annotations

import asyncio
from typing import Any

from clock import company_today
from invariants import assert_invariants
from live_server import Session, codes
from test_invoices import make_client
from test_quotes import set_company
from test_vendors import make_vendor

from app import ids

BASE = "/api/v1/purchase_orders"
PO_KEYS = {
    "id",
    "user_id",
    "project_id",
    "assigned_user_id",
    "vendor_id",
    "client_id",
    "design_id",
    "subscription_id",
    "expense_id",
    "amount",
    "balance",
    "discount",
    "tax_rate1",
    "tax_rate2",
    "tax_rate3",
    "total_taxes",
    "partial",
    "custom_surcharge1",
    "custom_surcharge2",
    "custom_surcharge3",
    "custom_surcharge4",
    "exchange_rate",
    "paid_to_date",
    "is_deleted",
    "uses_inclusive_taxes",
    "is_amount_discount",
    "has_tasks",
    "has_expenses",
    "custom_surcharge_tax1",
    "custom_surcharge_tax2",
    "custom_surcharge_tax3",
    "custom_surcharge_tax4",
    "status_id",
    "number",
    "po_number",
    "date",
    "last_sent_date",
    "next_send_date",
    "reminder1_sent",
    "reminder2_sent",
    "reminder3_sent",
    "reminder_last_sent",
    "due_date",
    "terms",
    "public_notes",
    "private_notes",
    "tax_name1",
    "tax_name2",
    "tax_name3",
    "footer",
    "partial_due_date",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "currency_id",
    "created_at",
    "updated_at",
    "archived_at",
    "line_items",
    "entity_type",
    "tax_info",
    "e_invoice",
    "invitations",
    "documents",
}
INVITATION_KEYS = {
    "id",
    "vendor_contact_id",
    "key",
    "link",
    "sent_date",
    "viewed_date",
    "opened_date",
    "updated_at",
    "archived_at",
    "created_at",
    "email_status",
    "email_error",
    "message_id",
}
LINES = [{"product_key": "BOLT", "notes": "steel", "quantity": 3, "cost": 10}, {"quantity": 1, "cost": 5}]


async def vendor(api: Any, **body: Any) -> dict[str, Any]:
    contacts = [{"first_name": "Vic", "email": "vic@example.test", "send_email": True}]
    return await make_vendor(api, contacts=contacts, **body)


async def make_po(api: Any, vendor_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"vendor_id": vendor_id, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def act(api: Any, po: dict[str, Any], action: str, status: int = 200) -> dict[str, Any]:
    r = await api.get(f"{BASE}/{po['id']}/{action}")
    assert r.status_code == status, r.text
    return dict(r.json())


async def activity_types(db: Any, po: dict[str, Any]) -> list[int]:
    rows = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE purchase_order_id = $1 ORDER BY id", ids.decode(po["id"])
    )
    return [r["activity_type_id"] for r in rows]


async def test_blank_create_shape_totals_and_invitations(api, db):
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200, r.text
    blank = r.json()["data"]
    assert set(blank) == PO_KEYS and blank["status_id"] == "1" and blank["entity_type"] == "purchaseOrder"
    await set_company(api, db, purchase_order_terms="Net 30", purchase_order_footer="Thanks")
    v = await vendor(api, currency_id="3", public_notes="Deliver to dock 4")
    po = await make_po(api, v["id"], line_items=LINES, tax_name1="VAT", tax_rate1=10, amount=1, status_id="4")
    assert set(po) == PO_KEYS
    for key, value in po.items():
        assert value is not None, key
    assert (po["amount"], po["total_taxes"], po["balance"], po["status_id"]) == (38.5, 3.5, 0, "1")
    assert po["number"] == "0001" and po["currency_id"] == "3" and po["vendor_id"] == v["id"]
    assert (po["terms"], po["footer"], po["public_notes"]) == ("Net 30", "Thanks", "Deliver to dock 4")
    assert po["date"] == company_today().isoformat() and po["client_id"] == "" and po["expense_id"] == ""
    (inv,) = po["invitations"]
    assert set(inv) == INVITATION_KEYS and inv["vendor_contact_id"] == v["contacts"][0]["id"]
    assert inv["link"].endswith(f"/vendor/purchase_order/{inv['key']}")
    assert await activity_types(db, po) == [130]
    row = await db.fetchrow("SELECT vendor_id, client_id FROM activities WHERE activity_type_id = 130")
    assert row["vendor_id"] == ids.decode(v["id"]) and row["client_id"] is None
    r = await api.put(f"{BASE}/{po['id']}", json={"line_items": [{"quantity": 2, "cost": 2}], "po_number": "X"})
    assert r.status_code == 200 and r.json()["data"]["amount"] == 4.4 and r.json()["data"]["po_number"] == "X"
    assert await activity_types(db, po) == [130, 131]


async def test_vendor_required_and_validated(api, api_b, db):
    r = await api.post(BASE, json={"line_items": LINES})
    assert r.status_code == 422 and r.json()["errors"] == {"vendor_id": ["The vendor id field is required."]}
    theirs = await vendor(api_b)
    missing = {"vendor_id": ids.encode(10**9)}
    answers = []
    for body in (missing, {"vendor_id": theirs["id"]}):
        r = await api.post(BASE, json=body)
        answers.append((r.status_code, r.json()))
    assert answers[0] == answers[1] and answers[0][0] == 422
    assert answers[0][1]["errors"] == {"vendor_id": ["The selected vendor id is invalid."]}
    mine = await vendor(api)
    deleted = await vendor(api, name="Gone")
    await api.post("/api/v1/vendors/bulk", json={"action": "delete", "ids": [deleted["id"]]})
    r = await api.post(BASE, json={"vendor_id": deleted["id"]})
    assert r.status_code == 422 and "vendor_id" in r.json()["errors"]
    po = await make_po(api, mine["id"])
    r = await api.put(f"{BASE}/{po['id']}", json={"vendor_id": (await vendor(api, name="Other"))["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"vendor_id": ["The vendor id cannot be changed."]}
    r = await api.put(f"{BASE}/{po['id']}", json={"invitations": [{"vendor_contact_id": theirs["contacts"][0]["id"]}]})
    assert r.status_code == 422 and "invitations.0.vendor_contact_id" in r.json()["errors"]
    r = await api.put(f"{BASE}/{po['id']}", json={"client_id": (await make_client(api_b, "Foreign"))["id"]})
    assert r.status_code == 422 and "client_id" in r.json()["errors"]
    assert await db.fetchval("SELECT count(*) FROM purchase_orders") == 1


async def test_numbering_with_the_purchase_order_counter(api, db):
    await set_company(api, db, purchase_order_number_pattern="PO-{$counter}", purchase_order_number_counter=5)
    v = await vendor(api)
    a, b = await make_po(api, v["id"]), await make_po(api, v["id"])
    assert (a["number"], b["number"]) == ("PO-0005", "PO-0006")
    r = await api.post(BASE, json={"vendor_id": v["id"], "number": "PO-0005"})
    assert r.status_code == 422 and r.json()["errors"] == {"number": ["The number has already been taken."]}
    invoice = (await api.post("/api/v1/invoices", json={"client_id": (await make_client(api))["id"]})).json()
    assert invoice["data"]["number"] == "0001"  # the invoice counter is its own
    await set_company(api, db, counter_number_applied="when_sent")
    c = await make_po(api, v["id"])
    assert c["number"] == ""
    assert (await act(api, c, "mark_sent"))["data"]["number"] == "PO-0007"


async def test_lifecycle_mark_sent_accept_cancel_email(api, db):
    v = await vendor(api)
    po = await make_po(api, v["id"], line_items=LINES)
    sent = (await act(api, po, "mark_sent"))["data"]
    assert sent["status_id"] == "2" and sent["balance"] == 35 and sent["invitations"][0]["sent_date"] != ""
    accepted = (await act(api, po, "accept"))["data"]
    assert accepted["status_id"] == "3"
    assert (await act(api, po, "cancel"))["data"]["status_id"] == "3"  # only draft or sent orders cancel
    other = await make_po(api, v["id"])
    assert (await act(api, other, "cancel"))["data"]["status_id"] == "5"
    assert (await act(api, other, "accept"))["data"]["status_id"] == "5"
    third = await make_po(api, v["id"], line_items=LINES)
    assert await act(api, third, "email") == {
        "message": "Marked as sent. No e-mail was sent: this server does not send mail yet."
    }
    shown = (await api.get(f"{BASE}/{third['id']}")).json()["data"]
    assert shown["status_id"] == "2" and shown["last_sent_date"] == company_today().isoformat()
    contact = ids.decode(v["contacts"][0]["id"])
    emailed = await db.fetch("SELECT vendor_contact_id FROM activities WHERE activity_type_id = 135")
    assert [r["vendor_contact_id"] for r in emailed] == [contact]
    assert await activity_types(db, po) == [130, 137]
    r = await api.get(f"{BASE}/{po['id']}/download")
    assert r.status_code == 400 and r.json()["message"] == "The requested action download is not available."
    r = await api.get(f"{BASE}/{po['id']}/explode")
    assert r.status_code == 400 and r.json() == {
        "message": "The requested action explode is not available.",
        "errors": {},
    }


async def test_expense_conversion_once(api, db):
    v = await vendor(api, currency_id="2")
    po = await make_po(api, v["id"], line_items=LINES, tax_name1="VAT", tax_rate1=10)
    converted = (await act(api, po, "expense"))["data"]
    assert converted["status_id"] == "2" and converted["expense_id"] != ""
    exp = await db.fetchrow("SELECT * FROM expenses")
    assert exp["id"] == ids.decode(converted["expense_id"]) and exp["purchase_order_id"] == ids.decode(po["id"])
    assert exp["vendor_id"] == ids.decode(v["id"]) and exp["currency_id"] == 2
    assert (exp["amount"], exp["tax_amount1"], exp["tax_name1"]) == (35, 3.5, "Tax")
    assert exp["public_notes"] == "3 x BOLT [ steel ]\n1 x  [  ]" and exp["date"] == company_today()
    assert exp["private_notes"] == f"Purchase Order # {converted['number']}" and exp["number"] == "0001"
    r = await api.get(f"{BASE}/{po['id']}/expense")
    assert r.status_code == 400 and r.json()["message"] == "Already converted to an expense."
    r = await api.post(f"{BASE}/bulk", json={"action": "expense", "ids": [po["id"]]})
    assert r.status_code == 200
    assert await db.fetchval("SELECT count(*) FROM expenses") == 1
    r = await api.get(f"{BASE}/{po['id']}?include=expense,vendor")
    data = r.json()["data"]
    assert data["expense"]["id"] == converted["expense_id"] and data["vendor"]["name"] == v["name"]
    inclusive = await make_po(api, v["id"], line_items=LINES, tax_rate1=10, tax_name1="VAT", uses_inclusive_taxes=True)
    await act(api, inclusive, "expense")
    amount = await db.fetchval("SELECT amount FROM expenses WHERE purchase_order_id = $1", ids.decode(inclusive["id"]))
    assert amount == 35  # inclusive taxes: the whole amount


async def test_add_to_inventory(api, db):
    v = await vendor(api)
    r = await api.post("/api/v1/products", json={"product_key": "BOLT", "in_stock_quantity": 10})
    assert r.status_code == 200, r.text
    product = r.json()["data"]
    po = await make_po(api, v["id"], line_items=[*LINES, {"product_key": "NUT", "quantity": 2.4, "cost": 1}])
    # without track_inventory: received, stock unchanged
    assert (await act(api, po, "add_to_inventory"))["data"]["status_id"] == "4"
    assert await db.fetchval("SELECT in_stock_quantity FROM products WHERE product_key = 'BOLT'") == 10
    await db.execute("UPDATE companies SET attributes = attributes || '{\"track_inventory\": true}'")
    second = await make_po(api, v["id"], line_items=[*LINES, {"product_key": "NUT", "quantity": 2.4, "cost": 1.5}])
    assert (await act(api, second, "add_to_inventory"))["data"]["status_id"] == "4"
    assert (await act(api, second, "add_to_inventory"))["data"]["status_id"] == "4"  # received once
    r = await api.post(f"{BASE}/bulk", json={"action": "add_to_inventory", "ids": [second["id"], po["id"]]})
    assert r.status_code == 200
    stock = dict(await db.fetch("SELECT product_key, in_stock_quantity FROM products ORDER BY id"))
    assert stock == {"BOLT": 13, "NUT": 2}
    nut = await db.fetchrow("SELECT price, notes FROM products WHERE product_key = 'NUT'")
    assert (
        nut["price"] == 1.5
        and (await api.get(f"/api/v1/products/{product['id']}")).json()["data"]["in_stock_quantity"] == 13
    )
    cancelled = await make_po(api, v["id"], line_items=LINES)
    await act(api, cancelled, "cancel")
    assert (await act(api, cancelled, "add_to_inventory"))["data"]["status_id"] == "5"
    assert await db.fetchval("SELECT in_stock_quantity FROM products WHERE product_key = 'BOLT'") == 13


async def test_never_touches_client_money(api, db, tenant_a):
    client = await make_client(api)
    r = await api.post("/api/v1/invoices?mark_sent=true", json={"client_id": client["id"], "line_items": LINES})
    assert r.status_code == 200
    before = await db.fetchrow("SELECT balance, paid_to_date, credit_balance FROM clients")
    ledger = await db.fetchval("SELECT count(*) FROM company_ledgers")
    v = await vendor(api)
    po = await make_po(api, v["id"], client_id=client["id"], line_items=LINES)
    assert po["client_id"] == client["id"]
    for action in ("mark_sent", "accept", "expense", "add_to_inventory", "email"):
        await act(api, po, action)
    r = await api.put(f"{BASE}/{po['id']}", json={"line_items": [{"quantity": 9, "cost": 9}]})
    assert r.status_code == 200
    for action in ("archive", "restore", "delete", "restore"):
        await api.post(f"{BASE}/bulk", json={"action": action, "ids": [po["id"]]})
    assert await db.fetchrow("SELECT balance, paid_to_date, credit_balance FROM clients") == before
    assert await db.fetchval("SELECT count(*) FROM company_ledgers") == ledger
    await assert_invariants(db, tenant_a.company_id)


async def test_filters_sorts_includes_and_bulk(api, db):
    a_vendor, z_vendor = await vendor(api, name="Acme Parts"), await vendor(api, name="Zed Supply")
    draft = await make_po(api, a_vendor["id"], custom_value1="blue")
    sent = await make_po(api, z_vendor["id"], line_items=LINES)
    await act(api, sent, "mark_sent")
    accepted = await make_po(api, a_vendor["id"])
    await act(api, accepted, "accept")
    cancelled = await make_po(api, z_vendor["id"])
    await act(api, cancelled, "cancel")

    async def listed(query: str) -> list[str]:
        r = await api.get(f"{BASE}?{query}")
        assert r.status_code == 200, r.text
        return [p["id"] for p in r.json()["data"]]

    assert await listed("client_status=draft") == [draft["id"]]
    assert await listed("client_status=sent") == [sent["id"]]
    assert await listed("client_status=accepted,cancelled") == [accepted["id"], cancelled["id"]]
    assert len(await listed("client_status=all")) == 4
    assert await listed("status_id=3") == [accepted["id"]]
    assert await listed(f"vendor_id={a_vendor['id']}") == [draft["id"], accepted["id"]]
    assert await listed("filter=zed") == [sent["id"], cancelled["id"]]
    assert await listed("filter=blue") == [draft["id"]]
    assert await listed(f"number={sent['number']}") == [sent["id"]]
    assert set((await listed("sort=vendor_id|desc"))[:2]) == {sent["id"], cancelled["id"]}
    assert (await listed("sort=amount|desc"))[0] == sent["id"]
    assert (await listed("sort=amount|asc"))[-1] == sent["id"]
    r = await api.get(f"{BASE}?include=vendor,activities,expense")
    assert r.status_code == 200
    rows = r.json()["data"]
    assert {p["vendor"]["name"] for p in rows} == {"Acme Parts", "Zed Supply"} and rows[0]["activities"]
    r = await api.post(f"{BASE}/bulk", json={"action": "mark_sent", "ids": [draft["id"], cancelled["id"]]})
    assert r.status_code == 200 and [p["status_id"] for p in r.json()["data"]] == ["2", "5"]
    r = await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [draft["id"]]})
    assert r.json()["data"][0]["archived_at"] > 0 and await activity_types(db, draft) == [130, 132]
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [draft["id"]]})
    r = await api.put(f"{BASE}/{draft['id']}", json={"po_number": "x"})
    assert r.status_code == 400
    r = await api.post(f"{BASE}/bulk", json={"action": "explode", "ids": [draft["id"]]})
    assert r.status_code == 422
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [draft["id"]]})
    assert await activity_types(db, draft) == [130, 132, 133, 134]


async def test_other_companies_orders_are_missing(api, api_b, db, tenant_b):
    theirs = await make_po(api_b, (await vendor(api_b))["id"], line_items=LINES)
    snapshot = await db.fetchrow("SELECT * FROM purchase_orders WHERE id = $1", ids.decode(theirs["id"]))
    for po_id in (theirs["id"], ids.encode(10**9)):
        for method, path, extra in (
            ("get", "", {}),
            ("put", "", {"json": {"po_number": "x"}}),
            ("delete", "", {}),
            ("get", "/edit", {}),
            ("get", "/mark_sent", {}),
            ("get", "/expense", {}),
            ("get", "/add_to_inventory", {}),
            ("get", "/bogus", {}),
        ):
            r = await getattr(api, method)(f"{BASE}/{po_id}{path}", **extra)
            assert r.status_code == 404 and r.json() == {"message": "Purchase order not found", "errors": {}}, path
        for action in ("archive", "expense", "mark_sent"):
            r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [po_id]})
            assert r.status_code == 422 and "ids" in r.json()["errors"]
    r = await api.get(f"{BASE}?vendor_id={theirs['vendor_id']}")
    assert r.json()["data"] == []
    assert await db.fetchrow("SELECT * FROM purchase_orders WHERE id = $1", ids.decode(theirs["id"])) == snapshot
    assert await db.fetchval("SELECT count(*) FROM expenses") == 0


# ---- races, against the live server (committed transactions really interleave) --------------------
async def test_racing_conversions_make_one_expense_and_stock_rises_once(live):
    async with Session(live) as s:
        company = ids.decode(s.company_id)
        r = await s.http.post("/api/v1/vendors", json={"name": "Racer", "contacts": [{"first_name": "R"}]})
        vendor_id = r.json()["data"]["id"]

        async def order() -> str:
            r = await s.http.post(BASE, json={"vendor_id": vendor_id, "line_items": LINES})
            assert r.status_code == 200, r.text
            return str(r.json()["data"]["id"])

        single, bulk = await order(), await order()
        responses = await asyncio.gather(*(s.http.get(f"{BASE}/{single}/expense") for _ in range(10)))
        assert codes(responses) == [200] + [400] * 9
        assert {r.json()["message"] for r in responses if r.status_code == 400} == {"Already converted to an expense."}
        responses = await asyncio.gather(
            *(s.http.post(f"{BASE}/bulk", json={"action": "expense", "ids": [bulk]}) for _ in range(10))
        )
        assert codes(responses) == [200] * 10
        rows = await s.db.fetch(
            "SELECT purchase_order_id, number FROM expenses WHERE company_id = $1 ORDER BY id", company
        )
        assert sorted(r["purchase_order_id"] for r in rows) == sorted([ids.decode(single), ids.decode(bulk)])
        assert len({r["number"] for r in rows}) == 2
        linked = await s.db.fetch(
            "SELECT p.id FROM purchase_orders p JOIN expenses e ON e.company_id = p.company_id "
            "AND e.id = p.expense_id AND e.purchase_order_id = p.id WHERE p.company_id = $1",
            company,
        )
        assert len(linked) == 2
        await s.db.execute(
            "UPDATE companies SET attributes = attributes || '{\"track_inventory\": true}' WHERE id = $1", company
        )
        received = await order()
        responses = await asyncio.gather(*(s.http.get(f"{BASE}/{received}/add_to_inventory") for _ in range(10)))
        assert codes(responses) == [200] * 10
        stock = await s.db.fetchval(
            "SELECT in_stock_quantity FROM products WHERE company_id = $1 AND product_key = 'BOLT'", company
        )
        assert stock == 3
        await assert_invariants(s.db, s.company_id)


async def test_saving_what_the_web_app_sends_back(api, db):
    """The web app PUTs the whole order it was given (status_id included) and may create with ?mark_sent."""
    v = await vendor(api)
    r = await api.post(f"{BASE}?mark_sent=true", json={"vendor_id": v["id"], "line_items": LINES})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "2" and r.json()["data"]["balance"] == 35
    po = await make_po(api, v["id"], line_items=LINES)
    cancelled = (await act(api, po, "cancel"))["data"]
    r = await api.put(f"{BASE}/{po['id']}", json={**cancelled, "po_number": "kept"})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["status_id"], r.json()["data"]["po_number"]) == ("5", "kept")
    r = await api.put(f"{BASE}/{po['id']}", json={"status_id": "1"})
    assert r.status_code == 200 and r.json()["data"]["status_id"] == "5"  # statuses move by actions only


async def test_graphql_purchase_orders(api):
    v = await vendor(api, name="Graph Parts")
    query = """mutation($input: JSON!) { createPurchaseOrder(input: $input, markSent: true) { id statusId amount
        vendor { name } invitations { vendorContactId } } }"""
    r = await api.post(
        "/graphql", json={"query": query, "variables": {"input": {"vendor_id": v["id"], "line_items": LINES}}}
    )
    made = r.json()["data"]["createPurchaseOrder"]
    assert (made["statusId"], made["amount"], made["vendor"]["name"]) == ("2", 35, "Graph Parts")
    assert made["invitations"] == [{"vendorContactId": v["contacts"][0]["id"]}]
    r = await api.post("/graphql", json={"query": f'{{ purchaseOrders(vendorId: "{v["id"]}") {{ items {{ id }} }} }}'})
    assert r.json()["data"]["purchaseOrders"]["items"] == [{"id": made["id"]}]


async def test_a_removed_vendor_contact_loses_its_invitations(api, db):
    v = await vendor(api)
    po = await make_po(api, v["id"], line_items=LINES)
    old = po["invitations"][0]
    r = await api.put(
        f"/api/v1/vendors/{v['id']}", json={"contacts": [{"first_name": "New", "email": "n@example.test"}]}
    )
    new_contact = r.json()["data"]["contacts"][0]["id"]
    (invitation,) = (await api.get(f"{BASE}/{po['id']}")).json()["data"]["invitations"]
    assert invitation["vendor_contact_id"] == new_contact and invitation["key"] != old["key"]
    assert len(invitation["key"]) == 32


async def test_hostile_input_changes_nothing(api, db):
    v = await vendor(api)
    for body in (
        {"vendor_id": "garbage"},
        {"vendor_id": 12},
        {"vendor_id": v["id"], "line_items": "lots"},
        {"vendor_id": v["id"], "line_items": [{"quantity": 1, "cost": 10**15}]},
        {"vendor_id": v["id"], "invitations": [{"vendor_contact_id": "nope"}]},
        {"vendor_id": v["id"], "date": "yesterday"},
    ):
        r = await api.post(BASE, json=body)
        assert r.status_code == 422, (body, r.text)
    assert await db.fetchval("SELECT count(*) FROM purchase_orders") == 0
    await db.execute("UPDATE companies SET attributes = attributes || '{\"track_inventory\": true}'")
    r = await api.post("/api/v1/products", json={"product_key": "BOLT", "in_stock_quantity": 2147483000})
    assert r.status_code == 200, r.text
    po = await make_po(api, v["id"], line_items=LINES)
    r = await api.get(f"{BASE}/{po['id']}/add_to_inventory")
    assert r.status_code == 200  # 2147483003 still fits
    po = await make_po(api, v["id"], line_items=[{"product_key": "BOLT", "quantity": 1000, "cost": 1}])
    r = await api.get(f"{BASE}/{po['id']}/add_to_inventory")
    assert r.status_code == 422 and "line_items" in r.json()["errors"], r.text
    assert await db.fetchval("SELECT in_stock_quantity FROM products WHERE product_key = 'BOLT'") == 2147483003
    assert (await api.get(f"{BASE}/{po['id']}")).json()["data"]["status_id"] == "1"
