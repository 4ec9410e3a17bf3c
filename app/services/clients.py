"""Client rules: numbering, settings defaults, unique numbers, contacts kept in step, bulk extras."""
from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

from .. import ids, reference
from ..auth import Principal, hash_password, random_key
from ..crud.service import CrudService, Row
from ..crud.validate import clean
from ..entities import REGISTRY
from ..errors import Invalid, invalid
from . import numbering

CONTACT = REGISTRY["client_contact"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MASKED_PASSWORD = "**********"
BULK_UPDATE_COLUMNS = tuple(reference.BULK_UPDATES["client"])
MAX_CONTACTS = 500


class ClientService(CrudService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if "settings" in values or current is None:
            values["settings"] = await self._settings(who, values.get("settings"), current)
        if current is None:
            values["client_hash"] = random_key(40)
            if values.get("country_id") is None:
                values["country_id"] = await self._company_country(who)
        await self._unique(who, values, current)
        if current is None and not values.get("number"):
            values["number"] = await numbering.next_number(self.db, who.company_id, "client", "clients")
        elif "number" in values and not values["number"]:
            values.pop("number")   # an empty number on update keeps the one assigned

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None or "contacts" in data:
            await self._sync_contacts(who, entity_id, data.get("contacts"), current is None)

    async def _company_country(self, who: Principal) -> int | None:
        settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
        country = str(settings.get("country_id") or "")
        return int(country) if country.isdigit() else None

    async def _settings(self, who: Principal, given: dict[str, Any] | None, current: Row | None) -> dict[str, Any]:
        """Sparse overrides; a new client always carries a currency (its own, else the company's)."""
        base = dict(current["settings"]) if current else {
            "entity": "App\\Models\\Client", "industry_id": "", "size_id": ""}
        for key, value in (given or {}).items():
            if not isinstance(key, str) or len(key) > 100:
                raise invalid("settings", "The settings must be an object of named values.")
            base[key] = value
        currency = str(base.get("currency_id") or "")
        if currency and currency not in reference.CURRENCIES:
            raise invalid("settings.currency_id", "The selected currency id is invalid.")
        if not currency:
            company = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
            base["currency_id"] = str(company.get("currency_id") or "1")
        return base

    async def _unique(self, who: Principal, values: Row, current: Row | None) -> None:
        me = current["id"] if current else 0
        errors: dict[str, list[str]] = {}
        for column in ("number", "id_number"):
            if values.get(column):
                taken = await self.db.fetchval(
                    f"SELECT 1 FROM clients WHERE company_id = $1 AND {column} = $2 AND id <> $3",
                    who.company_id, values[column], me)
                if taken:
                    errors[column] = [f"The {column.replace('_', ' ')} has already been taken."]
        if errors:
            raise Invalid(errors)

    # ---- contacts ----------------------------------------------------------------------------
    def _clean_contacts(self, raw: Any) -> list[tuple[int | None, Row, str | None]]:
        if raw is None:
            return []
        if not isinstance(raw, list) or len(raw) > MAX_CONTACTS:
            raise invalid("contacts", "The contacts must be a list.")
        cleaned, errors = [], {}
        for n, item in enumerate(raw):
            if not isinstance(item, dict):
                errors[f"contacts.{n}"] = ["The contact must be an object."]
                continue
            try:
                values = clean(CONTACT, item, creating=False, prefix=f"contacts.{n}.")
            except Invalid as exc:
                errors.update(exc.errors)
                continue
            if values.get("email") and not EMAIL.match(values["email"]):
                errors[f"contacts.{n}.email"] = ["The email must be a valid email address."]
            contact_id = ids.decode_or_none(item["id"]) if isinstance(item.get("id"), str) and item["id"] else None
            password = item.get("password")
            password = password if isinstance(password, str) and password and password != MASKED_PASSWORD else None
            if password is not None and len(password) > 1000:
                errors[f"contacts.{n}.password"] = ["The password may not be greater than 1000 characters."]
            cleaned.append((contact_id, values, password))
        if errors:
            raise Invalid(errors)
        return cleaned

    async def _sync_contacts(self, who: Principal, client_id: int, raw: Any, creating: bool) -> None:
        """Contacts sent replace the stored ones; at least one always remains; exactly one is primary."""
        contacts = self._clean_contacts(raw)
        existing = {r["id"] for r in await self.db.fetch(
            "SELECT id FROM client_contacts WHERE company_id = $1 AND client_id = $2 AND deleted_at IS NULL",
            who.company_id, client_id)}
        kept: list[int] = []
        for contact_id, values, password in contacts:
            if password is not None:
                values["password_hash"] = hash_password(password)
            if contact_id in existing and contact_id not in kept:
                if values:
                    cols = list(values)
                    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, start=4))
                    await self.db.execute(f"UPDATE client_contacts SET {sets}, updated_at = now() WHERE "
                                          f"company_id = $1 AND client_id = $2 AND id = $3",
                                          who.company_id, client_id, contact_id, *values.values())
                kept.append(contact_id)
            else:
                kept.append(await self._insert_contact(who, client_id, values))
        if not kept:
            kept.append(await self._insert_contact(who, client_id, {}))
        await self.db.execute(
            "UPDATE client_contacts SET is_deleted = true, deleted_at = now(), updated_at = now() "
            "WHERE company_id = $1 AND client_id = $2 AND deleted_at IS NULL AND NOT (id = ANY($3::bigint[]))",
            who.company_id, client_id, kept)
        await self._normalise_primary(who, client_id)

    async def _insert_contact(self, who: Principal, client_id: int, values: Row) -> int:
        values = {**values, "company_id": who.company_id, "client_id": client_id, "user_id": who.user_id,
                  "contact_key": random_key(32)}
        cols = list(values)
        return await self.db.fetchval(
            f"INSERT INTO client_contacts ({', '.join(cols)}) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(cols) + 1))}) RETURNING id", *values.values())

    async def _normalise_primary(self, who: Principal, client_id: int) -> None:
        """The first contact by (is_primary desc, id) is the only primary; someone receives e-mail."""
        await self.db.execute(
            """
            WITH ranked AS (
                SELECT id, row_number() OVER (ORDER BY is_primary DESC, id) AS n,
                       bool_or(send_email) OVER () AS anyone
                FROM client_contacts WHERE company_id = $1 AND client_id = $2 AND deleted_at IS NULL)
            UPDATE client_contacts c SET is_primary = (r.n = 1),
                   send_email = CASE WHEN r.n = 1 AND NOT r.anyone THEN true ELSE c.send_email END
            FROM ranked r WHERE c.company_id = $1 AND c.id = r.id
              AND (c.is_primary <> (r.n = 1) OR (r.n = 1 AND NOT r.anyone))
            """, who.company_id, client_id)

    # ---- bulk extras -------------------------------------------------------------------------
    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "assign_group":
            group = data.get("group_settings_id")
            group_id = ids.decode_or_none(group) if isinstance(group, str) else None
            found = group_id is not None and await self.db.fetchval(
                "SELECT 1 FROM group_settings WHERE company_id = $1 AND id = $2 AND NOT is_deleted",
                who.company_id, group_id)
            if not found:
                raise invalid("group_settings_id", "The selected group settings id is invalid.")
            await self.db.execute("UPDATE clients SET group_settings_id = $3, updated_at = now() "
                                  "WHERE company_id = $1 AND id = ANY($2::bigint[])",
                                  who.company_id, list(entity_ids), group_id)
            return
        if action == "bulk_update":
            column = data.get("column")
            if column not in BULK_UPDATE_COLUMNS:
                raise invalid("column", "The selected column is invalid.")
            field = self.entity.field(column)
            assert field is not None
            value = clean(self.entity, {column: data.get("new_value")}, creating=False)[field.col]
            await self.db.execute(f"UPDATE clients SET {field.col} = $3, updated_at = now() "
                                  f"WHERE company_id = $1 AND id = ANY($2::bigint[])",
                                  who.company_id, list(entity_ids), value)
            return
        await super().bulk_other(who, action, entity_ids, data)
