"""Projects, tasks and task statuses: numbering, the task rate's defaults, the time log and its actions,
the kanban's order, and invoicing tasks."""
