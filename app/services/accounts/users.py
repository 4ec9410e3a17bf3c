"""Users of the current company (upstream UserController): the team page of the web app.

A user belongs to one account and joins companies through company_users. Admins (or owners) add users,
change their rights and remove them; everyone edits their own profile. Sensitive actions need the password
confirmed (passwords.confirm). The company user of the current company rides along on every user this
service returns (`?include=company_user`).

Where upstream leaves holes this service closes them: ids outside the company answer 404, an owner cannot
be archived, deleted or detached, admins cannot edit an owner's profile, nobody changes their own rights,
and `is_owner` is never written through the API.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import asyncpg

from ... import revocation
from ...auth import Principal, hash_password
from ...crud.query import ListQuery
from ...crud.results import Item, Page
from ...crud.service import IdList, Row, raise_deleted
from ...crud.validate import clean
from ...entities import REGISTRY
from ...errors import BadRequest, Forbidden, Invalid, invalid
from ..entity import EntityService
from . import company_users, passwords

USER = REGISTRY["user"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TAKEN = "This email is already linked to an account"
NO_MAIL = "No email was sent: this server does not send mail yet"


def _wants_company_user(include: str) -> bool:
    return any(part.strip().split(".")[0] == "company_user" for part in include.split(","))


class UserService(EntityService):
    # ---- reads: every user comes with its membership of the current company -------------------
    async def get(self, who: Principal, entity_id: int, include: str = "") -> Row:
        row = await super().get(who, entity_id, include)
        row["_company_user"] = await company_users.get(self.db, who, entity_id)
        return row

    def item(self, row: Mapping[str, Any], include: str = "") -> Item:
        membership = row.get("_company_user")
        shaped = super().item({k: v for k, v in row.items() if k != "_company_user"}, include)
        if _wants_company_user(include) and membership is not None:
            shaped.data["company_user"] = membership
        return shaped

    async def _with_company_user(self, who: Principal, items: Sequence[Item], include: str) -> None:
        if not _wants_company_user(include) or not items:
            return
        found = await company_users.many(self.db, who, [int(i.row["id"]) for i in items])
        for it in items:
            membership = found.get(int(it.row["id"]))
            if membership is not None:
                it.data["company_user"] = membership

    async def list(self, who: Principal, q: ListQuery) -> Page:
        page = await super().list(who, q)
        await self._with_company_user(who, page.items, q.include)
        return page

    async def show(self, who: Principal, entity_id: int, include: str = "") -> Item:
        found = await super().show(who, entity_id, include)
        await self._with_company_user(who, [found], include)
        return found

    async def bulk_page(self, who: Principal, entity_ids: Sequence[int], params: Mapping[str, Any]) -> Page:
        page = await super().bulk_page(who, entity_ids, params)
        await self._with_company_user(who, page.items, ListQuery.parse(params).include)
        return page

    async def blank(self, who: Principal) -> Row:
        _require_admin(who)
        return await super().blank(who)

    # ---- create: a new user, or a user of this account joining this company -------------------
    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "", **_: Any) -> Row:
        _require_admin(who)
        await passwords.confirm(self.db, who)
        values = _profile(data, creating=True)
        membership = company_users.clean_membership(who, data.get("company_user") or {}, False, False)
        async with self.db.transaction():
            existing = await self.db.fetchrow(
                "SELECT id, account_id FROM users WHERE lower(email) = lower($1) FOR UPDATE", values["email"]
            )
            if existing is not None and existing["account_id"] != who.account_id:
                raise invalid("email", "User exists but cannot be crossed linked to multiple accounts")
            if existing is None:
                user_id = await self._insert_user(who, values)
            else:
                user_id = int(existing["id"])
            await self._join(who, user_id, membership)
        return await self.get(who, user_id, include)

    async def _insert_user(self, who: Principal, values: Mapping[str, Any]) -> int:
        cols = ["account_id", *values]
        marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
        try:
            async with self.db.transaction():
                new_id = await self.db.fetchval(
                    f"INSERT INTO users ({', '.join(cols)}) VALUES ({marks}) RETURNING id",
                    who.account_id,
                    *values.values(),
                )
        except asyncpg.UniqueViolationError:  # the same e-mail added concurrently
            raise invalid("email", TAKEN) from None
        return int(new_id)

    async def _join(self, who: Principal, user_id: int, membership: Mapping[str, Any]) -> None:
        """The user joins the current company; a removed membership comes back with the new rights."""
        present = await self.db.fetchrow(
            "SELECT deleted_at IS NULL AS active FROM company_users WHERE company_id = $1 AND user_id = $2 FOR UPDATE",
            who.company_id,
            user_id,
        )
        if present is not None and present["active"]:
            raise invalid("email", "Cannot add the same user to the same company")
        if present is None:
            await self.db.execute(
                "INSERT INTO company_users (company_id, user_id, account_id, notifications, permissions_updated_at) "
                "VALUES ($1, $2, $3, $4, now())",
                who.company_id,
                user_id,
                who.account_id,
                company_users.NEW_MEMBER_NOTIFICATIONS,
            )
        else:
            await self.db.execute(
                "UPDATE company_users SET deleted_at = NULL, permissions = '', is_admin = false, is_locked = false, "
                "updated_at = now() WHERE company_id = $1 AND user_id = $2",
                who.company_id,
                user_id,
            )
        await company_users.write(self.db, who, user_id, membership)
        await revocation.announce_user(self.db, user_id)

    # ---- update: one's own profile and password; admins another member's profile and rights ------
    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "", **_: Any) -> Row:
        current = await self.get(who, entity_id)  # missing, foreign or invisible: 404
        is_self = entity_id == who.user_id
        target_owner = current["_company_user"]["is_owner"]
        if not is_self and (not who.is_superuser or (target_owner and not who.is_owner)):
            raise Forbidden("This action is unauthorized.")
        if current["is_deleted"]:
            raise_deleted()
        await passwords.confirm(self.db, who)
        values = _profile(data, creating=False)
        password = data.get("password")
        if is_self and isinstance(password, str) and password != "":
            if not 6 <= len(password) <= 1000:
                raise invalid("password", "The password must be between 6 and 1000 characters.")
            values["password_hash"] = hash_password(password)
        membership = (
            company_users.clean_membership(who, data["company_user"], is_self, target_owner)
            if data.get("company_user") is not None
            else {}
        )
        async with self.db.transaction():
            if values:
                sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(values, start=2))
                try:
                    async with self.db.transaction():
                        await self.db.execute(
                            f"UPDATE users SET {sets}, updated_at = now() WHERE id = $1", entity_id, *values.values()
                        )
                except asyncpg.UniqueViolationError:
                    raise invalid("email", TAKEN) from None
            await company_users.write(self.db, who, entity_id, membership)
        return await self.get(who, entity_id, include)

    # ---- archive, restore, delete; detach from the company ------------------------------------
    async def bulk(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action not in self.entity.bulk_actions:
            raise invalid("action", "The selected action is invalid.")
        _require_admin(who)
        if action == "delete" and who.user_id in entity_ids:
            raise Forbidden("This action is unauthorized.")  # no self-delete, as upstream
        await passwords.confirm(self.db, who)
        targets = await company_users.many(self.db, who, entity_ids)
        if action != "restore":
            for membership in targets.values():
                company_users.require_may_manage(who, membership)
        users = list(entity_ids)
        async with self.db.transaction():
            if action == "archive":  # the user row: every token of the user stops (upstream: global)
                await self.db.execute(
                    "UPDATE users SET deleted_at = now(), updated_at = now() WHERE id = ANY($1::bigint[]) "
                    "AND deleted_at IS NULL",
                    users,
                )
            elif action == "delete":
                await self.db.execute(
                    "UPDATE users SET is_deleted = true, deleted_at = COALESCE(deleted_at, now()), updated_at = now() "
                    "WHERE id = ANY($1::bigint[])",
                    users,
                )
                await self._revoke(who, users, remove=True)
            else:
                await self.db.execute(
                    "UPDATE users SET is_deleted = false, deleted_at = NULL, updated_at = now() "
                    "WHERE id = ANY($1::bigint[])",
                    users,
                )
                await self.db.execute(
                    "UPDATE company_users SET deleted_at = NULL, updated_at = now() "
                    "WHERE company_id = $1 AND user_id = ANY($2::bigint[])",
                    who.company_id,
                    users,
                )
            for user_id in users:
                await revocation.announce_user(self.db, user_id)

    async def _revoke(self, who: Principal, users: IdList, remove: bool) -> None:
        """The users' tokens in this company stop working; `remove` also ends their membership."""
        await self.db.execute(
            "UPDATE company_tokens SET is_deleted = true, deleted_at = COALESCE(deleted_at, now()), updated_at = now() "
            "WHERE company_id = $1 AND user_id = ANY($2::bigint[])",
            who.company_id,
            users,
        )
        if remove:
            await self.db.execute(
                "UPDATE company_users SET deleted_at = COALESCE(deleted_at, now()), updated_at = now() "
                "WHERE company_id = $1 AND user_id = ANY($2::bigint[])",
                who.company_id,
                users,
            )

    async def detach(self, who: Principal, user_id: int) -> str:
        """DELETE /users/{user}/detach_from_company: the membership and the user's tokens here go."""
        current = await self.get(who, user_id)
        _require_admin(who)
        if current["_company_user"]["is_owner"]:
            raise Forbidden("Cannot detach owner.")
        await passwords.confirm(self.db, who)
        async with self.db.transaction():
            await self.db.execute(
                "DELETE FROM company_tokens WHERE company_id = $1 AND user_id = $2", who.company_id, user_id
            )
            await self.db.execute(
                "DELETE FROM company_users WHERE company_id = $1 AND user_id = $2", who.company_id, user_id
            )
            await revocation.announce_user(self.db, user_id)
        return "User detached from company"

    async def reconfirm(self, who: Principal, user_id: int, protected: bool) -> NoReturn:
        """POST /users/{user}/invite (password confirmed) and /reconfirm: upstream mails the verification
        link. No mail is sent here, and the answer says so instead of claiming it was."""
        await self.get(who, user_id)
        if user_id != who.user_id:
            _require_admin(who)
        if protected:
            await passwords.confirm(self.db, who)
        raise BadRequest(NO_MAIL)


def _require_admin(who: Principal) -> None:
    if not who.is_superuser:
        raise Forbidden("This action is unauthorized.")


def _profile(data: Mapping[str, Any], creating: bool) -> dict[str, Any]:
    """The user's own fields, validated: names up to 100 characters (required on create), a valid,
    unused e-mail."""
    values = clean(USER, data, creating=creating)
    errors: dict[str, list[str]] = {}
    for name in ("first_name", "last_name"):
        if creating and not values.get(name):
            errors[name] = [f"The {name.replace('_', ' ')} field is required."]
        elif len(values.get(name, "")) > 100:
            errors[name] = [f"The {name.replace('_', ' ')} may not be greater than 100 characters."]
    if "email" in values or creating:
        email = values.get("email", "")
        if not email:
            errors["email"] = ["The email field is required."]
        elif not EMAIL.match(email):
            errors["email"] = ["The email must be a valid email address."]
    if errors:
        raise Invalid(errors)
    return values
