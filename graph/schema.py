"""The schema: Query and Mutation generated from the registry, the scalars, and the per-request extensions
(limits, caches, error mapping). One schema per distinct set of limits, built once and reused."""

from __future__ import annotations

from functools import lru_cache, partial
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import create_type
from strawberry.types import ExecutionContext

from .context import read
from .errors import convert
from .fields import mutation_fields, query_fields
from .scalars import SCALARS

CACHE_SIZE = 512

Query = create_type("Query", query_fields())
_mutations = mutation_fields()
Mutation = create_type("Mutation", _mutations) if _mutations else None


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Errors become the contract's (see graph/errors.py), in place: this list is the result's own.
        Done here rather than in an extension, which would cost a hook on every operation. Strawberry's
        default would log every error with its traceback, expected ones (404, 422) included."""
        errors[:] = [convert(e) for e in errors]


def config() -> StrawberryConfig:
    # auto_camel_case (strawberry's default): `per_page` is `perPage`, `group_settings` is `groupSettings`.
    # batching_config=None: a JSON array of operations is refused with 400.
    return StrawberryConfig(auto_camel_case=True, default_resolver=read, scalar_map=SCALARS, batching_config=None)


@lru_cache(maxsize=8)
def build_schema(
    max_depth: int = 10, max_aliases: int = 30, max_tokens: int = 2000, introspection: bool = True
) -> Schema:
    """The limit rules are made once here and added by one factory, so each request gets fresh extension
    instances (strawberry's per-request isolation) while ValidationCache sees the same rules every time."""
    rules: list[type[ASTValidationRule]] = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if not introspection:
        rules += DisableIntrospection().validation_rules
    extensions: list[Any] = [
        partial(MaxTokensLimiter, max_token_count=max_tokens),
        partial(AddValidationRules, rules),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(ValidationCache, maxsize=CACHE_SIZE),
    ]
    return Schema(query=Query, mutation=Mutation, config=config(), extensions=extensions)


def sdl() -> str:
    """The schema's SDL (graph/schema.graphql); extensions do not change it."""
    return build_schema().as_str() + "\n"
