"""Subscriptions over REST: upstream's SubscriptionTransformer fields (hashed product id lists, webhook
configuration, purchase page), the price from the invoice engine, the validation (unique names, product ids,
frequency, steps, webhook configuration), activities 80..84, and ids inside the body tenant-checked."""

from __future__ import annotations

from typing import Any

from test_invoices import make_client, make_invoice
from test_registry_matrix import company_snapshot

from app import ids

BASE = "/api/v1/subscriptions"
KEYS = {
    "id",
    "user_id",
    "group_id",
    "assigned_user_id",
    "company_id",
    "product_ids",
    "recurring_product_ids",
    "optional_product_ids",
    "optional_recurring_product_ids",
    "name",
    "frequency_id",
    "auto_bill",
    "promo_code",
    "currency_id",
    "price",
    "promo_price",
    "promo_discount",
    "is_amount_discount",
    "allow_cancellation",
    "per_seat_enabled",
    "max_seats_limit",
    "trial_enabled",
    "trial_duration",
    "allow_query_overrides",
    "allow_plan_changes",
    "refund_period",
    "webhook_configuration",
    "purchase_page",
    "plan_map",
    "steps",
    "registration_required",
    "use_inventory_management",
    "is_deleted",
    "created_at",
    "updated_at",
    "archived_at",
}


async def product(api: Any, key: str, price: float, tax: float = 0) -> str:
    r = await api.post(
        "/api/v1/products", json={"product_key": key, "price": price, "tax_name1": "VAT", "tax_rate1": tax}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["id"])


def errors(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 422, r.text
    return dict(r.json()["errors"])


async def test_create_prices_and_shape(api, db, tenant_a):
    one, two = await product(api, "ONE", 10, tax=10), await product(api, "TWO", 20)
    group = (await api.post("/api/v1/group_settings", json={"name": "Buyers"})).json()["data"]["id"]
    webhook = {
        "post_purchase_url": "https://hooks.example.test/bought",
        "post_purchase_rest_method": "post",
        "post_purchase_headers": {"X-Key": "abc"},
        "return_url": "https://shop.example.test/thanks",
    }
    r = await api.post(
        BASE,
        json={
            "name": "Gold",
            "product_ids": one,
            "recurring_product_ids": two,
            "frequency_id": "5",
            "promo_code": "HALF",
            "promo_discount": 50,
            "is_amount_discount": False,
            "trial_enabled": True,
            "trial_duration": 1209600,
            "per_seat_enabled": True,
            "max_seats_limit": 5,
            "group_id": group,
            "webhook_configuration": webhook,
            "price": 1,
            "promo_price": 1,
        },
    )
    assert r.status_code == 200, r.text
    s = r.json()["data"]
    assert set(s) == KEYS and all(v is not None for v in s.values())
    assert s["product_ids"] == one and s["recurring_product_ids"] == two and s["optional_product_ids"] == ""
    # one of each: 10 + 10% VAT + 20 = 31; half off: 15.5
    assert s["price"] == 31 and s["promo_price"] == 15.5
    assert s["frequency_id"] == "5" and s["group_id"] == group and s["company_id"] == tenant_a.company_id
    assert s["webhook_configuration"] == webhook and s["steps"] == "cart,auth.login-or-register"
    assert s["purchase_page"].endswith(f"/client/subscriptions/{s['id']}/purchase") and s["plan_map"] == ""
    assert s["allow_cancellation"] is True and s["trial_duration"] == 1209600 and s["max_seats_limit"] == 5
    r = await api.put(f"{BASE}/{s['id']}", json={"product_ids": f"{two},{one}", "recurring_product_ids": ""})
    assert r.status_code == 200, r.text
    u = r.json()["data"]
    assert u["product_ids"] == f"{two},{one}" and u["recurring_product_ids"] == "" and u["price"] == 31
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) >= KEYS - {"purchase_page", "product_ids_list"}
    assert [
        a["activity_type_id"]
        for a in await db.fetch("SELECT activity_type_id FROM activities WHERE subscription_id IS NOT NULL ORDER BY id")
    ] == [80, 81]
    await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [s["id"]]})
    await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [s["id"]]})
    await api.delete(f"{BASE}/{s['id']}")
    logged = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE subscription_id = $1 ORDER BY id", ids.decode(s["id"])
    )
    assert [a["activity_type_id"] for a in logged] == [80, 81, 82, 84, 83]
    assert (await api.get(f"{BASE}?filter=gol")).json()["data"][0]["id"] == s["id"]


