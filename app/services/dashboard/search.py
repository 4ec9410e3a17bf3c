"""Global search (upstream SearchController, POST /api/v1/search): hits in the caller's company's clients (name,
number, id_number, contact names and e-mails) and invoices (number, po_number), each as {name, type, id, path,
heading}, plus the settings pages whose name matches. No search text: every list is empty. Deleted rows are
not found; a user without view permission finds only rows they created or are assigned (as the lists)."""

from __future__ import annotations

from ... import ids
from ...auth import Principal
from ...db import Db
from ...entities.common import like_pattern

LIMIT = 50
CLIENT_NAME = (
    "COALESCE(NULLIF(c.name, ''), (SELECT NULLIF(trim(cc.first_name || ' ' || cc.last_name), '') "
    "FROM client_contacts cc WHERE cc.company_id = c.company_id AND cc.client_id = c.id "
    "ORDER BY cc.is_primary DESC, cc.id LIMIT 1), '')"
)
OWN = "($3::bigint IS NULL OR {t}.user_id = $3 OR {t}.assigned_user_id = $3)"
CLIENTS_SQL = f"""
SELECT c.id, {CLIENT_NAME} AS name FROM clients c
WHERE c.company_id = $1 AND NOT c.is_deleted AND {OWN.format(t="c")}
  AND (c.name ILIKE $2 OR c.number ILIKE $2 OR c.id_number ILIKE $2)
ORDER BY c.updated_at DESC, c.id DESC LIMIT {LIMIT}"""
CONTACTS_SQL = f"""
SELECT c.id, trim(cc.first_name || ' ' || cc.last_name) AS name, cc.email FROM client_contacts cc
JOIN clients c ON c.company_id = cc.company_id AND c.id = cc.client_id
WHERE cc.company_id = $1 AND NOT c.is_deleted AND cc.deleted_at IS NULL AND {OWN.format(t="c")}
  AND (cc.first_name ILIKE $2 OR cc.last_name ILIKE $2 OR cc.email ILIKE $2
       OR (cc.first_name || ' ' || cc.last_name) ILIKE $2)
ORDER BY c.updated_at DESC, cc.id DESC LIMIT {LIMIT}"""
INVOICES_SQL = f"""
SELECT i.id, {CLIENT_NAME} AS client_name, COALESCE(i.number, '') AS number FROM invoices i
JOIN clients c ON c.company_id = i.company_id AND c.id = i.client_id
WHERE i.company_id = $1 AND NOT i.is_deleted AND NOT c.is_deleted AND {OWN.format(t="i")}
  AND (i.number ILIKE $2 OR i.po_number ILIKE $2)
ORDER BY i.id DESC LIMIT {LIMIT}"""

# the web app's settings pages: key (its translation keys joined by ",") -> path
SETTINGS = {
    "user_details": "/settings/user_details",
    "password": "/settings/user_details/password",
    "notifications": "/settings/user_details/notifications",
    "preferences": "/settings/user_details/preferences",
    "company_details": "/settings/company_details",
    "company_details,address": "/settings/company_details/address",
    "company_details,logo": "/settings/company_details/logo",
    "company_details,defaults": "/settings/company_details/defaults",
    "localization": "/settings/localization",
    "online_payments": "/settings/online_payments",
    "tax_settings": "/settings/tax_settings",
    "product_settings": "/settings/product_settings",
    "task_settings": "/settings/task_settings",
    "expense_settings": "/settings/expense_settings",
    "workflow_settings": "/settings/workflow_settings",
    "import_export": "/settings/import_export",
    "account_management": "/settings/account_management",
    "backup_restore": "/settings/backup_restore",
    "custom_fields": "/settings/custom_fields",
    "generated_numbers": "/settings/generated_numbers",
    "client_portal": "/settings/client_portal",
    "email_settings": "/settings/email_settings",
    "templates_and_reminders": "/settings/templates_and_reminders",
    "bank_accounts": "/settings/bank_accounts",
    "group_settings": "/settings/group_settings",
    "subscriptions": "/settings/subscriptions",
    "schedules": "/settings/schedules",
    "users": "/settings/users",
    "system_logs": "/settings/system_logs",
    "payment_terms": "/settings/payment_terms",
    "tax_rates": "/settings/tax_rates",
    "task_statuses": "/settings/task_statuses",
    "expense_categories": "/settings/expense_categories",
    "integrations": "/settings/integrations",
    "integrations,api_tokens": "/settings/integrations/api_tokens",
    "integrations,api_webhooks": "/settings/integrations/api_webhooks",
    "gateways,create": "/settings/gateways/create",
}


def _label(key: str) -> str:
    return " ".join(part.replace("_", " ").title() for part in key.split(","))


def empty() -> dict[str, list[dict[str, str]]]:
    return {"clients": [], "client_contacts": [], "invoices": [], "settings": []}


async def search(db: Db, who: Principal, text: str) -> dict[str, list[dict[str, str]]]:
    out = empty()
    pattern = like_pattern(text.replace("\x00", "")[:191])
    if pattern is None:
        return out
    own = None if who.can("view", "client") else who.user_id  # own rows only without the permission
    for r in await db.fetch(CLIENTS_SQL, who.company_id, pattern, own):
        hid = ids.encode(r["id"])
        out["clients"].append(
            {"name": r["name"], "type": "/client", "id": hid, "path": f"/clients/{hid}", "heading": "Clients"}
        )
    for r in await db.fetch(CONTACTS_SQL, who.company_id, pattern, own):
        hid = ids.encode(r["id"])
        name = r["name"] + (f" <{r['email']}>" if r["email"] else "") if r["name"] else r["email"]
        out["client_contacts"].append(
            {"name": name, "type": "/client", "id": hid, "path": f"/clients/{hid}", "heading": "Contacts"}
        )
    own = None if who.can("view", "invoice") else who.user_id
    for r in await db.fetch(INVOICES_SQL, who.company_id, pattern, own):
        hid = ids.encode(r["id"])
        out["invoices"].append(
            {
                "name": f"{r['client_name']} - {r['number']}",
                "type": "/invoice",
                "id": hid,
                "path": f"/invoices/{hid}/edit",
                "heading": "Invoices",
            }
        )
    needle = text.strip().lower()
    for key, path in SETTINGS.items():
        label = _label(key)
        if needle in label.lower() or needle in key:
            out["settings"].append(
                {"name": label, "type": key.split(",")[-1], "id": label, "path": path, "heading": "Settings"}
            )
    return out
