"""The two custom scalars of the facade: HashID (the contract's string ids) and JSON (free-form objects).

HashID travels as the same string REST shows. Output values are usually strings already, because rows are
shaped by the services (which run the codec), so `serialize` only encodes a bare int. Input is kept as
the string the client sent: the resolver decodes it with app.ids for the entity it names, so an id that
does not decode gives exactly the answer of a missing row ("Client not found", 404), and bulk ids reach
the service's `resolve_ids` as strings (a 422 on `ids`), the same as REST.

JSON literals keep decimals exact: a float literal becomes a `Decimal`, as REST's body parser does.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NewType

import strawberry
from graphql import GraphQLError
from graphql.language import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from strawberry.types.scalar import ScalarDefinition

from app import ids

HashID = NewType("HashID", str)
JSON = NewType("JSON", object)


def serialize_hashid(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return ids.encode(value)
    return "" if value is None else str(value)


def parse_hashid(value: Any) -> str:
    if not isinstance(value, str):
        raise GraphQLError("HashID must be a string.")
    return value


def parse_hashid_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> str:
    if isinstance(node, VariableNode):
        return parse_hashid((variables or {}).get(node.name.value))
    if not isinstance(node, StringValueNode):
        raise GraphQLError("HashID must be a string.")
    return parse_hashid(node.value)


def parse_json_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    """A JSON value written inline in the query; floats stay exact."""
    if isinstance(node, (StringValueNode, BooleanValueNode, EnumValueNode)):
        return node.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return Decimal(node.value)
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, ListValueNode):
        return [parse_json_literal(v, variables) for v in node.values]
    if isinstance(node, ObjectValueNode):
        return {f.name.value: parse_json_literal(f.value, variables) for f in node.fields}
    if isinstance(node, VariableNode):
        return (variables or {}).get(node.name.value)
    raise GraphQLError("Unsupported JSON literal.")  # pragma: no cover - every ValueNode is handled above


# Keyed by the NewType objects the annotations use (StrawberryConfig.scalar_map).
SCALARS: dict[object, ScalarDefinition] = {
    HashID: strawberry.scalar(
        name="HashID",
        description='A hashed id, e.g. "VolejRejNm" (the same string the REST API uses). Unset references are "".',
        serialize=serialize_hashid,
        parse_value=parse_hashid,
        parse_literal=parse_hashid_literal,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="Any JSON value: settings objects and the bodies of create/update mutations.",
        serialize=lambda v: v,
        parse_value=lambda v: v,
        parse_literal=parse_json_literal,
    ),
}
