"""Vendor rules (upstream StoreVendorRequest / VendorRepository): a name is required on create, the number
comes from the company's vendor counter and is unique in the company (trashed vendors included), the
currency defaults to the company's, and `contacts` replaces the vendor's contacts as a client's are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...auth import Principal, random_key
from ...crud.service import Row
from ...errors import invalid
from ..contacts import ContactSync
from ..numbered import NumberedService


class VendorService(NumberedService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None:
            if not str(values.get("name") or "").strip():
                raise invalid("name", "The name field is required.")
            values["vendor_hash"] = random_key(40)
            if values.get("currency_id") is None or values.get("country_id") is None:
                settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id)
                for column in ("currency_id", "country_id"):
                    company_value = str((settings or {}).get(column) or "")
                    if values.get(column) is None and company_value.isdigit():
                        values[column] = int(company_value)
        elif "currency_id" in values and values["currency_id"] is None:
            values.pop("currency_id")  # a vendor always keeps a currency
        await self.assign_number(who, values, current)

    async def after_write(self, who: Principal, entity_id: int, current: Row | None, data: Mapping[str, Any]) -> None:
        if current is None or "contacts" in data:
            sync = ContactSync(self.db, "vendor", ensure_recipient=False, wrap_single=True)
            await sync.sync(who, entity_id, data.get("contacts"))
            if current is not None:
                await self._reinvite(who, entity_id)

    async def _reinvite(self, who: Principal, vendor_id: int) -> None:
        """A contact removed loses its purchase order invitations; an order left with none invites the
        vendor's primary contact (upstream VendorContactObserver)."""
        orders = await self.db.fetch(
            "UPDATE purchase_order_invitations i SET deleted_at = now(), updated_at = now() FROM vendor_contacts vc "
            "WHERE i.company_id = $1 AND vc.company_id = $1 AND vc.id = i.vendor_contact_id AND vc.vendor_id = $2 "
            "AND vc.deleted_at IS NOT NULL AND i.deleted_at IS NULL RETURNING i.purchase_order_id",
            who.company_id,
            vendor_id,
        )
        if not orders:
            return
        bare = await self.db.fetch(
            "SELECT p.id, vc.id AS contact_id FROM purchase_orders p JOIN vendor_contacts vc "
            "ON vc.company_id = p.company_id AND vc.vendor_id = p.vendor_id AND vc.is_primary "
            "AND vc.deleted_at IS NULL "
            "WHERE p.company_id = $1 AND p.id = ANY($2::bigint[]) AND NOT EXISTS (SELECT 1 FROM "
            "purchase_order_invitations x WHERE x.company_id = p.company_id AND x.purchase_order_id = p.id "
            "AND x.deleted_at IS NULL)",
            who.company_id,
            sorted({r["purchase_order_id"] for r in orders}),
        )
        await self.db.executemany(
            "INSERT INTO purchase_order_invitations (company_id, user_id, purchase_order_id, vendor_contact_id, key) "
            "VALUES ($1, $2, $3, $4, $5)",
            [(who.company_id, who.user_id, r["id"], r["contact_id"], random_key(32)) for r in bare],
        )
