"""Subscriptions: a name unique in the company (archived and deleted ones included, ignoring case, as
upstream's unique rule under MySQL's collation), product id lists as comma lists of the company's hashed
product ids, a frequency 1..12 (required once there are recurring products), the portal steps (known ones,
at least one sign-in step, no step twice; `cart,auth.login-or-register` by default), the webhook called after
a purchase, the group settings a buyer joins (the company's). `price` is what an invoice of one of each
product and recurring product comes to (the invoice engine, the products' prices and taxes), `promo_price`
the same with the promo discount; both are the server's, never the client's. Activities 80..84."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ... import ids
from ...auth import Principal
from ...crud.service import Row
from ...entities.subscriptions import PRODUCT_LISTS
from ...errors import Invalid, invalid
from ..billing.calc import Document, calculate
from ..billing.context import on
from ..billing.lines import clean_lines
from ..named import NamedService

# upstream's portal steps, keyed by the class that renders each (GET /subscriptions/steps); none depends on another
STEP_CLASSES = {
    "App\\Livewire\\BillingPortal\\Authentication\\Login": "auth.login",
    "App\\Livewire\\BillingPortal\\Authentication\\RegisterOrLogin": "auth.login-or-register",
    "App\\Livewire\\BillingPortal\\Authentication\\Register": "auth.register",
    "App\\Livewire\\BillingPortal\\Cart\\Cart": "cart",
}
STEPS = tuple(STEP_CLASSES.values())
DEFAULT_STEPS = "cart,auth.login-or-register"
WEBHOOK_TEXT = ("post_purchase_url", "post_purchase_rest_method", "return_url")
REST_METHODS = ("", "post", "put")
ASSIGNABLE = {"invoice": "invoices", "recurring_invoice": "recurring_invoices"}


def _product_list(name: str, value: Any) -> list[int]:
    if value is None or value == "":
        return []
    parts = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    decoded = [ids.decode_or_none(p.strip()) if isinstance(p, str) else None for p in parts or [None]]
    if parts is None or None in decoded or len(decoded) > 1000:
        raise invalid(name, f"The selected {name.replace('_', ' ')} is invalid.")
    return list(dict.fromkeys(d for d in decoded if d is not None))


def _steps(value: Any) -> str:
    steps = [s.strip() for s in value.split(",")] if isinstance(value, str) else None
    if not steps or any(s not in STEPS for s in steps):
        raise invalid("steps", "The selected steps is invalid.")
    if len(set(steps)) != len(steps):
        raise invalid("steps", "The steps may not repeat a step.")
    if not any(s.startswith("auth.") for s in steps):
        raise invalid(
            "steps", "The steps must include a sign-in step (auth.login, auth.register or auth.login-or-register)."
        )
    return ",".join(steps)


def steps_catalog() -> dict[str, dict[str, Any]]:
    """`GET /subscriptions/steps`: every step the purchase page knows, as upstream lists them."""
    return {name: {"id": step, "dependencies": []} for name, step in STEP_CLASSES.items()}


def check_steps(data: Mapping[str, Any]) -> None:
    """`POST /subscriptions/steps/check`: 422 when `steps` is missing or not a valid list of steps."""
    if data.get("steps") in (None, ""):
        raise invalid("steps", "The steps field is required.")
    _steps(data["steps"])


def _webhook(config: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    for key, value in config.items():
        where = f"webhook_configuration.{key}"
        if key in WEBHOOK_TEXT:
            if not isinstance(value, str):
                errors[where] = [f"The {where.replace('_', ' ')} must be a string."]
            elif key.endswith("_url") and value and not value.startswith(("http://", "https://")):
                errors[where] = [f"The {where.replace('_', ' ')} must be a valid URL."]
            elif key == "post_purchase_rest_method" and value.lower() not in REST_METHODS:
                errors[where] = [f"The selected {where.replace('_', ' ')} is invalid."]
        elif key == "post_purchase_headers":
            if value == []:
                config[key] = {}
            elif not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                errors[where] = [f"The {where.replace('_', ' ')} must be an object of header values."]
            elif any("\r" in h or "\n" in h for pair in value.items() for h in pair):
                errors[where] = [f"The {where.replace('_', ' ')} may not contain line breaks."]
        else:
            errors[where] = [f"The {where.replace('_', ' ')} is not a webhook setting."]
    if errors:
        raise Invalid(errors)
    return config


class SubscriptionService(NamedService):
    async def before_write(self, who: Principal, values: Row, current: Row | None, data: Mapping[str, Any]) -> None:
        await self.check_name(who, values, current)
        for name in PRODUCT_LISTS:
            if name in data:
                values[name] = await self._products(who, name, data[name])
        recurring = values.get("recurring_product_ids", (current or {}).get("recurring_product_ids_list") or [])
        if data.get("frequency_id") not in (None, ""):
            text = str(data["frequency_id"]).strip()
            if isinstance(data["frequency_id"], bool) or not text.isdigit() or not 1 <= int(text) <= 12:
                raise invalid("frequency_id", "The selected frequency id is invalid.")
            values["frequency_id"] = int(text)
        elif recurring and not (current or {}).get("frequency_id"):
            raise invalid("frequency_id", "The frequency id field is required when recurring product ids is present.")
        if "steps" in values or current is None:
            values["steps"] = _steps(values["steps"]) if values.get("steps") else DEFAULT_STEPS
        if "webhook_configuration" in values:
            values["webhook_configuration"] = _webhook(values["webhook_configuration"])
        for name in ("max_seats_limit", "trial_duration", "refund_period"):
            if (values.get(name) or 0) < 0:
                raise invalid(name, f"The {name.replace('_', ' ')} must be at least 0.")
        await self._price(who, values, current)

    async def _products(self, who: Principal, name: str, raw: Any) -> list[int]:
        wanted = _product_list(name, raw)
        found = await self.db.fetchval(
            "SELECT count(*) FROM products WHERE company_id = $1 AND id = ANY($2::bigint[]) AND NOT is_deleted",
            who.company_id,
            wanted,
        )
        if found != len(wanted):
            raise invalid(name, f"The selected {name.replace('_', ' ')} is invalid.")
        return wanted

    async def _price(self, who: Principal, values: Row, current: Row | None) -> None:
        """price and promo_price from the products, as the invoice engine totals one of each."""
        chosen: list[int] = []
        for name in ("product_ids", "recurring_product_ids"):
            chosen += values[name] if name in values else (current or {}).get(f"{name}_list") or []
        rows = await self.db.fetch(
            "SELECT p.product_key, p.price, p.tax_name1, p.tax_name2, p.tax_name3, p.tax_rate1, p.tax_rate2, "
            "p.tax_rate3 FROM unnest($2::bigint[]) WITH ORDINALITY AS c(id, n) JOIN products p "
            "ON p.company_id = $1 AND p.id = c.id ORDER BY c.n",
            who.company_id,
            [int(i) for i in chosen],
        )
        lines = clean_lines([{**dict(r), "cost": r["price"], "quantity": 1} for r in rows])
        settings = await self.db.fetchval("SELECT settings FROM companies WHERE id = $1", who.company_id) or {}
        inclusive = on(settings.get("inclusive_taxes", False))
        discount = Decimal(str(values.get("promo_discount", (current or {}).get("promo_discount") or 0)))
        amount_discount = bool(values.get("is_amount_discount", (current or {}).get("is_amount_discount", False)))
        values["price"] = calculate(Document(lines, uses_inclusive_taxes=inclusive)).amount
        values["promo_price"] = calculate(
            Document(lines, discount=discount, is_amount_discount=amount_discount, uses_inclusive_taxes=inclusive)
        ).amount

    async def bulk_other(self, who: Principal, action: str, entity_ids: Sequence[int], data: Mapping[str, Any]) -> None:
        """`assign_invoice`: the invoice (or recurring invoice) `entity_id` is sold through the first subscription."""
        if action != "assign_invoice":
            await super().bulk_other(who, action, entity_ids, data)
            return
        table = ASSIGNABLE.get(str(data.get("entity") or "invoice"))
        if table is None:
            raise invalid("entity", "The selected entity is invalid.")
        raw = data.get("entity_id")
        target = ids.decode_or_none(raw) if isinstance(raw, str) else None
        changed = await self.db.fetchval(
            f"UPDATE {table} SET subscription_id = $3, updated_at = now() WHERE company_id = $1 AND id = $2 "
            "AND NOT is_deleted RETURNING id",
            who.company_id,
            target,
            entity_ids[0],
        )
        if changed is None:
            raise invalid("entity_id", "The selected entity id is invalid.")
