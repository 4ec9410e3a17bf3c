"""`User.companyUser`: the user's membership of the caller's company (upstream CompanyUserTransformer), the
field REST gives with `?include=company_user`. Company users are not a registry entity, so this type and
its loader are written out here: one statement for every user of a response (app.services.accounts.
company_users.many), scoped to the caller's company, so a user of another company has none to show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import strawberry

from app.services.accounts import company_users

from .context import Node
from .scalars import JSON

LOADER = "user.company_user"


@strawberry.type(description="A user's membership of the current company: its rights and preferences.")
class CompanyUser:
    permissions: str
    notifications: JSON
    settings: JSON
    react_settings: JSON
    is_owner: bool
    is_admin: bool
    is_locked: bool
    permissions_updated_at: int
    created_at: int
    updated_at: int
    archived_at: int
    ninja_portal_url: str


async def _membership(root: Node, info: strawberry.Info) -> dict[str, Any] | None:
    context = info.context
    user_id = root.row["id"]

    async def load(user_ids: Sequence[int]) -> list[Any]:
        found = await company_users.many(context.db, context.principal, user_ids)
        return [found.get(u) for u in user_ids]

    # the shaped dict REST shows; the schema's default resolver reads its keys
    result: dict[str, Any] | None = await context.batched(LOADER, load).load(user_id)
    return result


company_user = strawberry.field(
    resolver=_membership,
    graphql_type=CompanyUser | None,
    description="This user's company user in the current company (one query per page).",
)
