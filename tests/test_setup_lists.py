"""Set-up lists the web app loads on every page, and the company user preferences it saves."""

import pytest

LISTS = [
    "designs",
    "tags",
    "company_gateways",
    "bank_integrations",
    "tax_rates",
    "payment_terms",
    "products",
    "group_settings",
]


@pytest.mark.parametrize("path", LISTS)
async def test_lists_answer_with_pagination_even_when_empty(api, path):
    r = await api.get(f"/api/v1/{path}?status=active&per_page=1000&page=undefined&sort=id|asc")
    assert r.status_code == 200, r.text
    body = r.json()
    assert isinstance(body["data"], list)
    assert body["meta"]["pagination"]["total_pages"] >= 1


async def test_tax_rate_create_list_and_tenant_isolation(api, api_b, db):
    r = await api.post("/api/v1/tax_rates", json={"name": "GST", "rate": "10.5"})
    assert r.status_code == 200, r.text
    rate = r.json()["data"]
    assert rate["rate"] == 10.5 and rate["name"] == "GST"
    assert (
        (await api_b.get(f"/api/v1/tax_rates/{rate['id']}")).json()
        == (await api_b.get("/api/v1/tax_rates/xxxxxxxxxx")).json()
        == {"message": "Tax rate not found", "errors": {}}
    )
    r = await api_b.put(f"/api/v1/tax_rates/{rate['id']}", json={"name": "stolen"})
    assert r.status_code == 404
    assert await db.fetchval("SELECT name FROM tax_rates") == "GST"


async def test_new_company_has_upstreams_payment_terms(api, api_b):
    r = await api.get("/api/v1/payment_terms?per_page=1000&page=undefined&sort=id|asc&status=all")
    assert [t["name"] for t in r.json()["data"]] == [
        "Net 0",
        "Net 7",
        "Net 10",
        "Net 14",
        "Net 15",
        "Net 30",
        "Net 60",
        "Net 90",
    ]
    mine = {t["id"] for t in r.json()["data"]}
    theirs = {t["id"] for t in (await api_b.get("/api/v1/payment_terms")).json()["data"]}
    assert mine.isdisjoint(theirs) and len(theirs) == 8


async def test_payment_term_name_is_computed(api):
    r = await api.post("/api/v1/payment_terms", json={"num_days": 30, "name": "ignored"})
    assert r.json()["data"]["name"] == "Net 30"


async def test_gateway_config_is_never_echoed(api, db, tenant_a):
    from app import ids

    company = ids.decode_or_none(tenant_a.company_id)
    await db.execute(
        "INSERT INTO company_gateways (company_id, gateway_key, config) VALUES ($1, 'stripe', "
        '\'{"apiKey":"sk_live_secret"}\')',
        company,
    )
    r = await api.get("/api/v1/company_gateways")
    assert r.json()["data"][0]["config"] == "********"
    assert "sk_live_secret" not in r.text


async def test_company_user_preferences_saved(api, tenant_a, db):
    body = {"company_user": {"react_settings": {"table_columns": {"clients": ["name"]}}, "settings": {}}}
    r = await api.put(f"/api/v1/company_users/{tenant_a.user_id}", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["react_settings"] == {"table_columns": {"clients": ["name"]}}
    stored = await db.fetchval("SELECT react_settings FROM company_users")
    assert stored == {"table_columns": {"clients": ["name"]}}


async def test_company_user_of_another_company_is_not_found(api, tenant_b, db):
    r = await api.put(f"/api/v1/company_users/{tenant_b.user_id}", json={"company_user": {"react_settings": {"x": 1}}})
    assert r.status_code == 404
    assert await db.fetchval("SELECT count(*) FROM company_users WHERE react_settings <> '{}'") == 0


async def test_company_user_bad_body_is_422(api, tenant_a):
    r = await api.put(f"/api/v1/company_users/{tenant_a.user_id}", json={"company_user": {"settings": "x"}})
    assert r.status_code == 422
    assert "company_user.settings" in r.json()["errors"]
