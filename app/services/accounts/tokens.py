"""API tokens: minted as 64 random characters, stored as their SHA-256 digest, shown once; the service of
the /tokens routes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ... import ids, revocation
from ...auth import Principal, digest, new_token
from ...crud.service import Row, raise_deleted
from ...crud.validate import clean_text, message
from ...db import Db
from ...errors import Forbidden, invalid
from ..entity import EntityService
from . import passwords


async def mint_token(
    db: Db, company_id: int, user_id: int, account_id: int, name: str, is_system: bool, confirmed: bool = False
) -> tuple[str, dict[str, Any]]:
    """`confirmed`: the password was just checked (a login), so password-protected actions pass for a while."""
    token = new_token()
    row = await db.fetchrow_one(
        "INSERT INTO company_tokens (company_id, user_id, account_id, token_hash, token_hint, name, is_system, "
        "password_confirmed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() END) "
        "RETURNING id, EXTRACT(EPOCH FROM created_at)::bigint AS created_at",
        company_id,
        user_id,
        account_id,
        digest(token),
        token[:10],
        name,
        is_system,
        confirmed,
    )
    shown = {
        "id": ids.encode(row["id"]),
        "user_id": ids.encode(user_id),
        "token": token,
        "name": name,
        "is_system": is_system,
        "is_deleted": False,
        "created_at": row["created_at"],
        "updated_at": row["created_at"],
        "archived_at": 0,
    }
    return token, shown


class TokenService(EntityService):
    """The company's API tokens (upstream TokenController). Admins create them (the raw value is in that
    answer only), rename and remove them; a member lists and removes its own. Archiving or deleting a
    token revokes it on every server process when the change commits (app.revocation)."""

    async def blank(self, who: Principal) -> Row:
        _require_admin(who)
        return await super().blank(who)

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "", **_: Any) -> Row:
        _require_admin(who)
        await passwords.confirm(self.db, who)
        name = _name(data)
        async with self.db.transaction():
            raw, shown = await mint_token(self.db, who.company_id, who.user_id, who.account_id, name, is_system=False)
        row = await self.get(who, ids.decode(shown["id"]), include)
        row["token"] = raw  # shown once: only the digest is stored
        return row

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "", **_: Any) -> Row:
        current = await self.get(who, entity_id)  # 404 first
        _require_admin(who)
        if current["is_deleted"]:
            raise_deleted()
        await passwords.confirm(self.db, who)
        name = _name(data) if "name" in data else current["name"]  # only the name can change
        await self.db.execute(
            "UPDATE company_tokens SET name = $3, updated_at = now() WHERE company_id = $1 AND id = $2",
            who.company_id,
            entity_id,
            name,
        )
        return await self.get(who, entity_id, include)

    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        async with self.db.transaction():
            await super().bulk(who, action, entity_ids, data)
            if action in ("archive", "delete"):
                rows = await self.db.fetch(
                    "SELECT token_hash FROM company_tokens WHERE company_id = $1 AND id = ANY($2::bigint[])",
                    who.company_id,
                    list(entity_ids),
                )
                for row in rows:
                    await revocation.announce_token(self.db, bytes(row["token_hash"]))


def _require_admin(who: Principal) -> None:
    if not who.is_superuser:
        raise Forbidden("This action is unauthorized.")


def _name(data: Mapping[str, Any]) -> str:
    try:
        name = clean_text(data.get("name"), 191)
    except ValueError as exc:
        raise invalid("name", message("name", exc)) from None
    if not name:
        raise invalid("name", "The name field is required.")
    return name
