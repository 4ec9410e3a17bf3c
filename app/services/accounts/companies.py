"""Companies: their JSON shape (settings, custom fields, the company's own flags) and updates."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ... import ids, reference
from ...auth import Principal
from ...crud.json_values import clean_json
from ...crud.validate import clean_bool, clean_int, clean_setting, clean_text, message
from ...db import Db, Record
from ...errors import Forbidden, Invalid, NotFound

# The company's own fields besides settings (upstream CompanyTransformer), with their defaults.
ATTRIBUTES: dict[str, Any] = {
    "size_id": "",
    "industry_id": "",
    "first_month_of_year": "1",
    "first_day_of_week": "0",
    "subdomain": "",
    "portal_mode": "subdomain",
    "portal_domain": "",
    "enabled_tax_rates": 0,
    "enabled_item_tax_rates": 0,
    "enabled_expense_tax_rates": 0,
    "enabled_modules": 32767,
    "update_products": True,
    "fill_products": True,
    "convert_products": False,
    "custom_surcharge_taxes1": False,
    "custom_surcharge_taxes2": False,
    "custom_surcharge_taxes3": False,
    "custom_surcharge_taxes4": False,
    "show_product_cost": False,
    "enable_product_cost": False,
    "show_product_details": True,
    "enable_product_quantity": True,
    "default_quantity": True,
    "client_can_register": False,
    "is_large": False,
    "is_disabled": False,
    "enable_shop_api": False,
    "mark_expenses_invoiceable": False,
    "mark_expenses_paid": False,
    "invoice_expense_documents": False,
    "invoice_task_timelog": True,
    "auto_start_tasks": False,
    "invoice_task_documents": False,
    "show_tasks_table": False,
    "default_task_is_date_based": False,
    "enable_product_discount": False,
    "calculate_expense_tax_by_amount": False,
    "expense_inclusive_taxes": False,
    "oauth_password_required": False,
    "invoice_task_datelog": True,
    "show_task_end_date": False,
    "markdown_enabled": True,
    "use_comma_as_decimal_place": False,
    "report_include_drafts": False,
    "convert_rate_to_client": True,
    "markdown_email_enabled": True,
    "stop_on_unpaid_recurring": False,
    "use_quote_terms_on_conversion": False,
    "stock_notification": True,
    "track_inventory": False,
    "enable_applying_payments": False,
    "invoice_task_project": False,
    "report_include_deleted": False,
    "invoice_task_lock": False,
    "convert_payment_currency": False,
    "convert_expense_currency": False,
    "notify_vendor_when_paid": False,
    "invoice_task_hours": False,
    "calculate_taxes": False,
    "invoice_task_project_header": True,
    "invoice_task_item_description": True,
    "smtp_verify_peer": True,
    "session_timeout": 0,
    "default_password_timeout": 1800000,
    "inventory_notification_threshold": 0,
    "smtp_port": 0,
    "slack_webhook_url": "",
    "google_analytics_key": "",
    "google_analytics_url": "",
    "matomo_url": "",
    "matomo_id": "",
    "smtp_host": "",
    "smtp_encryption": "",
    "smtp_local_domain": "",
    "smtp_username": "",
    "smtp_password": "",
    "tax_data": {},
    "origin_tax_data": {},
    "e_invoice": {},
    "client_registration_fields": [],
    "use_credits_payment": "always",
    "hide_empty_columns_on_pdf": False,
    "expense_amount_is_pretax": True,
    "has_e_invoice_certificate": False,
    "has_e_invoice_certificate_passphrase": False,
    "legal_entity_id": 0,
}
READ_ONLY = frozenset(
    {
        "is_large",
        "is_disabled",
        "use_credits_payment",
        "has_e_invoice_certificate",
        "has_e_invoice_certificate_passphrase",
        "legal_entity_id",
    }
)
SECRET = frozenset({"smtp_username", "smtp_password"})
# settings that hold credentials of mail providers: masked the same way
SECRET_SETTINGS = frozenset({"postmark_secret", "mailgun_secret", "brevo_secret"})
MASK = "********"

COMPANY_SQL = """
SELECT id, company_key, settings, custom_fields, attributes, is_deleted,
       EXTRACT(EPOCH FROM created_at)::bigint AS created_at, EXTRACT(EPOCH FROM updated_at)::bigint AS updated_at,
       COALESCE(EXTRACT(EPOCH FROM deleted_at)::bigint, 0) AS archived_at
