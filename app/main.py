"""create_app(settings) -> the Starlette application: REST, GraphQL, the header contract, the lifespan.

The top of the layer order (see tests/test_layers.py): the one module that assembles the edges (rest,
graph) with the ASGI layer (middleware, idempotency) and the process-wide pieces (pool, token cache,
revocation listener, throttle purge)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from graph.app import build as graphql_app
from rest.errors import HANDLERS
from rest.routes import routes

from . import ids
from .auth import TokenCache
from .db import Db
from .idempotency import Idempotency
from .middleware import HeaderContract
from .revocation import Listener
from .services.accounts import throttle
from .settings import Settings, activate


def create_app(settings: Settings, db: Db | None = None) -> Starlette:
    activate(settings)
    ids.configure(settings.hash_salt)
    database = db or Db(
        settings.database_url,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        acquire_timeout=settings.pool_timeout,
    )
    owns_db = db is None
    tokens = TokenCache(settings.token_cache_seconds)
    listener = Listener(database, tokens)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if owns_db:
            await database.connect()
        try:
            async with listener, throttle.purging(database):
                yield
        finally:
            if owns_db:
                await database.disconnect()

    gql = graphql_app(settings)
    app = Starlette(
        routes=[*routes(), Route("/graphql", gql, methods=["GET", "POST"])],
        # Idempotency runs inside the header contract: the principal (and so the company) is known.
        middleware=[
            Middleware(HeaderContract, settings=settings, db=database, tokens=tokens),
            Middleware(Idempotency, settings=settings, db=database),
        ],
        exception_handlers=HANDLERS,
        lifespan=lifespan,
    )
    app.state.db = database
    app.state.tokens = tokens
    app.state.revocation = listener
    app.state.settings = settings
    return app
