"""Projects, tasks and task statuses (upstream ProjectTransformer / TaskTransformer / TaskStatusTransformer).

A task's `time_log` is the JSON text upstream stores: an array of [start, end, description, billable] in
unix seconds, end 0 while running. The services write it only validated and compact, so `duration`,
`is_running` and a project's `current_hours` are derived from it here in SQL. The rules (numbering, the
rate's defaults, the links checked, the actions, invoicing) live in app/services/projects/.
"""

from __future__ import annotations

from .. import ids
from . import filters as f
from .common import standard
from .expenses import NAME_OF, NUMERIC_NUMBER
from .spec import Built, Entity, Field, Filter, Relation, custom_values, date, integer, ref, text

Fk = Field  # a foreign key a service sets (never a client's to write)

# seconds of one task's closed entries, a running entry counted up to now (upstream Task::calcDuration)
DURATION = (
    "COALESCE((SELECT sum(CASE WHEN (e->>1)::bigint = 0 "
    "THEN GREATEST(EXTRACT(EPOCH FROM now())::bigint - (e->>0)::bigint, 0) "
    "ELSE (e->>1)::bigint - (e->>0)::bigint END) FROM jsonb_array_elements({t}.time_log::jsonb) e), 0)::bigint"
)
RUNNING = "EXISTS (SELECT 1 FROM jsonb_array_elements({t}.time_log::jsonb) e WHERE (e->>1)::bigint = 0)"
# hours of the project's live tasks, rounded (upstream TaskRepository::calculateProjectDuration)
CURRENT_HOURS = (
    "COALESCE((SELECT round(sum(" + DURATION.format(t="x") + ") / 3600.0) FROM tasks x "
    "WHERE x.company_id = {t}.company_id AND x.project_id = {t}.id AND x.deleted_at IS NULL), 0)::int"
)
CLIENT_NAME = NAME_OF.format(table="clients", column="client_id")
PROJECT_NAME = NAME_OF.format(table="projects", column="project_id")
PROJECT_SEARCH = (
    "({t}.name ILIKE ? OR {t}.public_notes ILIKE ? OR {t}.private_notes ILIKE ? OR " + CLIENT_NAME + " ILIKE ?)"
)
TASK_SEARCH = (
    "("
    + " OR ".join(f"{{t}}.{c} ILIKE ?" for c in ("description", "time_log", *(f"custom_value{i}" for i in range(1, 5))))
    + f" OR {PROJECT_NAME} ILIKE ? OR {CLIENT_NAME} ILIKE ? OR EXISTS (SELECT 1 FROM client_contacts cc "
    "WHERE cc.company_id = {t}.company_id AND cc.client_id = {t}.client_id AND "
    "(cc.first_name ILIKE ? OR cc.last_name ILIKE ? OR cc.email ILIKE ?)))"
)
# upstream TaskFilters::client_status
TASK_STATUS = {"invoiced": "({t}.invoice_id IS NOT NULL)", "uninvoiced": "({t}.invoice_id IS NULL)"}
STAMPS = {"created_at": "{t}.created_at", "updated_at": "{t}.updated_at", "archived_at": "{t}.deleted_at"}


def _task_statuses(v: str) -> Built | None:
    """`task_status=HID,HID`: tasks in one of these statuses that are not invoiced (upstream)."""
    wanted = [ids.decode_or_none(s.strip()) for s in v.split(",") if s.strip()]
    if not wanted:
        return None
    chosen = [w for w in wanted if w is not None]
    return ("({t}.status_id = ANY(?::bigint[]) AND {t}.invoice_id IS NULL)", (chosen,))


