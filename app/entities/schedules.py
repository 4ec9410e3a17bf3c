"""Task schedulers (upstream's `schedulers`, SchedulerTransformer): a template the job engine will run, how
often, from when, with its parameters. The rules (templates, parameters per template, the next run) live in
app/services/schedules/; nothing runs them yet."""

from __future__ import annotations

from . import filters as f
from .spec import Entity, Field, boolean, date, integer, obj, ref, text, ts

TEMPLATES = ("email_statement", "email_record", "email_report")

task_scheduler = Entity(
    "task_scheduler",
    "schedulers",
    plural="task_schedulers",
    label="Scheduler",
    fields=(
        Field("id", "id", writable=False),
        ref("user_id", "user", writable=False, internal=True),  # for the owner-only reads of limited users
        text("name"),
        Field("frequency_id", "code", writable=False, default="5"),  # checked in the service (1..12; 0 once)
        # next_run is the date the user chose (upstream emits next_run_client as next_run); the service keeps
        # the UTC moment it falls due in the next_run column
        date("next_run", column="next_run_client"),
        Field("next_run_client", "date", writable=False),
        text("template", choices=TEMPLATES),
        boolean("is_paused"),
        obj("parameters"),
        integer("remaining_cycles", default=-1),
        boolean("is_deleted", writable=False),
        ts("updated_at"),
        ts("created_at"),
        ts("archived_at", column="deleted_at"),
    ),
    search="({t}.name ILIKE ?)",
    filters=(f.search("({t}.name ILIKE ?)"), *f.common()),
    sorts={
        "id": "{t}.id",
        "name": "lower({t}.name)",
        "next_run": "{t}.next_run",
        "template": "{t}.template",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
)