FROM companies WHERE id = ANY($1::bigint[])
"""


def shape(row: Mapping[str, Any] | Record) -> dict[str, Any]:
    attributes = {**copy.deepcopy(ATTRIBUTES), **row["attributes"]}
    for key in SECRET:  # never echoed back: upstream masks them
        attributes[key] = MASK if attributes.get(key) else ""
    settings = dict(row["settings"])
    for key in SECRET_SETTINGS & settings.keys():
        settings[key] = MASK if settings[key] else ""
    return {
        "id": ids.encode(row["id"]),
        "company_key": row["company_key"],
        "settings": settings,
        "custom_fields": row["custom_fields"] or {},
        **attributes,
        "is_deleted": row["is_deleted"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "archived_at": row["archived_at"],
        "documents": [],
    }


async def load(db: Db, company_ids: list[int]) -> dict[int, dict[str, Any]]:
    return {r["id"]: shape(r) for r in await db.fetch(COMPANY_SQL, company_ids)}


async def get(db: Db, who: Principal, company_id: int) -> dict[str, Any]:
    """Only the caller's own company is visible; any other id is a 404 like a missing one."""
    if company_id != who.company_id:
        raise NotFound("Company not found")
    return (await load(db, [company_id]))[company_id]


def _clean_attribute(key: str, value: Any) -> Any:
    default = ATTRIBUTES[key]
    if isinstance(default, bool):
        return clean_bool(value)
    if isinstance(default, int):
        return clean_int(value)
    if isinstance(default, dict):
        if value == []:
            return {}
        if not isinstance(value, dict):
            raise ValueError("must be an object")
        return clean_json(value)
    if isinstance(default, list):
        if not isinstance(value, list):
            raise ValueError("must be a list")
        return clean_json(value)
    return clean_text(value, 191)


def _clean_settings(given: Any) -> dict[str, Any]:
    """Typed as every settings override (clean_setting), unknown keys dropped as upstream's casts do; a
    company's own settings are never null, and its currency, country and language never unset."""
    if not isinstance(given, dict):
        raise Invalid({"settings": ["The settings must be an object."]})
    out, errors = {}, {}
    for key, value in given.items():
        if key not in reference.COMPANY_SETTING_TYPES:
            continue
        try:
            out[key] = clean_setting(key, value, nullable=False)
        except ValueError as exc:
            where = f"settings.{key}" + getattr(exc, "path", "")
            errors[where] = [message(where, exc)]
    for key in ("currency_id", "country_id", "language_id"):
        if out.get(key) == "" and f"settings.{key}" not in errors:
            errors[f"settings.{key}"] = [f"The selected {key.replace('_', ' ')} is invalid."]
    if errors:
        raise Invalid(errors)
    return out


async def update(db: Db, who: Principal, company_id: int, data: Mapping[str, Any]) -> dict[str, Any]:
    await get(db, who, company_id)
    if not who.can("edit", "company"):  # upstream CompanyPolicy: admin, edit_company or edit_all
        raise Forbidden("This action is unauthorized.")
    attributes, errors = {}, {}
    for key, value in data.items():
        if key in SECRET and value == MASK:
            continue  # the masked value sent back (the web app PUTs the whole company) keeps the secret
        if key in ATTRIBUTES and key not in READ_ONLY:
            try:
                attributes[key] = _clean_attribute(key, value)
            except ValueError as exc:
                where = key + getattr(exc, "path", "")
                errors[where] = [message(where, exc)]
    if errors:
        raise Invalid(errors)
    settings = _clean_settings(data["settings"]) if "settings" in data else {}
    for key in SECRET_SETTINGS & settings.keys():
        if settings[key] == MASK:
            del settings[key]
    custom_fields = data.get("custom_fields")
    if custom_fields == []:
        custom_fields = {}
    if custom_fields is not None:
        if not isinstance(custom_fields, dict):
            raise Invalid({"custom_fields": ["The custom fields must be an object."]})
        try:
            custom_fields = clean_json(custom_fields)
        except ValueError as exc:
            where = "custom_fields" + getattr(exc, "path", "")
            raise Invalid({where: [message(where, exc)]}) from None
    await db.execute(
        "UPDATE companies SET settings = settings || $2::jsonb, attributes = attributes || $3::jsonb, "
        "custom_fields = COALESCE($4::jsonb, custom_fields), updated_at = now() WHERE id = $1",
        company_id,
        settings,
        attributes,
        custom_fields,
    )
    return await get(db, who, company_id)
