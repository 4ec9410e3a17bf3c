"""`POST /api/v1/tasks/sort`: the kanban's order of statuses and tasks. Registered before the generic task
routes (its literal path would otherwise reach `POST /tasks/{id}`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.services import REGISTRY
from app.services.projects.tasks import TaskService

from .endpoints import principal, service
from .params import read_body
from .responses import JSON

TASK = REGISTRY["task"]


async def sort(request: Request) -> Response:
    body, _ = await read_body(request)
    svc = service(request, TASK)
    assert isinstance(svc, TaskService)
    return JSON({"message": await svc.sort(principal(request), body)})


ROUTES = [Route(f"/api/v1/{TASK.path}/sort", sort, methods=["POST"])]
