"""PUT /api/v1/company_users/{user}: the web app saves table columns and preferences here; and
PUT /company_users/{user}/preferences, which answers with the user."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import ids
from app.services import REGISTRY, service_for
from app.services.accounts import company_users

from .endpoints import principal
from .params import read_body
from .responses import item


async def update(request: Request) -> Response:
    body, _ = await read_body(request)
    user_id = ids.decode(request.path_params["id"], "Company user")
    row = await company_users.update(request.app.state.db, principal(request), user_id, body)
    # This process forgets the member's cached tokens at once, after the commit (before it, a racing request
    # could cache the old rights again); the other processes hear the notification sent when rights change.
    request.app.state.tokens.forget_user(user_id)
    return item(row)


async def preferences(request: Request) -> Response:
    body, _ = await read_body(request)
    user_id = ids.decode(request.path_params["id"], "Company user")
    who, db = principal(request), request.app.state.db
    await company_users.save_preferences(db, who, user_id, body)
    include = request.query_params.get("include", "")
    users = service_for(REGISTRY["user"], db)
    return item(users.item(await users.get(who, user_id, include), include).data)


ROUTES = [
    Route("/api/v1/company_users/{id}/preferences", preferences, methods=["PUT", "POST"]),
    Route("/api/v1/company_users/{id}", update, methods=["PUT", "PATCH", "POST"]),
]
