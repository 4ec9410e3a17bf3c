"""GraphQL edge: a strawberry schema generated from the entity registry, over the same services as REST.

    scalars.py  HashID (the contract's string ids) and JSON
    context.py  Context (principal, Db, dataloaders made lazily per (entity, relation)) and Node (shaped row)
    types.py    one object type per registry entity, `<Type>Page` and `Pagination`
    crud.py     Query/Mutation fields per routed entity: list, get, create, update, bulk
    errors.py   AppError -> extensions {code, status, errors}; anything else masked as "Server Error"
    schema.py   the Schema with its limits, caches and error mapping
    app.py      the ASGI view mounted at /graphql
    export.py   `python -m graph.export [--write]` -> schema.graphql (committed; a test checks drift)

Names use strawberry's default auto_camel_case: registry `id_number` is `idNumber`, `per_page` is `perPage`.
"""
from __future__ import annotations

from typing import Any


def graphql_app(settings: Any) -> Any:
    from .app import build
    return build(settings)