project = Entity(
    "project",
    "projects",
    label="Project",
    documents=True,
    number_counter="project",
    fields=(
        *standard(),
        ref("client_id", "client"),
        text("name"),
        text("number"),
        Field("task_rate", "money", writable=True),
        Field("budgeted_hours", "money", writable=True),
        date("due_date"),
        text("color", 32, default="#fff"),
        text("private_notes", 65535),
        text("public_notes", 65535),
        *custom_values(),
        Field("current_hours", "int", writable=False, expr=CURRENT_HOURS),
    ),
    search=PROJECT_SEARCH,
    filters=(f.search(PROJECT_SEARCH), f.eq("number"), f.ref_eq("client_id"), f.like("name"), *f.common()),
    sorts={
        "id": "{t}.id",
        "name": "lower({t}.name)",
        "number": NUMERIC_NUMBER,
        "client_id": CLIENT_NAME,
        "task_rate": "{t}.task_rate",
        "budgeted_hours": "{t}.budgeted_hours",
        "due_date": "{t}.due_date",
        "current_hours": CURRENT_HOURS,
        **STAMPS,
    },
    relations=(
        Relation("documents", "document", morph="projects"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("tasks", "task", fk="project_id", where="{t}.deleted_at IS NULL"),
        Relation("invoices", "invoice", fk="project_id"),
    ),
    default_includes=("documents",),
    bulk_actions=("archive", "restore", "delete", "invoice"),
)

task_status = Entity(
    "task_status",
    "task_statuses",
    plural="task_statuses",
    label="Task status",
    fields=(*standard(assigned=False), text("name"), text("color", 32), integer("status_order")),
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), *f.common()),
    sorts={"id": "{t}.id", "name": "lower({t}.name)", "status_order": "{t}.status_order", **STAMPS},
    default_order="{t}.status_order, {t}.id",
)

task = Entity(
    "task",
    "tasks",
    label="Task",
    documents=True,
    number_counter="task",
    fields=(
        *standard(),
        text("number"),
        text("description", 65535),
        Field("duration", "int", writable=False, expr=DURATION),
        Field("rate", "money", writable=True),
        Fk("invoice_id", "ref", writable=False),
        ref("client_id", "client"),
        ref("project_id", "project"),
        ref("status_id", "task_status"),
        # the JSON text as stored; the service reads and validates it from the body itself
        Field("time_log", "text", writable=False, default="[]"),
        Field("is_running", "bool", writable=False, expr=RUNNING, default=False),
        *custom_values(),
        integer("status_order"),
        integer("status_sort_order", writable=False),
        Field("is_date_based", "bool", default=False),
        date("date", column="calculated_start_date", writable=False),
    ),
    search=TASK_SEARCH,
    filters=(
        f.search(TASK_SEARCH),
        f.client_status(TASK_STATUS),
        f.ref_eq("project_tasks", "project_id"),
        f.ref_eq("project_id"),
        f.ref_eq("client_id"),
        f.ref_eq("user_id"),
        f.ref_eq("assigned_user", "assigned_user_id"),
        f.ref_eq("invoice_id"),
        f.eq("number"),
        Filter("task_status", _task_statuses),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "number": NUMERIC_NUMBER,
        "description": "lower({t}.description)",
        "client_id": CLIENT_NAME,
        "project_id": PROJECT_NAME,
        "rate": "{t}.rate",
        "duration": DURATION,
        "status_order": "{t}.status_order",
        "status_id": "{t}.status_id",
        "date": "{t}.calculated_start_date",
        **{f"custom_value{i}": f"lower({{t}}.custom_value{i})" for i in (1, 2, 3, 4)},
        **STAMPS,
    },
    relations=(
        Relation("documents", "document", morph="tasks"),
        Relation("project", "project", kind="one", local="project_id"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("status", "task_status", kind="one", local="status_id"),
        Relation("invoice", "invoice", kind="one", local="invoice_id"),
        Relation("activities", "activity", fk="task_id", order="{t}.id DESC"),
    ),
    default_includes=("documents", "project"),
    activity={"create": 42, "update": 43, "archive": 44, "delete": 45, "restore": 46},
    bulk_actions=("archive", "restore", "delete", "start", "stop", "resume", "invoice"),
)