async def test_validation_messages(api):
    one = await product(api, "ONE", 10)
    assert errors(await api.post(BASE, json={})) == {"name": ["The name field is required."]}
    await api.post(BASE, json={"name": "Taken"})
    assert errors(await api.post(BASE, json={"name": "taken"})) == {"name": ["The name has already been taken."]}
    assert errors(await api.post(BASE, json={"name": "A", "recurring_product_ids": one})) == {
        "frequency_id": ["The frequency id field is required when recurring product ids is present."]
    }
    assert errors(await api.post(BASE, json={"name": "A", "frequency_id": 13})) == {
        "frequency_id": ["The selected frequency id is invalid."]
    }
    assert errors(await api.post(BASE, json={"name": "A", "product_ids": "nope"})) == {
        "product_ids": ["The selected product ids is invalid."]
    }
    assert errors(await api.post(BASE, json={"name": "A", "steps": "cart"})) == {
        "steps": ["The steps must include a sign-in step (auth.login, auth.register or auth.login-or-register)."]
    }
    assert errors(await api.post(BASE, json={"name": "A", "steps": "cart,auth.magic"})) == {
        "steps": ["The selected steps is invalid."]
    }
    assert errors(await api.post(BASE, json={"name": "A", "steps": "auth.login,auth.login"})) == {
        "steps": ["The steps may not repeat a step."]
    }
    bad_hook = {
        "post_purchase_url": "ftp://x",
        "post_purchase_rest_method": "delete",
        "evil": 1,
        "post_purchase_headers": {"A": "b\r\nc"},
    }
    assert errors(await api.post(BASE, json={"name": "A", "webhook_configuration": bad_hook})) == {
        "webhook_configuration.post_purchase_url": ["The webhook configuration.post purchase url must be a valid URL."],
        "webhook_configuration.post_purchase_rest_method": [
            "The selected webhook configuration.post purchase rest method is invalid."
        ],
        "webhook_configuration.evil": ["The webhook configuration.evil is not a webhook setting."],
        "webhook_configuration.post_purchase_headers": [
            "The webhook configuration.post purchase headers may not contain line breaks."
        ],
    }
    assert errors(await api.post(BASE, json={"name": "A", "max_seats_limit": -1})) == {
        "max_seats_limit": ["The max seats limit must be at least 0."]
    }
    assert (await api.get(BASE)).json()["meta"]["pagination"]["total"] == 1


async def test_ids_of_another_company_are_invalid(api, api_b, db, tenant_b):
    their_product = await product(api_b, "THEIRS", 99)
    their_group = (await api_b.post("/api/v1/group_settings", json={"name": "Theirs"})).json()["data"]["id"]
    theirs = (await api_b.post(BASE, json={"name": "Theirs"})).json()["data"]
    mine = await product(api, "MINE", 1)
    before = await company_snapshot(db, ids.decode(tenant_b.company_id))
    for body, field in (
        ({"name": "X", "group_id": their_group}, "group_id"),
        ({"name": "X", "product_ids": f"{mine},{their_product}"}, "product_ids"),
        ({"name": "X", "optional_recurring_product_ids": their_product}, "optional_recurring_product_ids"),
    ):
        r = await api.post(BASE, json=body)
        assert errors(r) == {field: [f"The selected {field.replace('_', ' ')} is invalid."]}
    r = await api.put(f"{BASE}/{theirs['id']}", json={"name": "Mine now"})
    assert r.status_code == 404 and r.json()["message"] == "Subscription not found"
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [theirs["id"]]})
    assert r.status_code == 422
    assert (await api.get(BASE)).json()["data"] == []
    assert await company_snapshot(db, ids.decode(tenant_b.company_id)) == before


async def test_steps_catalog_and_check(api):
    r = await api.get(f"{BASE}/steps")
    assert r.status_code == 200
    auth = "App\\Livewire\\BillingPortal\\Authentication\\"
    assert r.json() == {
        auth + "Login": {"id": "auth.login", "dependencies": []},
        auth + "RegisterOrLogin": {"id": "auth.login-or-register", "dependencies": []},
        auth + "Register": {"id": "auth.register", "dependencies": []},
        "App\\Livewire\\BillingPortal\\Cart\\Cart": {"id": "cart", "dependencies": []},
    }
    r = await api.post(f"{BASE}/steps/check", json={"steps": "auth.login,cart"})
    assert r.status_code == 200 and r.json() == []
    r = await api.post(f"{BASE}/steps/check", json={"steps": "cart"})
    sign_in = "The steps must include a sign-in step (auth.login, auth.register or auth.login-or-register)."
    assert errors(r) == {"steps": [sign_in]}
    assert errors(await api.post(f"{BASE}/steps/check", json={})) == {"steps": ["The steps field is required."]}


async def test_assign_invoice(api, api_b, db):
    sub = (await api.post(BASE, json={"name": "Plan"})).json()["data"]
    client = await make_client(api)
    inv = await make_invoice(api, client["id"])
    r = await api.post(f"{BASE}/bulk", json={"action": "assign_invoice", "ids": [sub["id"]], "entity_id": inv["id"]})
    assert r.status_code == 200, r.text
    assert (await api.get(f"/api/v1/invoices/{inv['id']}")).json()["data"]["subscription_id"] == sub["id"]
    theirs = await make_invoice(api_b, (await make_client(api_b, "Theirs"))["id"])
    r = await api.post(f"{BASE}/bulk", json={"action": "assign_invoice", "ids": [sub["id"]], "entity_id": theirs["id"]})
    assert errors(r) == {"entity_id": ["The selected entity id is invalid."]}
    assert (await api_b.get(f"/api/v1/invoices/{theirs['id']}")).json()["data"]["subscription_id"] == ""
    r = await api.post(
        f"{BASE}/bulk", json={"action": "assign_invoice", "ids": [sub["id"]], "entity": "quote", "entity_id": inv["id"]}
    )
    assert errors(r) == {"entity": ["The selected entity is invalid."]}
