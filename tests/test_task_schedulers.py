"""Task schedulers over REST: upstream's SchedulerTransformer fields, the templates, the next run (today or later,
where the company is), the parameters checked per template, bulk actions and upstream's 400 for others, admins
only for writes, the trailing-slash paths upstream documents, and the ids inside parameters tenant-checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from clock import company_today
from members import add_member
from test_invoices import make_client, make_invoice
from test_registry_matrix import company_snapshot

from app import ids

BASE = "/api/v1/task_schedulers"
KEYS = {
    "id",
    "name",
    "frequency_id",
    "next_run",
    "next_run_client",
    "template",
    "is_paused",
    "parameters",
    "is_deleted",
    "remaining_cycles",
    "updated_at",
    "created_at",
    "archived_at",
}


def later(days: int = 3) -> str:
    return (company_today() + timedelta(days=days)).isoformat()


async def make(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"template": "email_statement", "next_run": later(), **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]


def errors(r: Any) -> dict[str, list[str]]:
    assert r.status_code == 422, r.text
    return dict(r.json()["errors"])


async def test_create_show_update_list(api, db):
    client = await make_client(api)
    s = await make(
        api,
        name="Monthly statements",
        frequency_id="5",
        parameters={"clients": [client["id"]], "date_range": "last_month", "show_aging_table": True},
    )
    assert set(s) == KEYS and all(v is not None for v in s.values())
    assert s["template"] == "email_statement" and s["frequency_id"] == "5" and s["is_paused"] is False
    assert s["next_run"] == later() and s["next_run_client"] == later() and s["remaining_cycles"] == -1
    assert s["parameters"] == {"clients": [client["id"]], "date_range": "last_month", "show_aging_table": True}
    # next_run is stored as the moment it falls due: midnight where the company is (UTC for these companies)
    moment = await db.fetchval("SELECT next_run FROM schedulers WHERE id = $1", ids.decode(s["id"]))
    assert moment.isoformat().startswith(later())
    r = await api.put(f"{BASE}/{s['id']}", json={"is_paused": True, "frequency_id": 2, "next_run": later(10)})
    assert r.status_code == 200, r.text
    u = r.json()["data"]
    assert u["is_paused"] is True and u["frequency_id"] == "2" and u["next_run"] == later(10)
    assert u["parameters"] == s["parameters"]
    listed = (await api.get(BASE)).json()["data"]
    assert [x["id"] for x in listed] == [s["id"]]
    assert (await api.get(f"{BASE}/")).json()["data"] == listed  # upstream's documented path
    r = await api.post(
        f"{BASE}/", json={"template": "email_report", "next_run": later(), "parameters": {"report_name": "invoices"}}
    )
    assert r.status_code == 200, r.text
    blank = (await api.get(f"{BASE}/create")).json()["data"]
    assert set(blank) == KEYS and blank["frequency_id"] == "5" and blank["parameters"] == {}


async def test_templates_and_their_parameters(api):
    client = await make_client(api)
    invoice = await make_invoice(api, client["id"])
    rec = await make(
        api, template="email_record", frequency_id=5, parameters={"entity": "invoice", "entity_id": invoice["id"]}
    )
    assert rec["frequency_id"] == "0"  # a record is sent once
    assert rec["parameters"] == {"entity": "invoice", "entity_id": invoice["id"], "clients": []}
    report = await make(
        api, template="email_report", parameters={"report_name": "ar_summary", "status": "paid,bogus,unpaid"}
    )
    assert report["parameters"]["status"] == "paid,unpaid"
    tasks = await make(api, template="email_report", parameters={"report_name": "task", "status": "logged,Xy12"})
    assert tasks["parameters"]["status"] == "logged,Xy12"  # task status ids are kept for the task report
    custom = await make(api, parameters={"date_range": "custom", "start_date": "2024-01-01", "end_date": "2024-02-01"})
    assert custom["parameters"]["date_range"] == "custom"
    # the web app's form sends every key, the unused ones empty
    form = {
        "clients": [],
        "date_range": "last7_days",
        "show_aging_table": False,
        "show_payments_table": False,
        "only_clients_with_invoices": False,
        "status": "all",
        "entity": "",
        "entity_id": "",
        "report_name": "",
        "date_key": "",
        "start_date": "",
        "end_date": "",
    }
    web = await make(api, name="From the web app", frequency_id="5", parameters=form)
    assert web["parameters"] == form


async def test_validation_messages(api):
    assert errors(await api.post(BASE, json={"next_run": later()})) == {"template": ["The template field is required."]}
    assert errors(await api.post(BASE, json={"template": "email_statement"})) == {
        "next_run": ["The next run field is required."]
    }
    assert errors(await api.post(BASE, json={"template": "send_invoices", "next_run": later()})) == {
        "template": ["The selected template is invalid."]
    }
    yesterday = (company_today() - timedelta(days=1)).isoformat()
    assert errors(await api.post(BASE, json={"template": "email_statement", "next_run": yesterday})) == {
        "next_run": ["The next run must be a date after or equal to today."]
    }
    assert errors(await api.post(BASE, json={"template": "email_statement", "next_run": "soon"})) == {
        "next_run": ["The next run is not a valid date."]
    }
    assert errors(
        await api.post(BASE, json={"template": "email_statement", "next_run": later(), "frequency_id": 13})
    ) == {"frequency_id": ["The frequency id must be an integer between 1 and 12."]}
    cases = [
        (
            "email_statement",
            {"date_range": "forever"},
            {"parameters.date_range": ["The selected parameters.date range is invalid."]},
        ),
        (
            "email_statement",
            {"date_range": "custom", "end_date": "2024-13-01"},
            {
                "parameters.start_date": [
                    "The parameters.start date field is required when parameters.date range is custom."
                ],
                "parameters.end_date": ["The parameters.end date does not match the format Y-m-d."],
            },
        ),
        (
            "email_statement",
            {"start_date": "2024-02-01", "end_date": "2024-01-01"},
            {
                "parameters.end_date": [
                    "The parameters.end date must be a date after or equal to parameters.start date."
                ]
            },
        ),
        (
            "email_record",
            {},
            {
                "parameters.entity": ["The parameters.entity field is required when template is email_record."],
                "parameters.entity_id": ["The parameters.entity id field is required when template is email_record."],
            },
        ),
        (
            "email_record",
            {"entity": "task", "entity_id": "x"},
            {"parameters.entity": ["The selected parameters.entity is invalid."]},
        ),
        (
            "email_report",
            {},
            {"parameters.report_name": ["The parameters.report name field is required when template is email_report."]},
        ),
        (
            "email_report",
            {"report_name": "secrets"},
            {"parameters.report_name": ["The selected parameters.report name is invalid."]},
        ),
        (
            "email_statement",
            {"clients": "all"},
            {"parameters.clients": ["The parameters.clients must be an array of client ids."]},
        ),
        (
            "email_statement",
            {"clients": ["nope"]},
            {"parameters.clients": ["The selected parameters.clients is invalid."]},
        ),
    ]
    for template, parameters, expected in cases:
        r = await api.post(BASE, json={"template": template, "next_run": later(), "parameters": parameters})
        assert errors(r) == expected, (template, parameters)
    r = await api.post(BASE, json={"template": "email_statement", "next_run": later(), "parameters": []})
    assert r.status_code == 200 and r.json()["data"]["parameters"] == {"clients": []}
    assert (await api.get(BASE)).json()["data"][0]["template"] == "email_statement"


async def test_ids_in_parameters_of_another_company_are_invalid(api, api_b, db, tenant_b):
    theirs = await make_client(api_b, "Theirs")
    their_invoice = await make_invoice(api_b, theirs["id"])
    mine = await make_client(api)
    before = await company_snapshot(db, ids.decode(tenant_b.company_id))
    r = await api.post(
        BASE,
        json={
            "template": "email_statement",
            "next_run": later(),
            "parameters": {"clients": [mine["id"], theirs["id"]]},
        },
    )
    assert errors(r) == {"parameters.clients": ["The selected parameters.clients is invalid."]}
    r = await api.post(
        BASE,
        json={
            "template": "email_record",
            "next_run": later(),
            "parameters": {"entity": "invoice", "entity_id": their_invoice["id"]},
        },
    )
    assert errors(r) == {"parameters.entity_id": ["The selected parameters.entity id is invalid."]}
    own = await make(api)
    r = await api.put(f"{BASE}/{own['id']}", json={"parameters": {"clients": [theirs["id"]]}})
    assert errors(r) == {"parameters.clients": ["The selected parameters.clients is invalid."]}
    assert (await api.get(f"{BASE}/{own['id']}")).json()["data"]["parameters"] == {"clients": []}
    assert await db.fetchval("SELECT count(*) FROM schedulers") == 1
    assert await company_snapshot(db, ids.decode(tenant_b.company_id)) == before


async def test_bulk_and_permissions(api, db, tenant_a):
    s = await make(api)
    r = await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [s["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["archived_at"] > 0
    r = await api.post(f"{BASE}/bulk", json={"action": "delete", "ids": [s["id"]]})
    assert r.json()["data"][0]["is_deleted"] is True
    r = await api.put(f"{BASE}/{s['id']}", json={"name": "x"})
    assert r.status_code == 400
    r = await api.post(f"{BASE}/bulk", json={"action": "restore", "ids": [s["id"]]})
    assert r.json()["data"][0]["is_deleted"] is False and r.json()["data"][0]["archived_at"] == 0
    r = await api.post(f"{BASE}/bulk", json={"action": "run", "ids": [s["id"]]})
    assert r.status_code == 400 and r.json()["message"] == "Bulk action does not exist"
    assert (await api.delete(f"{BASE}/{s['id']}")).json()["data"]["is_deleted"] is True
    _, token = await add_member(db, tenant_a.company_id, "staff@example.com", "view_all,edit_all,create_all")
    staff = {"X-API-TOKEN": token}
    assert (await api.get(f"{BASE}/{s['id']}", headers=staff)).status_code == 200
    r = await api.post(BASE, json={"template": "email_statement", "next_run": later()}, headers=staff)
    assert r.status_code == 403
    assert (await api.put(f"{BASE}/{s['id']}", json={"name": "x"}, headers=staff)).status_code == 403
    assert await db.fetchval("SELECT count(*) FROM schedulers") == 1
