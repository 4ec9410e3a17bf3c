"""Routes grouped by their resource segment, so a request is matched against its own resource's few routes.

Starlette tries every route's regular expression in order; with ~150 routes that cost up to ~60 us a
request. `Dispatch` finds the request's `Group` with one dict lookup on the path's resource prefix, and the
group tries only its own routes, in their original order, so behaviour (literal paths first, 405 on a
wrong verb) is kept.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

API = "/api/v1/"
CHOSEN = "lightninja.route"


def resource(path: str) -> str:
    """`/api/v1/clients/{id}` -> `/api/v1/clients`; any other path is its own group."""
    if not path.startswith(API):
        return path
    return API + path[len(API) :].split("/", 1)[0]


class Group(BaseRoute):
    def __init__(self, prefix: str, routes: list[BaseRoute]) -> None:
        self.prefix = prefix
        self.routes = routes
        self.path = prefix

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope["path"]
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return Match.NONE, {}
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child, CHOSEN: route}
            if match is Match.PARTIAL and partial is None:
                partial = (route, child)
        if partial is not None:
            return Match.PARTIAL, {**partial[1], CHOSEN: partial[0]}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[CHOSEN].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return _first_url(self.routes, name, path_params)


class Dispatch(BaseRoute):
    """One route standing for every group: the request's resource prefix picks the group."""

    def __init__(self, groups: list[Group]) -> None:
        self.routes: list[BaseRoute] = list(groups)
        self.by_prefix = {group.prefix: group for group in groups}

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        group = self.by_prefix.get(resource(scope["path"]))
        return group.matches(scope) if group is not None else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[CHOSEN].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return _first_url(self.routes, name, path_params)


def _first_url(routes: list[BaseRoute], name: str, path_params: dict[str, Any]) -> URLPath:
    for route in routes:
        try:
            return route.url_path_for(name, **path_params)
        except NoMatchFound:
            continue
    raise NoMatchFound(name, path_params)


def grouped(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Keep the routes' order within each resource; one Dispatch finds the group."""
    groups: dict[str, list[BaseRoute]] = {}
    for route in routes:
        key = resource(route.path) if isinstance(route, Route) else getattr(route, "path", "")
        groups.setdefault(key, []).append(route)
    return [Dispatch([Group(prefix, members) for prefix, members in groups.items()])]


def flat(routes: list[BaseRoute]) -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for route in routes:
        out += flat(route.routes) if isinstance(route, (Group, Dispatch)) else [route]
    return out
