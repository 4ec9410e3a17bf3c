"""Projects over REST: the transformer's fields never null, the client required and fixed, numbers from the
project counter, current_hours from the tasks, filters, sorts, includes, bulk actions, and bulk `invoice`:
one draft invoice from the project's uninvoiced tasks, refused the second time, one invoice under a race."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from live_server import Session
from test_invoices import make_client

from app import ids
from app.db import Db

BASE = "/api/v1/projects"
TRANSFORMER_KEYS = {
    "id",
    "user_id",
    "assigned_user_id",
    "client_id",
    "name",
    "number",
    "created_at",
    "updated_at",
    "archived_at",
    "is_deleted",
    "task_rate",
    "due_date",
    "private_notes",
    "public_notes",
    "budgeted_hours",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "color",
    "current_hours",
    "documents",
}


async def make_project(api: Any, client_id: str, **body: Any) -> dict[str, Any]:
    r = await api.post(BASE, json={"name": "Website", "client_id": client_id, **body})
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def make_task(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post("/api/v1/tasks", json=body)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


async def test_create_answers_every_field_never_null(api: Any) -> None:
    client = await make_client(api)
    data = await make_project(api, client["id"], task_rate=80, budgeted_hours=12.5, due_date="2026-03-01")
    assert set(data) == TRANSFORMER_KEYS
    assert all(v is not None for v in data.values())
    assert data["client_id"] == client["id"]
    assert data["number"] == "0001"
    assert (data["task_rate"], data["budgeted_hours"], data["due_date"]) == (80.0, 12.5, "2026-03-01")
    assert (data["color"], data["current_hours"], data["documents"]) == ("#fff", 0, [])
    second = await make_project(api, client["id"], task_rate=None, budgeted_hours=None)  # the web app's blank
    assert second["number"] == "0002"
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200 and r.json()["data"]["name"] == "" and r.json()["data"]["current_hours"] == 0


async def test_client_and_name_required_number_unique_rate_never_negative(api: Any) -> None:
    client = await make_client(api)
    r = await api.post(BASE, json={"name": "No client"})
    assert r.status_code == 422 and r.json()["errors"] == {"client_id": ["The client id field is required."]}
    r = await api.post(BASE, json={"client_id": client["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"name": ["The name field is required."]}
    made = await make_project(api, client["id"], number="P-1", task_rate=-5)
    assert made["task_rate"] == 0
    r = await api.post(BASE, json={"name": "Again", "client_id": client["id"], "number": "P-1"})
    assert r.status_code == 422 and r.json()["errors"] == {"number": ["The number has already been taken."]}
    other = await make_client(api, "Other")
    r = await api.put(f"{BASE}/{made['id']}", json={"client_id": other["id"]})
    assert r.status_code == 422 and r.json()["errors"] == {"client_id": ["The client id cannot be changed."]}
    r = await api.put(f"{BASE}/{made['id']}", json={"name": "Renamed", "client_id": client["id"]})
    assert r.status_code == 200 and r.json()["data"]["name"] == "Renamed" and r.json()["data"]["number"] == "P-1"


async def test_another_companys_client_is_like_a_missing_one(api: Any, api_b: Any) -> None:
    foreign = await make_client(api_b, "Foreign")
    r = await api.post(BASE, json={"name": "X", "client_id": foreign["id"]})
    missing = await api.post(BASE, json={"name": "X", "client_id": ids.encode(999999)})
    assert r.status_code == missing.status_code == 422
    assert (
        r.json()
        == missing.json()
        == {
            "message": "The given data was invalid.",
            "errors": {"client_id": ["The selected client id is invalid."]},
        }
    )


async def test_current_hours_count_the_live_tasks(api: Any) -> None:
    client = await make_client(api)
    project = await make_project(api, client["id"])
    await make_task(api, project_id=project["id"], time_log="[[1000,4600],[5000,9500]]")  # 1h + 1.25h
    archived = await make_task(api, project_id=project["id"], time_log="[[1000,37000]]")  # 10h, archived below
    r = await api.get(f"{BASE}/{project['id']}")
    assert r.json()["data"]["current_hours"] == 12
    r = await api.post("/api/v1/tasks/bulk", json={"action": "archive", "ids": [archived["id"]]})
    assert r.status_code == 200
    r = await api.get(f"{BASE}/{project['id']}?include=tasks,client")
    data = r.json()["data"]
    assert data["current_hours"] == 2
    assert [t["description"] for t in data["tasks"]] == [""] and data["client"]["id"] == client["id"]


async def test_filters_and_sorts(api: Any) -> None:
    acme = await make_client(api, "Acme")
    zeta = await make_client(api, "Zeta")
    await make_project(api, zeta["id"], name="Alpha", public_notes="hidden gem")
    await make_project(api, acme["id"], name="Beta")
    await make_project(api, acme["id"], name="Gamma")
    r = await api.get(f"{BASE}?client_id={acme['id']}&sort=name|desc")
    assert [p["name"] for p in r.json()["data"]] == ["Gamma", "Beta"]
    r = await api.get(f"{BASE}?filter=gem")
    assert [p["name"] for p in r.json()["data"]] == ["Alpha"]
    r = await api.get(f"{BASE}?filter=zeta")  # the client's name
    assert [p["name"] for p in r.json()["data"]] == ["Alpha"]
    r = await api.get(f"{BASE}?sort=client_id|asc")
    assert [p["name"] for p in r.json()["data"]][-1] == "Alpha"
    r = await api.get(f"{BASE}?number=0002")
    assert [p["name"] for p in r.json()["data"]] == ["Beta"]


async def test_bulk_archive_restore_delete(api: Any) -> None:
    client = await make_client(api)
    project = await make_project(api, client["id"])
    for action, archived, deleted in (("archive", True, False), ("restore", False, False), ("delete", True, True)):
        r = await api.post(f"{BASE}/bulk", json={"action": action, "ids": [project["id"]]})
        assert r.status_code == 200, r.text
        row = r.json()["data"][0]
        assert (row["archived_at"] > 0, row["is_deleted"]) == (archived, deleted)
    r = await api.put(f"{BASE}/{project['id']}", json={"name": "Edited"})
    assert r.status_code == 400


async def test_bulk_invoice_makes_one_draft_from_the_uninvoiced_tasks(api: Any, db: Db) -> None:
    client = await make_client(api)
    project = await make_project(api, client["id"], name="Site", task_rate=100)
    first = await make_task(api, project_id=project["id"], description="Design", time_log="[[1000,4600]]")
    second = await make_task(
        api, project_id=project["id"], description="Build", rate=60, time_log='[[10000,15400,"",true]]'
    )
    deleted = await make_task(api, project_id=project["id"], time_log="[[20000,23600]]")
    await api.post("/api/v1/tasks/bulk", json={"action": "delete", "ids": [deleted["id"]]})
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [project["id"]]})
    assert r.status_code == 200, r.text
    invoice = r.json()["data"]
    assert invoice["client_id"] == client["id"] and invoice["project_id"] == project["id"]
    assert invoice["status_id"] == "1" and invoice["number"] == "0001"
    lines = invoice["line_items"]
    assert [(line["type_id"], line["task_id"], line["quantity"], line["cost"]) for line in lines] == [
        ("2", first["id"], 1.0, 100.0),
        ("2", second["id"], 1.5, 60.0),
    ]
    assert [line["line_total"] for line in lines] == [100.0, 90.0]
    assert invoice["amount"] == 190.0
    assert lines[0]["notes"].startswith('Design <div class="task-time-details">')
    for task_id in (first["id"], second["id"]):
        r = await api.get(f"/api/v1/tasks/{task_id}")
        assert r.json()["data"]["invoice_id"] == invoice["id"]
    r = await api.get(f"/api/v1/tasks/{deleted['id']}")
    assert r.json()["data"]["invoice_id"] == ""
    # a draft: the client's balance is untouched
    assert await db.fetchval("SELECT balance FROM clients WHERE id = $1", ids.decode(client["id"])) == 0
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [project["id"]]})
    assert r.status_code == 422
    assert r.json()["errors"] == {"ids": ["There are no uninvoiced tasks to invoice."]}
    assert await db.fetchval("SELECT count(*) FROM invoices WHERE client_id = $1", ids.decode(client["id"])) == 1


async def test_bulk_invoice_of_projects_of_two_clients_is_refused(api: Any) -> None:
    one = await make_project(api, (await make_client(api, "One"))["id"])
    two = await make_project(api, (await make_client(api, "Two"))["id"])
    for project in (one, two):
        await make_task(api, project_id=project["id"], time_log="[[1,3601]]")
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [one["id"], two["id"]]})
    assert r.status_code == 422
    assert r.json()["errors"] == {"ids": ["The tasks to invoice must all belong to one client."]}
    r = await api.get("/api/v1/invoices")
    assert r.json()["data"] == []


async def test_racing_project_invoices_make_one_invoice(live: Any) -> None:
    async with Session(live) as s:
        client = await s.client()
        r = await s.http.post(BASE, json={"name": "Race", "client_id": client, "task_rate": 10})
        project = r.json()["data"]["id"]
        for n in range(3):
            r = await s.http.post(
                "/api/v1/tasks", json={"project_id": project, "time_log": f"[[{n * 4000},{n * 4000 + 3600}]]"}
            )
            assert r.status_code == 200, r.text
        responses = await asyncio.gather(
            *(s.http.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [project]}) for _ in range(10))
        )
        assert sorted(r.status_code for r in responses) == [200] + [422] * 9
        company = ids.decode(s.company_id)
        assert await s.db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", company) == 1
        invoice = next(r for r in responses if r.status_code == 200).json()["data"]
        assert invoice["amount"] == 30.0
        linked = await s.db.fetchval(
            "SELECT count(*) FROM tasks WHERE company_id = $1 AND invoice_id = $2", company, ids.decode(invoice["id"])
        )
        assert linked == 3


async def test_a_running_entry_is_not_billed(api: Any) -> None:
    client = await make_client(api)
    project = await make_project(api, client["id"], task_rate=50)
    now = int(time.time())
    await make_task(api, project_id=project["id"], time_log=f"[[1000,8200],[{now - 60},0]]")
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [project["id"]]})
    assert r.status_code == 200
    assert r.json()["data"]["line_items"][0]["quantity"] == 2.0


async def test_racing_task_writes_and_task_invoices(live: Any) -> None:
    """Creates, edits and invoices of one client's tasks at once: distinct numbers, one invoice, no 5xx."""
    async with Session(live) as s:
        client = await s.client()
        made = await asyncio.gather(
            *(
                s.http.post("/api/v1/tasks", json={"client_id": client, "rate": 10, "time_log": "[[1,3601]]"})
                for _ in range(10)
            )
        )
        assert {r.status_code for r in made} == {200}
        tasks = [r.json()["data"]["id"] for r in made]
        assert len({r.json()["data"]["number"] for r in made}) == 10
        invoice = {"action": "invoice", "ids": tasks}
        responses = await asyncio.gather(
            *(s.http.post("/api/v1/tasks/bulk", json=invoice) for _ in range(10)),
            *(s.http.put(f"/api/v1/tasks/{t}", json={"description": "edited"}) for t in tasks),
            *(s.http.post("/api/v1/tasks", json={"client_id": client}) for _ in range(5)),
        )
        invoices = [r.status_code for r in responses[:10]]
        assert sorted(invoices) == [200] + [422] * 9
        assert {r.status_code for r in responses[10:]} == {200}
        company = ids.decode(s.company_id)
        assert await s.db.fetchval("SELECT count(*) FROM invoices WHERE company_id = $1", company) == 1
        assert await s.db.fetchval("SELECT count(DISTINCT number) FROM tasks WHERE company_id = $1", company) == 15
