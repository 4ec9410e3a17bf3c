"""Query and Mutation fields generated per routed registry entity, each a thin call into the service core.

Query:    `<plural>(filter, status, sort, page, perPage, <entity filters>)` -> `<Type>Page` (service.page)
          `<singular>(id: HashID!)` -> `<Type>` (service.show)
Mutation: `create<Type>(input: JSON!)`, `update<Type>(id: HashID!, input: JSON!)` (the REST body, validated
          by the service; invoices, quotes and credits also take the flags their service reads, e.g.
          `markSent: true`, as REST's query string), `bulk<Plural>(action: String!, ids: [HashID!]!,
          input: JSON)` (resolve_ids + bulk, answering the affected rows) for every writable routed entity;
          `<singular>Action(id, action)` where the service performs single-document actions,
          `refundPayment(input: JSON!)` and `matchBankTransactions(input: JSON!)`.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import GenericAlias
from typing import Any, Protocol, get_args, runtime_checkable

import strawberry
from strawberry.types.field import StrawberryField

from app import ids
from app.auth import Principal
from app.errors import BadRequest, invalid
from app.services import REGISTRY, SERVICES, Entity, EntityService, service_for
from app.services.banking.transactions import BankTransactionService
from app.services.billing.flags import BillingFlags
from app.services.payments.service import PaymentService

from .context import Context
from .scalars import JSON, HashID
from .types import object_type, page_type

_P = inspect.Parameter
LIST_ARGS: dict[str, Any] = {
    "filter": str | None,
    "status": str | None,
    "sort": str | None,
    "page": int | None,
    "per_page": int | None,
}
FLAG_ARGS: dict[str, Any] = {
    "mark_sent": bool | None,
    "send_email": bool | None,
    "approve": bool | None,
    "paid": bool | None,
    "reference": str | None,
    "amount_paid": Decimal | None,
    "start": bool | None,
    "stop": bool | None,
}


@runtime_checkable
class Performs(Protocol):
    """The services that take single-document actions (invoices, quotes, credits)."""

    async def perform(self, who: Principal, entity_id: int, action: str, /) -> tuple[Entity, int] | str: ...


def _field(
    name: str, resolve: Callable[..., Awaitable[Any]], params: dict[str, Any], returns: Any, description: str
) -> StrawberryField:
    """A field whose GraphQL arguments are `params` (python name -> annotation, optional ones default
    to None), built as a signature so strawberry reads it like a hand-written resolver."""
    parameters = [_P("info", _P.KEYWORD_ONLY, annotation=strawberry.Info)]
    for pname, annotation in params.items():
        optional = type(None) in get_args(annotation)
        parameters.append(_P(pname, _P.KEYWORD_ONLY, annotation=annotation, **({"default": None} if optional else {})))
    # inspect.signature honours __signature__ on any callable; typeshed does not declare it on functions
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    resolve.__name__ = name
    # strawberry.field is typed to return the resolver's result type (so class bodies type-check), here Any
    return strawberry.field(resolver=resolve, description=description)  # type: ignore[no-any-return]


def _decode(entity: Entity, value: str) -> int:
    """A hashid that does not decode is the same 404 as a missing row."""
    return ids.decode(value, entity.title)


def _body(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("The input must be a JSON object.")
    return value


def _service_class(entity: Entity) -> type[EntityService]:
    """Which service class runs `entity` (no database: only the class is read)."""
    return SERVICES.get(entity.name, EntityService)  # as service_for picks it


def _flag_params(entity: Entity) -> dict[str, Any]:
    """The create/update flags the entity's service reads, as optional arguments (`markSent`, `amountPaid`)."""
    return {name: FLAG_ARGS[name] for name in _service_class(entity).flags_taken}


def _flags(svc: EntityService, args: dict[str, Any]) -> dict[str, Any]:
    """`flags=` for the service, read from the arguments the way REST reads its query string."""
    if not svc.flags_taken:
        return {}
    given = {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in args.items()
        if name in svc.flags_taken and value is not None
    }
    return {"flags": BillingFlags.parse(given)}


# ---- queries ---------------------------------------------------------------------------------------
def list_params(entity: Entity) -> dict[str, Any]:
    params = dict(LIST_ARGS)
    for flt in entity.filters:
        if flt.param.isidentifier() and not keyword.iskeyword(flt.param) and flt.param != "info":
            params.setdefault(flt.param, str | None)
    return params


def _list_field(entity: Entity) -> StrawberryField:
    async def resolve(info: strawberry.Info, **args: Any) -> dict[str, Any]:
        ctx: Context = info.context
        params = {k: str(v) for k, v in args.items() if v is not None}
        page = await service_for(entity, ctx.db).page(ctx.principal, params)
        return {
            "items": page.items,
            "pagination": {
                "total": page.total,
                "count": len(page.items),
                "per_page": page.per_page,
                "current_page": page.page,
                "total_pages": page.total_pages,
            },
        }

    return _field(
        entity.path,
        resolve,
        list_params(entity),
        page_type(entity),
        f"List {entity.path} (the filters of GET /api/v1/{entity.path}).",
    )


def _get_field(entity: Entity) -> StrawberryField:
    async def resolve(info: strawberry.Info, id: str) -> Any:
        ctx: Context = info.context
        return await service_for(entity, ctx.db).show(ctx.principal, _decode(entity, id))

    return _field(
        entity.name,
        resolve,
        {"id": HashID},
        object_type(entity) | None,
        f"One {entity.title.lower()} by id (404 when missing or not the caller's).",
    )


