"""GraphQL edge: a strawberry schema generated from the entity registry, over the same services as REST.

    scalars.py  HashID (the contract's string ids) and JSON
    context.py  Context (principal, Db handle, dataloaders made lazily per (entity, relation)); Node, the
                services' shaped row
    types.py    one object type per registry entity, `<Type>Page` and `Pagination`
    fields.py   Query/Mutation fields per routed entity: list, get, create, update, bulk, actions
    errors.py   AppError -> extensions {code, status, errors}; anything else masked as "Server Error"
    schema.py   the Schema with its limits, caches and error mapping
    app.py      the ASGI view mounted at /graphql
    export.py   `python -m graph.export [--write]` -> schema.graphql (committed; a test checks drift)

Names use strawberry's default auto_camel_case: registry `id_number` is `idNumber`, `per_page` is `perPage`.
"""
