"""Team, companies and one-time tokens: the routes beside the generic /users and /tokens ones (detach,
invite, reconfirm), the account's companies (list, create, current, default, upload, delete), and
/one_time_token and /password_timeout."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import ids
from app.services import REGISTRY, Item, Page, service_for
from app.services.accounts import company_admin, one_time, passwords
from app.services.accounts.users import UserService

from .endpoints import principal
from .params import merged, path_id, read_body
from .responses import JSON, collection, item, message
from .session import company_users_response

USER = REGISTRY["user"]


def _users(request: Request) -> UserService:
    svc = service_for(USER, request.app.state.db)
    assert isinstance(svc, UserService)
    return svc


async def detach(request: Request) -> Response:
    text = await _users(request).detach(principal(request), path_id(request, "User"))
    return message(text)


async def invite(request: Request) -> Response:
    await _users(request).reconfirm(principal(request), path_id(request, "User"), protected=True)


async def reconfirm(request: Request) -> Response:
    await _users(request).reconfirm(principal(request), path_id(request, "User"), protected=False)


# ---- companies ------------------------------------------------------------------------------------
def _company_id(request: Request) -> int:
    key = "company" if "company" in request.path_params else "id"
    return ids.decode(request.path_params[key], "Company")


async def list_companies(request: Request) -> Response:
    found = await company_admin.list_companies(request.app.state.db, principal(request))
    page = Page([Item(c, c) for c in found], len(found), 1, max(len(found), 20))
    return collection(request, page)


async def create_company(request: Request) -> Response:
    body, _ = await read_body(request)
    token_name = str(merged(request, body).get("token_name") or request.headers.get("user-agent", ""))[:191]
    entries = await company_admin.create(request.app.state.db, principal(request), body, token_name)
    return company_users_response(entries)


async def blank_company(request: Request) -> Response:
    company_admin.require_edit(principal(request))
    return item(company_admin.blank())


async def current_company(request: Request) -> Response:
    return item(await company_admin.current(request.app.state.db, principal(request)))


async def edit_company(request: Request) -> Response:
    who = principal(request)
    found = await company_admin.show(request.app.state.db, who, _company_id(request))
    company_admin.require_edit(who)
    return item(found)


async def default_company(request: Request) -> Response:
    return item(await company_admin.set_default(request.app.state.db, principal(request), _company_id(request)))


async def upload_company(request: Request) -> Response:
    body, files = await read_body(request)
    db = request.app.state.db
    found = await company_admin.upload(db, principal(request), _company_id(request), files, body.get("is_public"))
    return item(found)


async def delete_company(request: Request) -> Response:
    return message(await company_admin.delete(request.app.state.db, principal(request), _company_id(request)))


# ---- one-time tokens, the password window -----------------------------------------------------------
async def one_time_token(request: Request) -> Response:
    body, _ = await read_body(request)
    is_react = request.headers.get("x-react", "").lower() in ("1", "true")
    token = await one_time.issue(request.app.state.db, principal(request), merged(request, body), is_react)
    return JSON({"hash": token})


async def password_timeout(request: Request) -> Response:
    if await passwords.still_confirmed(request.app.state.db, principal(request)):
        return message("Password is valid")
    return JSON({"message": "Invalid Password", "errors": {}}, status_code=412)


ROUTES = [
    Route("/api/v1/users/{id}/detach_from_company", detach, methods=["DELETE"]),
    Route("/api/v1/users/{id}/invite", invite, methods=["POST"]),
    Route("/api/v1/users/{id}/reconfirm", reconfirm, methods=["POST"]),
    Route("/api/v1/user/{id}/reconfirm", reconfirm, methods=["POST"]),  # upstream's real (singular) path
    Route("/api/v1/companies", list_companies, methods=["GET"]),
    Route("/api/v1/companies", create_company, methods=["POST"]),
    Route("/api/v1/companies/create", blank_company, methods=["GET"]),
    Route("/api/v1/companies/current", current_company, methods=["POST"]),
    Route("/api/v1/companies/{id}/edit", edit_company, methods=["GET"]),
    Route("/api/v1/companies/{company}/default", default_company, methods=["POST"]),
    Route("/api/v1/companies/{id}/upload", upload_company, methods=["PUT", "POST"]),
    Route("/api/v1/companies/{id}", delete_company, methods=["DELETE"]),
    Route("/api/v1/one_time_token", one_time_token, methods=["POST"]),
    Route("/api/v1/password_timeout", password_timeout, methods=["POST"]),
]
