"""Tasks and task statuses over REST: the time log as upstream stores it and its checks (exact messages),
duration and is_running derived, the rate's defaults, the timer (flags, body action, bulk), links checked
against the company and the project, the kanban's sort, bulk `invoice` and its line notes, the default
statuses of a new company, and the statuses' own rules."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from members import add_member
from test_invoices import make_client
from test_projects import make_project, make_task

from app import ids
from app.db import Db

BASE = "/api/v1/tasks"
STATUSES = "/api/v1/task_statuses"
TRANSFORMER_KEYS = {
    "id",
    "user_id",
    "assigned_user_id",
    "number",
    "description",
    "duration",
    "rate",
    "created_at",
    "updated_at",
    "archived_at",
    "invoice_id",
    "client_id",
    "project_id",
    "status_id",
    "is_deleted",
    "time_log",
    "is_running",
    "custom_value1",
    "custom_value2",
    "custom_value3",
    "custom_value4",
    "status_sort_order",
    "is_date_based",
    "status_order",
    "date",
    "documents",
    "project",
}


def invalid(message: str) -> dict[str, Any]:
    return {"message": "The given data was invalid.", "errors": {"time_log": [message]}}


async def statuses(api: Any) -> list[dict[str, Any]]:
    r = await api.get(f"{STATUSES}?sort=status_order|asc")
    assert r.status_code == 200
    return r.json()["data"]  # type: ignore[no-any-return]


async def test_a_new_company_has_upstreams_four_statuses(api: Any) -> None:
    rows = await statuses(api)
    assert [(s["name"], s["status_order"]) for s in rows] == [
        ("Backlog", 1),
        ("Ready to do", 2),
        ("In progress", 3),
        ("Done", 4),
    ]
    assert all(v is not None for s in rows for v in s.values())


async def test_create_answers_the_upstream_shape(api: Any) -> None:
    client = await make_client(api)
    data = await make_task(
        api, client_id=client["id"], description="  Design  ", time_log='[[1725170400,1725174000,"design",true]]'
    )
    assert set(data) == TRANSFORMER_KEYS - {"project"}  # no project: the include has nothing to show
    assert all(v is not None for v in data.values())
    assert data["time_log"] == '[[1725170400,1725174000,"design",true]]'
    assert (data["duration"], data["is_running"], data["description"]) == (3600, False, "Design")
    assert (data["number"], data["invoice_id"], data["project_id"]) == ("0001", "", "")
    assert data["status_id"] == (await statuses(api))[0]["id"]  # the first column
    assert data["date"] == datetime.fromtimestamp(1725170400, ZoneInfo("Pacific/Midway")).date().isoformat()
    assert (await make_task(api))["number"] == "0002"
    r = await api.get(f"{BASE}/create")
    assert r.status_code == 200 and r.json()["data"]["time_log"] == "[]"


async def test_task_writes_log_upstreams_activities(api: Any, db: Db) -> None:
    task = await make_task(api, description="logged")
    await api.put(f"{BASE}/{task['id']}", json={"description": "edited"})
    await api.post(f"{BASE}/bulk", json={"action": "archive", "ids": [task["id"]]})
    types = await db.fetch(
        "SELECT activity_type_id FROM activities WHERE task_id = $1 ORDER BY id", ids.decode(task["id"])
    )
    assert [r["activity_type_id"] for r in types] == [42, 43, 44]


async def test_a_real_array_is_taken_and_entries_are_sorted_and_completed(api: Any) -> None:
    data = await make_task(api, time_log=[[5000, 6000], [1000, 2000, "first", False]], rate=None, status_order=None)
    assert json.loads(data["time_log"]) == [[1000, 2000, "first", False], [5000, 6000, "", True]]
    assert data["duration"] == 2000


@pytest.mark.parametrize(
    ("log", "message"),
    [
        ("not json", "The time log must be a JSON array of [start, end, description, billable] entries."),
        ('{"a": 1}', "The time log must be a JSON array of [start, end, description, billable] entries."),
        ("[[1]]", "The time log must be a JSON array of [start, end, description, billable] entries."),
        ('[["1", 2]]', "The start of time log entry 1 must be an integer (unix seconds)."),
        ("[[1, false]]", "The end of time log entry 1 must be an integer (unix seconds)."),
        ("[[1, 2], [-5, 3]]", "The start of time log entry 2 is out of range."),
        ("[[10, 5]]", "Time log entry 1 ends before it starts."),
        ("[[1, 0], [5, 0]]", "The time log may have only one running entry."),
        ("[[1, 0], [100, 200]]", "Only the last time log entry may be running (end 0)."),
        ("[[4, 5], [3, 50]]", "Time log entries may not overlap."),  # upstream's testTimeLogChecker
        ("[[1, 10], [20, 30], [25, 0]]", "Time log entries may not overlap."),
        ("[[1, 2, 3]]", "The description of time log entry 1 must be a string."),
        ('[[1, 2, "x", "yes"]]', "The billable flag of time log entry 1 must be true or false."),
        ("[" * 100000, "The time log must be a JSON array of [start, end, description, billable] entries."),
        ("[[1.5, 2]]", "The start of time log entry 1 must be an integer (unix seconds)."),
        (
            "[[1, 99999999999999999999]]",
            "The end of time log entry 1 must be an integer (unix seconds).",
        ),
    ],
)
async def test_a_bad_time_log_is_a_422_that_changes_nothing(api: Any, db: Db, log: str, message: str) -> None:
    task = await make_task(api, time_log="[[1,3]]")
    r = await api.post(BASE, json={"time_log": log})
    assert r.status_code == 422 and r.json() == invalid(message)
    r = await api.put(f"{BASE}/{task['id']}", json={"time_log": log, "description": "changed"})
    assert r.status_code == 422 and r.json() == invalid(message)
    row = await db.fetchrow("SELECT time_log, description FROM tasks WHERE id = $1", ids.decode(task["id"]))
    assert (row["time_log"], row["description"]) == ('[[1,3,"",true]]', "")
    assert await db.fetchval("SELECT count(*) FROM tasks WHERE company_id = $1", await _company(db, task)) == 1


async def _company(db: Db, task: dict[str, Any]) -> int:
    return int(await db.fetchval("SELECT company_id FROM tasks WHERE id = $1", ids.decode(task["id"])))


async def test_upstreams_passing_log_and_a_running_entry(api: Any) -> None:
    data = await make_task(api, time_log="[[1,3],[50,0]]")
    assert data["is_running"] is True
    assert data["duration"] >= int(time.time()) - 50 + 2 - 5
    r = await api.put(f"{BASE}/{data['id']}", json={"description": "no log in the body keeps it"})
    assert r.json()["data"]["time_log"] == '[[1,3,"",true],[50,0,"",true]]'


async def test_rate_defaults_task_then_project_then_client_then_company(api: Any, db: Db, tenant_a: Any) -> None:
    company = ids.decode(tenant_a.company_id)
    await db.execute(
        "UPDATE companies SET settings = settings || '{\"default_task_rate\": 15}'::jsonb WHERE id = $1", company
    )
    plain = await make_client(api, "Plain")
    special = await make_client(api, "Special", settings={"currency_id": "1", "default_task_rate": 40})
    project = await make_project(api, plain["id"], task_rate=70)
    assert (await make_task(api, rate=5, project_id=project["id"]))["rate"] == 5
    assert (await make_task(api, project_id=project["id"]))["rate"] == 70
    assert (await make_task(api, client_id=special["id"]))["rate"] == 40
    assert (await make_task(api, client_id=plain["id"], rate=0))["rate"] == 15
    assert (await make_task(api))["rate"] == 15


async def test_the_project_fixes_the_client(api: Any) -> None:
    mine = await make_client(api, "Mine")
    other = await make_client(api, "Other")
    project = await make_project(api, mine["id"])
    task = await make_task(api, project_id=project["id"])
    assert task["client_id"] == mine["id"] and task["project"]["id"] == project["id"]
    r = await api.post(BASE, json={"project_id": project["id"], "client_id": other["id"]})
    assert r.status_code == 422
    assert r.json()["errors"] == {"project_id": ["The project does not belong to the selected client."]}
    r = await api.put(f"{BASE}/{task['id']}", json={"client_id": other["id"]})
    assert r.status_code == 422


@pytest.mark.parametrize("field", ["client_id", "project_id", "status_id"])
async def test_another_companys_links_are_like_missing_ones(api: Any, api_b: Any, field: str) -> None:
    foreign_client = await make_client(api_b, "Foreign")
    foreign = {
        "client_id": foreign_client["id"],
        "project_id": (await make_project(api_b, foreign_client["id"]))["id"],
        "status_id": (await statuses(api_b))[0]["id"],
    }[field]
    task = await make_task(api)
    for body in ({field: foreign}, {field: ids.encode(99999999)}):
        r = await api.post(BASE, json=body)
        assert r.status_code == 422, r.text
        label = field.replace("_", " ")
        assert r.json()["errors"] == {field: [f"The selected {label} is invalid."]}
        r = await api.put(f"{BASE}/{task['id']}", json=body)
        assert r.status_code == 422 and r.json()["errors"] == {field: [f"The selected {label} is invalid."]}


async def test_timer_flags_body_actions_and_bulk(api: Any) -> None:
    r = await api.post(f"{BASE}?start=true", json={"description": "Timer"})
    task = r.json()["data"]
    assert task["is_running"] is True and len(json.loads(task["time_log"])) == 1
    r = await api.put(f"{BASE}/{task['id']}?stop=true", json={})
    log = json.loads(r.json()["data"]["time_log"])
    assert r.json()["data"]["is_running"] is False and log[0][1] >= log[0][0] > 0
    r = await api.put(f"{BASE}/{task['id']}", json={"action": "resume"})
    assert r.json()["data"]["is_running"] is True and len(json.loads(r.json()["data"]["time_log"])) == 2
    r = await api.post(f"{BASE}/bulk", json={"action": "stop", "ids": [task["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["is_running"] is False
    r = await api.post(f"{BASE}/bulk", json={"action": "start", "ids": [task["id"]]})
    assert r.json()["data"][0]["is_running"] is True
    r = await api.post(f"{BASE}/bulk", json={"action": "start", "ids": [task["id"]]})  # already running: one entry
    assert len(json.loads(r.json()["data"][0]["time_log"])) == 3
    r = await api.post(f"{BASE}/bulk", json={"action": "dance", "ids": [task["id"]]})
    assert r.status_code == 422


async def test_kanban_sort(api: Any, api_b: Any, db: Db) -> None:
    columns = await statuses(api)
    backlog, ready, doing, done = (s["id"] for s in columns)
    one, two, three = [await make_task(api, description=d) for d in ("one", "two", "three")]
    body = {
        "status_ids": [done, doing, ready, backlog],
        "task_ids": {doing: [three["id"], one["id"]], done: [two["id"]]},
    }
    r = await api.post(f"{BASE}/sort", json=body)
    assert r.status_code == 200 and r.json() == {"message": "Ok"}
    assert [s["name"] for s in await statuses(api)] == ["Done", "In progress", "Ready to do", "Backlog"]
    r = await api.get(f"{BASE}?sort=status_order|asc&task_status={doing}")
    assert [(t["description"], t["status_order"]) for t in r.json()["data"]] == [("three", 0), ("one", 1)]
    r = await api.get(f"{BASE}/{two['id']}?include=status")
    assert r.json()["data"]["status"]["name"] == "Done"
    before = await db.fetch("SELECT id, status_id, status_order FROM tasks ORDER BY id")
    foreign_task = await make_task(api_b)
    foreign_status = (await statuses(api_b))[0]["id"]
    for bad, field in (
        ({"status_ids": [foreign_status]}, "status_ids"),
        ({"task_ids": {foreign_status: [one["id"]]}}, "status_ids"),
        ({"task_ids": {done: [foreign_task["id"]]}}, "task_ids"),
        ({"task_ids": {done: [one["id"]], doing: [one["id"]]}}, "task_ids"),
        ({"status_ids": "nope"}, "status_ids"),
    ):
        r = await api.post(f"{BASE}/sort", json={"status_ids": [], **bad})
        assert r.status_code == 422 and list(r.json()["errors"]) == [field], r.text
    after = await db.fetch(
        "SELECT id, status_id, status_order FROM tasks WHERE id <> $1 ORDER BY id", ids.decode(foreign_task["id"])
    )
    assert [dict(r) for r in after] == [dict(r) for r in before]


async def test_filters_and_sorts(api: Any) -> None:
    client = await make_client(api, "Zork")
    project = await make_project(api, client["id"], name="Moonshot")
    billed = await make_task(api, project_id=project["id"], description="billed", time_log="[[1,3601]]")
    await make_task(api, description="loose", time_log="[[1,7201]]")
    await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [billed["id"]]})
    r = await api.get(f"{BASE}?client_status=invoiced")
    assert [t["description"] for t in r.json()["data"]] == ["billed"]
    r = await api.get(f"{BASE}?client_status=uninvoiced")
    assert [t["description"] for t in r.json()["data"]] == ["loose"]
    r = await api.get(f"{BASE}?project_tasks={project['id']}")
    assert [t["description"] for t in r.json()["data"]] == ["billed"]
    r = await api.get(f"{BASE}?filter=moonshot")
    assert [t["description"] for t in r.json()["data"]] == ["billed"]
    r = await api.get(f"{BASE}?sort=duration|desc")
    assert [t["description"] for t in r.json()["data"]] == ["loose", "billed"]


async def test_bulk_invoice_of_tasks_lines_follow_the_company_settings(api: Any, db: Db, tenant_a: Any) -> None:
    company = ids.decode(tenant_a.company_id)
    await db.execute(
        'UPDATE companies SET attributes = attributes || \'{"invoice_task_hours": true, '
        '"invoice_task_project": true}\'::jsonb WHERE id = $1',
        company,
    )
    client = await make_client(api)
    project = await make_project(api, client["id"], name="Apollo")
    start = 1725170400
    task = await make_task(
        api,
        project_id=project["id"],
        description="Design",
        rate=80,
        time_log=f'[[{start},{start + 5400},"mockups",true],[{start + 6000},{start + 9600},"skipped",false]]',
    )
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [task["id"]]})
    assert r.status_code == 200, r.text
    line = r.json()["data"]["line_items"][0]
    zone = ZoneInfo("Pacific/Midway")  # the company's timezone id 1; date format 1 is d/M/Y
    begin, end = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(start + 5400, zone)
    detail = (
        f'<div class="task-time-details"> {begin:%d/%b/%Y} {begin:%I:%M:%S %p} -  {end:%I:%M:%S %p} '
        "• 1.5000 hours mockups </div>"  # the line's notes are stored trimmed
    )
    assert line["notes"] == f"## Apollo\nDesign {detail}"
    assert (line["quantity"], line["cost"], line["line_total"]) == (1.5, 80.0, 120.0)
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [task["id"]]})
    assert r.status_code == 422 and r.json()["errors"] == {"ids": ["There are no uninvoiced tasks to invoice."]}


async def test_bulk_invoice_needs_one_client(api: Any) -> None:
    a = await make_task(api, client_id=(await make_client(api, "A"))["id"])
    b = await make_task(api, client_id=(await make_client(api, "B"))["id"])
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [a["id"], b["id"]]})
    assert r.status_code == 422 and r.json()["errors"] == {
        "ids": ["The tasks to invoice must all belong to one client."]
    }
    r = await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [(await make_task(api))["id"]]})
    assert r.status_code == 422 and r.json()["errors"] == {"ids": ["A task needs a client to be invoiced."]}


async def test_invoiced_tasks_do_not_start_and_lock_when_the_company_says_so(api: Any, db: Db, tenant_a: Any) -> None:
    client = await make_client(api)
    task = await make_task(api, client_id=client["id"], time_log="[[1,3601]]")
    await api.post(f"{BASE}/bulk", json={"action": "invoice", "ids": [task["id"]]})
    r = await api.put(f"{BASE}/{task['id']}?start=true", json={})
    assert r.status_code == 422 and r.json() == invalid("An invoiced task cannot be started.")
    r = await api.post(f"{BASE}/bulk", json={"action": "start", "ids": [task["id"]]})
    assert r.status_code == 200 and r.json()["data"][0]["is_running"] is False
    await db.execute(
        "UPDATE companies SET attributes = attributes || '{\"invoice_task_lock\": true}'::jsonb WHERE id = $1",
        ids.decode(tenant_a.company_id),
    )
    r = await api.put(f"{BASE}/{task['id']}", json={"description": "late edit"})
    assert r.status_code == 403 and r.json()["message"] == "Insufficient permissions, or task may be locked"


async def test_task_statuses_rules(api: Any, db: Db, tenant_a: Any) -> None:
    r = await api.post(STATUSES, json={"name": "backlog"})
    assert r.status_code == 422 and r.json()["errors"] == {"name": ["The name has already been taken."]}
    r = await api.post(STATUSES, json={"color": "#000"})
    assert r.status_code == 422 and r.json()["errors"] == {"name": ["The name field is required."]}
    r = await api.post(STATUSES, json={"name": "Review", "color": "#abc"})
    review = r.json()["data"]
    assert (review["status_order"], review["color"]) == (5, "#abc")
    r = await api.put(f"{STATUSES}/{review['id']}", json={"status_order": 2})
    assert r.status_code == 200
    assert [(s["name"], s["status_order"]) for s in await statuses(api)] == [
        ("Backlog", 1),
        ("Review", 2),
        ("Ready to do", 3),
        ("In progress", 4),
        ("Done", 5),
    ]
    _, token = await add_member(db, tenant_a.company_id, "clerk@example.test", "view_task,create_all,edit_all")
    r = await api.post(STATUSES, json={"name": "Nope"}, headers={"X-API-TOKEN": token})
    assert r.status_code == 403
    r = await api.get(STATUSES, headers={"X-API-TOKEN": token})
    assert r.status_code == 200 and len(r.json()["data"]) == 5


async def test_an_invoice_saved_with_task_lines_bills_them_as_the_web_app_does(api: Any, api_b: Any) -> None:
    client = await make_client(api)
    task = await make_task(api, client_id=client["id"], rate=10, time_log="[[1,3601]]")
    other_client_task = await make_task(api, client_id=(await make_client(api, "Else"))["id"])
    foreign = await make_task(api_b, client_id=(await make_client(api_b, "Far"))["id"])
    lines = [
        {"type_id": "2", "task_id": t["id"], "quantity": 1, "cost": 10} for t in (task, other_client_task, foreign)
    ]
    r = await api.post("/api/v1/invoices", json={"client_id": client["id"], "line_items": lines})
    assert r.status_code == 200, r.text
    invoice = r.json()["data"]["id"]

    async def billed(http: Any, t: dict[str, Any]) -> str:
        return (await http.get(f"{BASE}/{t['id']}")).json()["data"]["invoice_id"]  # type: ignore[no-any-return]

    assert await billed(api, task) == invoice
    assert await billed(api, other_client_task) == "" and await billed(api_b, foreign) == ""
    r = await api.put(f"/api/v1/invoices/{invoice}", json={"line_items": [{"quantity": 1, "cost": 5}]})
    assert r.status_code == 200 and await billed(api, task) == ""
    r = await api.put(f"/api/v1/invoices/{invoice}", json={"line_items": lines[:1]})
    assert await billed(api, task) == invoice
    r = await api.post("/api/v1/invoices/bulk", json={"action": "delete", "ids": [invoice]})
    assert r.status_code == 200 and await billed(api, task) == ""


async def test_graphql_starts_a_task_and_invoices_it_in_bulk(api: Any) -> None:
    client = await make_client(api)
    query = "mutation($in: JSON!) { createTask(input: $in, start: true) { id isRunning clientId } }"
    r = await api.post("/graphql", json={"query": query, "variables": {"in": {"client_id": client["id"]}}})
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    task = r.json()["data"]["createTask"]
    assert task["isRunning"] is True and task["clientId"] == client["id"]
    await api.put(f"{BASE}/{task['id']}", json={"time_log": "[[1,3601]]"})
    query = 'mutation($ids: [HashID!]!) { bulkTasks(action: "invoice", ids: $ids) { invoiceId } }'
    r = await api.post("/graphql", json={"query": query, "variables": {"ids": [task["id"]]}})
    assert r.status_code == 200 and r.json()["data"]["bulkTasks"][0]["invoiceId"] != "", r.text


async def test_entries_are_rounded_as_the_company_says(api: Any, db: Db, tenant_a: Any) -> None:
    await db.execute(
        "UPDATE companies SET settings = settings || '{\"task_round_to_nearest\": 900}'::jsonb WHERE id = $1",
        ids.decode(tenant_a.company_id),
    )
    up = await make_task(api, time_log="[[0,100],[1000,1900],[5000,0]]")
    assert json.loads(up["time_log"]) == [[0, 900, "", True], [1000, 1900, "", True], [5000, 0, "", True]]
    await db.execute(
        "UPDATE companies SET settings = settings || '{\"task_round_up\": false}'::jsonb WHERE id = $1",
        ids.decode(tenant_a.company_id),
    )
    down = await make_task(api, time_log="[[10,110],[1000,2900]]")
    assert json.loads(down["time_log"]) == [[10, 10, "", True], [1000, 2800, "", True]]
    assert down["is_running"] is False
    from_zero = await make_task(api, time_log="[[0,100]]")
    assert from_zero["is_running"] is False and json.loads(from_zero["time_log"]) == [[0, 100, "", True]]


async def test_kanban_needs_the_edit_permission(api: Any, db: Db, tenant_a: Any) -> None:
    task = await make_task(api)
    column = (await statuses(api))[1]["id"]
    _, token = await add_member(db, tenant_a.company_id, "viewer@example.test", "view_task")
    body = {"status_ids": [column], "task_ids": {column: [task["id"]]}}
    r = await api.post(f"{BASE}/sort", json=body, headers={"X-API-TOKEN": token})
    assert r.status_code == 403
    r = await api.get(f"{BASE}/{task['id']}")
    assert r.json()["data"]["status_id"] != column
