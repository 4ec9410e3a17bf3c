"""The official web app's flows, call by call, against the ASGI app: every call
answers 200 and carries the fields the app crashes without (section 6)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from app.entities import REGISTRY

WEB = {"X-Requested-With": "XMLHttpRequest", "X-React": "true"}
EMAIL, PASSWORD = "owner-a@example.com", "secret-password"


class Browser:
    """The web app's axios: its headers, the token once logged in, and a check on every answer."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token = ""

    async def call(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        headers = {**WEB, **({"X-Api-Token": self.token} if self.token else {}), **(headers or {})}
        r = await self.http.request(method, url, json=body, headers=headers)
        assert r.status_code == 200, (method, url, r.status_code, r.text[:300])
        return r.json()

    async def page(self, url: str, **expect: Any) -> list[dict[str, Any]]:
        """A DataTable list: meta.pagination.total and total_pages are read without optional chaining."""
        body = await self.call("GET", url)
        pagination = body["meta"]["pagination"]
        assert isinstance(pagination["total"], int) and isinstance(pagination["total_pages"], int)
        assert isinstance(pagination["links"], dict)
        assert isinstance(body["data"], list)
        return body["data"]  # type: ignore[no-any-return]


def check_client(client: dict[str, Any]) -> None:
    assert isinstance(client["settings"], dict)  # the app reads settings.currency_id
    assert isinstance(client["vat_number"], str)
    assert isinstance(client["contacts"], list)
    assert isinstance(client["documents"], list)
    for key in ("balance", "paid_to_date", "credit_balance", "payment_balance"):
        assert isinstance(client[key], (int, float)), key
    for key, value in client.items():
        assert value is not None, key


def exists(name: str) -> bool:
    return name in REGISTRY


@pytest.fixture
async def browser(anon: httpx.AsyncClient, tenant_a: Any) -> Browser:
    return Browser(anon)


async def login(b: Browser) -> dict[str, Any]:
    """5a: precheck (unwrapped), then login; the token of data[0] drives every later call."""
    pre = await b.call("POST", "/api/v1/login/precheck", {"email": EMAIL})
    assert "data" not in pre
    assert isinstance(pre.get("methods", []), list)
    body = await b.call("POST", "/api/v1/login", {"email": EMAIL, "password": PASSWORD})
    company_user = check_company_users(body)
    b.token = company_user["token"]["token"]
    return company_user


def check_company_users(body: dict[str, Any]) -> dict[str, Any]:
    data = body["data"]
    assert isinstance(data, list) and data
    default = data[0]["account"]["default_company_id"]
    current = next((cu for cu in data if cu["company"]["id"] == default), data[0])
    assert current["user"]["id"]
    assert isinstance(current["company"]["settings"]["pdf_variables"]["total_columns"], list)
    assert current["company"]["settings"]["currency_id"]
    assert current["is_admin"] or current["is_owner"] or "view_dashboard" in current["permissions"]
    return current  # type: ignore[no-any-return]


async def boot(b: Browser) -> None:
    """5b: every full page load."""
    check_company_users(await b.call("POST", f"/api/v1/refresh?updated_at={int(time.time())}"))
    statics = await b.call("GET", "/api/v1/statics")
    for key in ("currencies", "countries", "languages", "date_formats", "datetime_formats", "timezones"):
        assert isinstance(statics[key], list) and statics[key], key
    await b.call("GET", "/api/v1/health_check")
    await b.page("/api/v1/company_gateways?sort=id|desc&status=active&per_page=100")
    await b.page("/api/v1/bank_integrations?per_page=20&status=active")
    await b.page("/api/v1/tax_rates?per_page=1000&page=undefined&sort=id|asc&status=all")
    found = await b.call("POST", "/api/v1/search")
    assert isinstance(found, dict)
    await b.page("/api/v1/designs?template=true&status=active&sort=name|asc")
    await b.page("/api/v1/group_settings?status=active&per_page=1000")
    if exists("payment"):
        assert isinstance((await b.call("GET", "/api/v1/payments/create"))["data"], dict)


async def dashboard(b: Browser) -> None:
    """5c."""
    window = {"start_date": "2026-11-01", "end_date": "2026-11-30", "date_range": "this_month"}
    totals = await b.call("POST", "/api/v1/charts/totals_v2?include_drafts=false", window)
    assert isinstance(totals["currencies"], dict) and totals["currencies"]
    for cid in totals["currencies"]:
        assert {"invoices", "revenue", "outstanding", "expenses"} <= set(totals[cid])
    summary = await b.call("POST", "/api/v1/charts/chart_summary_v2?include_drafts=false", window)
    for cid in totals["currencies"]:
        if cid in summary:
            for part in ("invoices", "outstanding", "payments", "expenses"):
                assert isinstance(summary[cid][part], list), (cid, part)
    assert isinstance((await b.call("GET", "/api/v1/activities?reactv2"))["data"], list)
    if exists("payment"):
        await b.page(
            "/api/v1/payments?include=client,invoices&sort=date|desc&per_page=50&without_deleted_clients=true"
            "&page=1&filter=&status=active"
        )
    for extra in ("upcoming=true", "overdue=true&sort=due_date|asc"):
        await b.page(
            f"/api/v1/invoices?include=client.group_settings&{extra}&without_deleted_clients=true"
            "&per_page=50&page=1&filter=&status=active"
        )
    if exists("quote"):
        for status in ("expired", "upcoming"):
            await b.page(
                f"/api/v1/quotes?include=client&client_status={status}&without_deleted_clients=true"
                "&per_page=50&page=1&filter=&status=active"
            )
    if exists("recurring_invoice"):
        rows = await b.page(
            "/api/v1/recurring_invoices?include=client&client_status=active&without_deleted_clients"
            "=true&per_page=50&page=1&filter=&status=active&sort=next_send_date_client|asc"
        )
        for row in rows:
            assert row["next_send_date"] is not None and isinstance(row["line_items"], list)


async def clients_flow(b: Browser) -> str:
    """5d and 5e: the list, the create form, the save, the view page."""
    for row in await b.page(
        "/api/v1/clients?include=group_settings&sort=id|desc&tag_ids=&per_page=10&page=1&filter=&status=active"
    ):
        check_client(row)
    await b.call("GET", "/api/v1/clients/create")
    await b.page("/api/v1/tags?entity_type=client&sort=name|asc&per_page=1000")
    await b.page("/api/v1/group_settings?status=active&per_page=20")
    await b.page("/api/v1/users?status=active&sort=created_at|desc&filter=")
    saved = await b.call(
        "POST",
        "/api/v1/clients",
        {
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
        },
    )
    client_id = saved["data"]["id"]
    assert client_id
    view = await b.call("GET", f"/api/v1/clients/{client_id}?include=group_settings,activities.history")
    check_client(view["data"])
    await b.page(
        f"/api/v1/invoices?include=client.group_settings,project&client_id={client_id}&sort=id|desc"
        "&per_page=10&page=1&filter=&status=active"
    )
    await b.page("/api/v1/designs?template=true&status=active&sort=name|asc")
    if exists("payment"):
        await b.call("GET", "/api/v1/payments/create")
    listed = await b.page(
        "/api/v1/clients?include=group_settings&sort=id|desc&tag_ids=&per_page=10&page=1&filter=&status=active"
    )
    assert client_id in [row["id"] for row in listed]
    return client_id  # type: ignore[no-any-return]


async def invoices_flow(b: Browser, client_id: str) -> None:
    """5f and 5g: the list, the create form, picking the client, saving, the edit page."""
    await b.page(
        "/api/v1/invoices?include=client.group_settings,project&without_deleted_clients=true&sort=id|desc"
        "&tag_ids=&per_page=10&page=1&filter=&status=active"
    )
    blank = (await b.call("GET", "/api/v1/invoices/create"))["data"]
    assert blank["client_id"] == "" and blank["line_items"] == []
    await b.call("GET", "/api/v1/clients/create")
    await b.page("/api/v1/payment_terms?per_page=1000&page=undefined&sort=id|asc&status=all")
    await b.page("/api/v1/tags?entity_type=invoice&sort=name|asc&per_page=1000")
    await b.page("/api/v1/group_settings?status=active&per_page=1000")
    picker = await b.page("/api/v1/clients?sort=display_name|asc&status=active&filter=")
    assert all(isinstance(row["display_name"], str) for row in picker)
    await b.page("/api/v1/tax_rates?per_page=1000&page=undefined&sort=id|asc&status=active")
    client = (await b.call("GET", f"/api/v1/clients/{client_id}?include=group_settings"))["data"]
    check_client(client)
    await b.call("GET", "/api/v1/products/create")
    line = {
        "_id": "9b2f7d2e-55a3-4bd8-9d5e-0c1f0a6e0b11",
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
    body = {
        **blank,
        "client_id": client_id,
        "line_items": [line],
        "amount": 50,
        "balance": 50,
        "invitations": [{"client_contact_id": c["id"]} for c in client["contacts"] if c["send_email"]],
    }
    saved = (await b.call("POST", "/api/v1/invoices?", body))["data"]
    assert saved["id"] and saved["amount"] == 50
    edit = (
        await b.call(
            "GET",
            f"/api/v1/invoices/{saved['id']}?include=paymentables,payments,client.group_settings"
            "&show_schedule=true&is_locked=true",
        )
    )["data"]
    assert edit["client_id"] == client_id and edit["client"]["id"] == client_id
    check_client(edit["client"])
    if exists("payment"):
        await b.page(f"/api/v1/payments?client_id={client_id}&client_status=partially_unapplied")
    await b.page("/api/v1/designs?template=true&status=active&sort=name|asc")
    found = await b.call("POST", "/api/v1/search", {"search": "ACME Probe"})
    assert found["clients"][0]["id"] == client_id


async def test_the_web_app_flows(browser: Browser) -> None:
    await login(browser)
    await boot(browser)
    await dashboard(browser)
    client_id = await clients_flow(browser)
    await boot(browser)
    await invoices_flow(browser, client_id)
    await boot(browser)
    await dashboard(browser)  # again, now with data


# ---- the pages of section 7: lists and create forms of the families added later ---------------------------
# Each page's DataTable endpoint as the web app writes it; the table adds paging, the filter box and the status.
TABLE = "per_page=10&page=1&filter=&status=active"
PAGES = {
    "vendor": "/api/v1/vendors?sort=id|desc",
    "purchase_order": "/api/v1/purchase_orders?include=vendor,expense&without_deleted_vendors=true&sort=id|desc",
    "expense": "/api/v1/expenses?include=client,vendor,category&without_deleted_clients=true"
    "&without_deleted_vendors=true&sort=id|desc",
    "expense_category": "/api/v1/expense_categories?sort=id|desc",
    "recurring_expense": "/api/v1/recurring_expenses?include=client,vendor&sort=id|desc"
    "&without_deleted_clients=true&without_deleted_vendors=true",
    "bank_transaction": "/api/v1/bank_transactions?sort=id|desc&active_banks=true",
    "bank_transaction_rule": "/api/v1/bank_transaction_rules?sort=id|desc",
    "project": "/api/v1/projects?include=client&sort=id|desc",
    "task": "/api/v1/tasks?include=status,client,project&sort=id|desc",
    "task_status": "/api/v1/task_statuses?sort=status_order|asc",
    "subscription": "/api/v1/subscriptions?sort=id|desc",
    "task_scheduler": "/api/v1/task_schedulers?sort=id|desc",
}


def nulls(value: Any, where: str = "") -> list[str]:
    """Where a value the app reads is null (the app reads included objects' fields too)."""
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in nulls(v, f"{where}[{i}]")]
    return []


async def test_the_later_families_pages_and_create_forms_load(browser: Browser) -> None:
    """Each list page with one row of its own (made as the create form saves it) and each create form's blank:
    200, the DataTable's envelope, and no null anywhere the page reads."""
    await login(browser)
    client = (await browser.call("POST", "/api/v1/clients", {"name": "Page Client"}))["data"]
    vendor = (await browser.call("POST", "/api/v1/vendors", {"name": "Page Vendor"}))["data"]
    bank = (await browser.call("POST", "/api/v1/bank_integrations", {"bank_account_name": "Page Bank"}))["data"]
    project = (await browser.call("POST", "/api/v1/projects", {"name": "Page", "client_id": client["id"]}))["data"]
    bodies: dict[str, dict[str, Any]] = {
        "vendor": {"name": "Listed Vendor"},
        "purchase_order": {"vendor_id": vendor["id"], "line_items": [{"quantity": 2, "cost": 5}]},
        "expense_category": {"name": "Travel"},
        "expense": {"amount": 12.5, "client_id": client["id"], "vendor_id": vendor["id"]},
        "recurring_expense": {"amount": 3, "client_id": client["id"], "vendor_id": vendor["id"], "frequency_id": "5"},
        "bank_transaction": {
            "bank_integration_id": bank["id"],
            "amount": 20,
            "base_type": "CREDIT",
            "date": "2026-11-02",
        },
        "bank_transaction_rule": {"name": "Coffee", "applies_to": "DEBIT", "rules": []},
        "project": {"name": "Listed", "client_id": client["id"]},
        "task": {"description": "Listed task", "client_id": client["id"], "project_id": project["id"]},
        "task_status": {"name": "Review"},
        "subscription": {"name": "Monthly plan"},
        "task_scheduler": {"template": "email_statement", "next_run": "2999-01-01"},
    }
    for name, endpoint in PAGES.items():
        entity = REGISTRY[name]
        made = (await browser.call("POST", f"/api/v1/{entity.path}", bodies[name]))["data"]
        rows = await browser.page(f"{endpoint}&{TABLE}")
        assert made["id"] in [r["id"] for r in rows], name
        assert not nulls(rows, name), nulls(rows, name)
        blank = (await browser.call("GET", f"/api/v1/{entity.path}/create"))["data"]
        assert isinstance(blank, dict) and not nulls(blank, f"{name}/create"), nulls(blank, f"{name}/create")


# ---- settings: user management and API tokens -----------------------------------------------------------
CONFIRM = {"X-Api-Password": PASSWORD}  # the PasswordConfirmation modal's answer


def check_user(user: dict[str, Any]) -> None:
    """What the user pages read: the name and e-mail, `email_verified_at`, and the company user's
    notifications.email (an array the page calls .includes on), permissions and admin flag."""
    assert user["id"] and isinstance(user["first_name"], str) and isinstance(user["email"], str)
    assert isinstance(user["email_verified_at"], int)
    membership = user["company_user"]
    assert isinstance(membership["permissions"], str) and isinstance(membership["is_admin"], bool)
    assert isinstance(membership["notifications"], dict)
    assert isinstance(membership["notifications"].get("email", []), list)
    assert isinstance(membership["settings"], dict)
    assert not nulls(user, "user"), nulls(user, "user")


async def test_user_management_pages(browser: Browser) -> None:
    """/settings/users: the list without the current user, the blank, the create (password confirmed), the
    edit page's read, and the save of new permissions as the page sends it (the whole user back)."""
    me = await login(browser)
    my_id = me["user"]["id"]
    assert await browser.page(f"/api/v1/users?without={my_id}&{TABLE}") == []
    blank = (await browser.call("GET", "/api/v1/users/create"))["data"]
    assert blank["id"] == "" and not nulls(blank, "users/create"), nulls(blank, "users/create")
    body = {
        **blank,
        "first_name": "Dana",
        "last_name": "Member",
        "email": "dana@example.com",
        "company_user": {
            "permissions": "",
            "notifications": {"email": []},
            "settings": {"table_columns": [], "report_settings": [], "accent_color": "#2F7DC3"},
            "is_owner": False,
            "is_admin": False,
            "is_locked": False,
            "ninja_portal_url": "",
        },
    }
    created = (await browser.call("POST", "/api/v1/users?include=company_user", body, CONFIRM))["data"]
    check_user(created)
    listed = await browser.page(f"/api/v1/users?without={my_id}&{TABLE}")
    assert [(u["id"], u["first_name"], u["last_name"], u["email"]) for u in listed] == [
        (created["id"], "Dana", "Member", "dana@example.com")
    ]
    user = (await browser.call("GET", f"/api/v1/users/{created['id']}?include=company_user"))["data"]
    check_user(user)
    assert user["company_user"]["permissions"] == "" and user["company_user"]["is_admin"] is False
    # ticking "view" and "edit" of clients and "create all" in the permissions card, then saving
    user["company_user"]["permissions"] = "view_client,edit_client,create_all"
    user["company_user"]["notifications"] = {"email": ["invoice_sent_all"]}
    saved = (await browser.call("PUT", f"/api/v1/users/{created['id']}?include=company_user", user, CONFIRM))["data"]
    check_user(saved)  # the page puts the answer back into its form
    granted = saved["company_user"]["permissions"].split(",")
    assert sorted(granted) == ["create_all", "edit_client", "view_client"]
    assert saved["company_user"]["notifications"] == {"email": ["invoice_sent_all"]}
    again = (await browser.call("GET", f"/api/v1/users/{created['id']}?include=company_user"))["data"]
    assert again["company_user"]["permissions"] == saved["company_user"]["permissions"]


def check_token(token: dict[str, Any]) -> None:
    """What the token pages read: id, name, is_system, is_deleted, archived_at, token, created_at."""
    for key, kind in (("id", str), ("name", str), ("token", str), ("is_system", bool), ("is_deleted", bool)):
        assert isinstance(token[key], kind), key
    assert isinstance(token["archived_at"], int) and isinstance(token["created_at"], int)
    assert not nulls(token, "token"), nulls(token, "token")


async def test_api_token_pages(browser: Browser) -> None:
    """/settings/integrations/api_tokens: the list, the blank, the create with the password (the raw token
    once), the edit page (masked from then on), the rename."""
    await login(browser)
    before = await browser.page(f"/api/v1/tokens?sort=id|desc&{TABLE}")
    for token in before:
        check_token(token)
    existing = {t["id"] for t in before}  # the sign-up's and the login's tokens
    blank = (await browser.call("GET", "/api/v1/tokens/create"))["data"]
    assert isinstance(blank, dict) and not nulls(blank, "tokens/create"), nulls(blank, "tokens/create")
    made = (await browser.call("POST", "/api/v1/tokens", {"name": "Zapier"}, CONFIRM))["data"]
    check_token(made)
    raw = made["token"]
    assert len(raw) == 64 and made["name"] == "Zapier" and made["is_system"] is False
    # the raw token works as a key of its own
    r = await browser.http.get("/api/v1/clients", headers={**WEB, "X-Api-Token": raw})
    assert r.status_code == 200
    shown = (await browser.call("GET", f"/api/v1/tokens/{made['id']}"))["data"]
    check_token(shown)
    assert shown["name"] == "Zapier" and shown["token"] != raw and raw not in shown["token"]
    assert shown["token"].startswith(raw[:10])  # masked: only its first characters stay recognisable
    for page in (f"/api/v1/tokens?sort=id|desc&{TABLE}", "/api/v1/tokens?per_page=10&page=1"):
        rows = await browser.page(page)
        mine = [t for t in rows if t["id"] not in existing]
        assert [(t["id"], t["name"], t["is_system"], t["archived_at"]) for t in mine] == [
            (made["id"], "Zapier", False, 0)
        ]
        assert all(raw not in t["token"] for t in rows)
    renamed = (await browser.call("PUT", f"/api/v1/tokens/{made['id']}", {"name": "Zapier live"}, CONFIRM))["data"]
    check_token(renamed)
    assert renamed["name"] == "Zapier live" and raw not in renamed["token"]


# ---- settings: account management ---------------------------------------------------------------------
async def test_account_management_pages(browser: Browser) -> None:
    """/settings/account_management: the companies, "Add company" (a POST with no body; the answer's company
    user carries the token for the new company), the page load in the new company, and the danger zone's
    delete of that company with the password (the page then reloads: its token is gone, so the app signs in
    again and finds the first company only)."""
    me = await login(browser)
    home = me["company"]["id"]
    companies = await browser.page("/api/v1/companies")
    assert [c["id"] for c in companies] == [home]
    assert not nulls(companies, "companies"), nulls(companies, "companies")
    r = await browser.http.post("/api/v1/companies", headers={**WEB, "X-Api-Token": browser.token})
    assert r.status_code == 200, r.text
    [created] = r.json()["data"]
    new_id = created["company"]["id"]
    assert new_id != home and created["is_owner"] is True and created["company"]["settings"]["name"]
    refreshed = await browser.call("POST", f"/api/v1/refresh?updated_at={int(time.time())}")
    check_company_users(refreshed)
    assert [cu["company"]["id"] for cu in refreshed["data"]] == [home, new_id]  # the new one is the last
    assert [c["id"] for c in await browser.page("/api/v1/companies")] == [home, new_id]
    browser.token = created["token"]["token"]  # the switch
    await boot(browser)
    assert (await browser.call("POST", "/api/v1/companies/current"))["data"]["id"] == new_id
    assert await browser.page(f"/api/v1/clients?{TABLE}") == []  # nothing of the first company
    gone = await browser.call("DELETE", f"/api/v1/companies/{new_id}", {}, CONFIRM)
    assert isinstance(gone["message"], str)
    r = await browser.http.post("/api/v1/refresh", headers={**WEB, "X-Api-Token": browser.token})
    assert r.status_code == 403 and r.json()["message"] == "Invalid token"
    browser.token = ""
    again = await login(browser)
    assert again["company"]["id"] == home
    assert [c["id"] for c in await browser.page("/api/v1/companies")] == [home]
