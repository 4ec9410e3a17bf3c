"""Client rules: numbering, settings defaults, unique numbers, contacts kept in step, bulk extras."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from ... import ids, reference
from ...auth import Principal, random_key
from ...crud.service import Row
from ...crud.validate import clean
from ...errors import Invalid, invalid
from .. import numbering
from ..contacts import ContactSync
from ..entity import EntityService

BULK_UPDATE_COLUMNS = tuple(reference.BULK_UPDATES["client"])
COUNTRY_CODES = {
    code.upper(): cid
    for cid, row in reference.COUNTRIES.items()
    for code in (row.get("iso_3166_2"), row.get("iso_3166_3"))
    if code
}
CURRENCY_CODES = {row["code"].lower(): cid for cid, row in reference.CURRENCIES.items() if row.get("code")}
LANGUAGE_CODES = {row["locale"].lower(): lid for lid, row in reference.LANGUAGES.items() if row.get("locale")}


UNIQUE_INDEXES = {"clients_number": "number", "clients_id_number": "id_number"}


def _taken(exc: asyncpg.UniqueViolationError) -> Invalid:
    """A concurrent request took the number between our check and the write: the same 422 as the check."""
    column = UNIQUE_INDEXES.get(getattr(exc, "constraint_name", "") or "")
    if column is None:
        raise exc
    return Invalid({column: [f"The {column.replace('_', ' ')} has already been taken."]})


class ClientService(EntityService):
    _company: dict[str, Any] | None = None

    async def create(self, who: Principal, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().create(who, data, include)
        except asyncpg.UniqueViolationError as exc:
            raise _taken(exc) from None

    async def update(self, who: Principal, entity_id: int, data: Mapping[str, Any], include: str = "") -> Row:
        try:
            return await super().update(who, entity_id, data, include)
        except asyncpg.UniqueViolationError as exc:
            raise _taken(exc) from None

    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        self._codes(values, data)
        if "settings" in values or current is None:
            group = values.get("group_settings_id") if current is None else None
            values["settings"] = await self._settings(who, values.get("settings"), current, group)
        if current is None:
            values["client_hash"] = random_key(40)
            if values.get("country_id") is None:
                values["country_id"] = await self._company_country(who)
        await self._unique(who, values, current)
        if current is None and not values.get("number"):
            values["number"] = await numbering.next_number(self.db, who.company_id, "client", "clients")
        elif "number" in values and not values["number"]:
            values.pop("number")  # an empty number on update keeps the one assigned

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None or "contacts" in data:
            await ContactSync(self.db, "client", ensure_recipient=True).sync(who, entity_id, data.get("contacts"))

    async def _company_settings(self, who: Principal) -> dict[str, Any]:
        """Read once per service (one request): a create needs both the currency and the country."""
        if self._company is None:
            self._company = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
        return self._company

    async def _company_country(self, who: Principal) -> int | None:
        country = str((await self._company_settings(who)).get("country_id") or "")
        return int(country) if country.isdigit() else None

    @staticmethod
    def _codes(values: Row, data: Mapping[str, Any]) -> None:
        """Upstream's conveniences for scripts: `country_code`/`shipping_country_code` (ISO 3166 alpha-2 or
        -3), `currency_code` (ISO 4217) and `language_code` (locale) instead of the numeric ids."""
        errors: dict[str, list[str]] = {}
        for key, column in (("country_code", "country_id"), ("shipping_country_code", "shipping_country_id")):
            code = data.get(key)
            if isinstance(code, str) and code.strip():
                found = COUNTRY_CODES.get(code.strip().upper())
                if found is None:
                    errors[key] = [f"The selected {key.replace('_', ' ')} is invalid."]
                else:
                    values[column] = int(found)
        for key, table, setting in (
            ("currency_code", CURRENCY_CODES, "currency_id"),
            ("language_code", LANGUAGE_CODES, "language_id"),
        ):
            code = data.get(key)
            if isinstance(code, str) and code.strip():
                found = table.get(code.strip().lower())
                if found is None:
                    errors[key] = [f"The selected {key.replace('_', ' ')} is invalid."]
                else:
                    given = values.get("settings")
                    values["settings"] = {**(given if isinstance(given, dict) else {}), setting: found}
        if errors:
            raise Invalid(errors)

    async def _settings(
        self, who: Principal, given: dict[str, Any] | None, current: Row | None, group_id: int | None = None
    ) -> dict[str, Any]:
        """Sparse overrides; a new client always carries a currency: its own, else (when none was sent)
        its group's, else the company's, as upstream's StoreClientRequest decides."""
        base = (
            dict(current["settings"])
            if current
            else {"entity": "App\\Models\\Client", "industry_id": "", "size_id": ""}
        )
        sent_currency = isinstance(given, dict) and "currency_id" in given
        base.update(given or {})  # typed by the validator (the field's typed_settings)
        currency = str(base.get("currency_id") or "")
        if not currency and not sent_currency and group_id is not None:
            group = await self.db.fetchval(
                "SELECT settings FROM group_settings WHERE company_id = $1 AND id = $2", who.company_id, group_id
            )
            candidate = str((group or {}).get("currency_id") or "")
            if candidate in reference.CURRENCIES:
                base["currency_id"] = currency = candidate
        if not currency:
            base["currency_id"] = str((await self._company_settings(who)).get("currency_id") or "1")
        return base

    async def _unique(self, who: Principal, values: Row, current: Row | None) -> None:
        me = current["id"] if current else 0
        errors: dict[str, list[str]] = {}
        for column in ("number", "id_number"):
            if values.get(column):
                taken = await self.db.fetchval(
                    f"SELECT 1 FROM clients WHERE company_id = $1 AND {column} = $2 AND id <> $3",
                    who.company_id,
                    values[column],
                    me,
                )
                if taken:
                    errors[column] = [f"The {column.replace('_', ' ')} has already been taken."]
        if errors:
            raise Invalid(errors)

    # ---- bulk extras -------------------------------------------------------------------------
    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        if action == "assign_group":
            group = data.get("group_settings_id")
            group_id = ids.decode_or_none(group) if isinstance(group, str) else None
            found = group_id is not None and await self.db.fetchval(
                "SELECT 1 FROM group_settings WHERE company_id = $1 AND id = $2 AND NOT is_deleted",
                who.company_id,
                group_id,
            )
            if not found:
                raise invalid("group_settings_id", "The selected group settings id is invalid.")
            await self.db.execute(
                "UPDATE clients SET group_settings_id = $3, updated_at = now() "
                "WHERE company_id = $1 AND id = ANY($2::bigint[])",
                who.company_id,
                list(entity_ids),
                group_id,
            )
            return
        if action == "bulk_update":
            column = data.get("column")
            if column not in BULK_UPDATE_COLUMNS:
                raise invalid("column", "The selected column is invalid.")
            field = self.entity.field(column)
            assert field is not None
            value = clean(self.entity, {column: data.get("new_value")}, creating=False)[field.col]
            await self.db.execute(
                f"UPDATE clients SET {field.col} = $3, updated_at = now() "
                f"WHERE company_id = $1 AND id = ANY($2::bigint[])",
                who.company_id,
                list(entity_ids),
                value,
            )
            return
        await super().bulk_other(who, action, entity_ids, data)