# ---- mutations -------------------------------------------------------------------------------------
def _create_field(entity: Entity) -> StrawberryField:
    async def resolve(info: strawberry.Info, input: Any, **flags: Any) -> Any:
        ctx: Context = info.context
        svc = service_for(entity, ctx.db)
        return svc.item(await svc.create(ctx.principal, _body(input), **_flags(svc, flags)))

    return _field(
        f"create_{entity.name}",
        resolve,
        {"input": JSON, **_flag_params(entity)},
        object_type(entity) | None,
        f"POST /api/v1/{entity.path}: `input` is the REST body"
        + (", the flags its query string." if _flag_params(entity) else "."),
    )


def _update_field(entity: Entity) -> StrawberryField:
    async def resolve(info: strawberry.Info, id: str, input: Any, **flags: Any) -> Any:
        ctx: Context = info.context
        svc = service_for(entity, ctx.db)
        return svc.item(await svc.update(ctx.principal, _decode(entity, id), _body(input), **_flags(svc, flags)))

    return _field(
        f"update_{entity.name}",
        resolve,
        {"id": HashID, "input": JSON, **_flag_params(entity)},
        object_type(entity) | None,
        f"PUT /api/v1/{entity.path}/{{id}}: `input` is the REST body"
        + (", the flags its query string." if _flag_params(entity) else "."),
    )


def _bulk_field(entity: Entity) -> StrawberryField:
    async def resolve(info: strawberry.Info, action: str, ids: list[str], input: Any = None) -> list[Any]:
        ctx: Context = info.context
        data = _body(input) if input is not None else {}
        if not action.strip():
            raise invalid("action", "The action field is required.")
        svc = service_for(entity, ctx.db)
        entity_ids = await svc.resolve_ids(ctx.principal, list(ids))
        await svc.bulk(ctx.principal, action.strip(), entity_ids, data)
        return await svc.items(ctx.principal, entity_ids)

    return _field(
        f"bulk_{entity.path}",
        resolve,
        {"action": str, "ids": list[HashID], "input": JSON | None},
        GenericAlias(list, (object_type(entity),)) | None,  # list[...] of a runtime value (mypy reads it as a type)
        f"POST /api/v1/{entity.path}/bulk: {', '.join(entity.bulk_actions)}; `input` carries "
        f"the extra body fields some actions read.",
    )


def _action_field(entity: Entity) -> StrawberryField:
    """GET /api/v1/<plural>/{id}/{action}: the same service call; answers `{message}` (e.g. for email) or
    `{entity, data}` with the shaped row the action produced (the document itself, a clone, a payment)."""

    async def resolve(info: strawberry.Info, id: str, action: str) -> Any:
        ctx: Context = info.context
        svc = service_for(entity, ctx.db)
        entity_id = _decode(entity, id)
        await svc.get(ctx.principal, entity_id)  # missing or foreign: the same 404 as REST
        assert isinstance(svc, Performs), f"{entity.name}: its service takes no actions"
        result = await svc.perform(ctx.principal, entity_id, action.strip())
        if isinstance(result, str):
            return {"message": result}
        target, row_id = result
        shown = await service_for(target, ctx.db).show(ctx.principal, row_id)
        return {"entity": target.name, "data": shown.data}

    return _field(
        f"{entity.name}_action",
        resolve,
        {"id": HashID, "action": str},
        JSON,
        f"GET /api/v1/{entity.path}/{{id}}/{{action}}: `{{message}}` or `{{entity, data}}`.",
    )


def _refund_field() -> StrawberryField:
    payment = REGISTRY["payment"]

    async def resolve(info: strawberry.Info, input: Any) -> Any:
        ctx: Context = info.context
        svc = service_for(payment, ctx.db)
        assert isinstance(svc, PaymentService)
        return svc.item(await svc.refund(ctx.principal, _body(input)))

    return _field(
        "refund_payment",
        resolve,
        {"input": JSON},
        object_type(payment) | None,
        "POST /api/v1/payments/refund: `input` is the REST body.",
    )


def _match_field() -> StrawberryField:
    transaction = REGISTRY["bank_transaction"]

    async def resolve(info: strawberry.Info, input: Any) -> list[Any]:
        ctx: Context = info.context
        svc = service_for(transaction, ctx.db)
        assert isinstance(svc, BankTransactionService)
        return await svc.items(ctx.principal, await svc.match(ctx.principal, _body(input)))

    return _field(
        "match_bank_transactions",
        resolve,
        {"input": JSON},
        GenericAlias(list, (object_type(transaction),)) | None,
        "POST /api/v1/bank_transactions/match: `input` is the REST body; answers the transactions changed.",
    )


# ---- assembly --------------------------------------------------------------------------------------
def routed() -> list[Entity]:
    return [e for e in REGISTRY.values() if e.routes]


def query_fields() -> list[StrawberryField]:
    fields: list[StrawberryField] = []
    for entity in routed():
        fields.append(_list_field(entity))
        if entity.field("id") is not None and entity.name != entity.path:
            fields.append(_get_field(entity))
    return fields


def mutation_fields() -> list[StrawberryField]:
    fields: list[StrawberryField] = []
    for entity in routed():
        if entity.writable and entity.field("id") is not None:
            fields += [_create_field(entity), _update_field(entity), _bulk_field(entity)]
        if issubclass(_service_class(entity), Performs):
            fields.append(_action_field(entity))
    if "payment" in REGISTRY:
        fields.append(_refund_field())
    if "bank_transaction" in REGISTRY:
        fields.append(_match_field())
    return fields


__all__ = ["query_fields", "mutation_fields", "list_params"]
