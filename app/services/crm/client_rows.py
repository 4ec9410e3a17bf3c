"""Where a client's rows are: every table with a `client_id` column is named here, either as rows OF the
client (they go with it on purge, move with it on merge) or as rows that only point at it (they outlive it
on purge, unlinked; they move on merge). tests/test_client_tools.py fails when a table with a client_id
column is in neither list, so a new table cannot be forgotten by purge and merge.

OWNED is in delete order: children before the rows their foreign keys name (tasks name projects,
credits and quotes name invoices; invitations and contacts are handled by the purge itself)."""

from __future__ import annotations

OWNED = (
    "tasks",
    "projects",
    "quotes",
    "credits",
    "recurring_invoices",
    "recurring_quotes",
    "payments",
    "invoices",
    "expenses",
    "recurring_expenses",
    "client_gateway_tokens",
    "client_contacts",
    "activities",
    "company_ledgers",
    "system_logs",
)
LINKED = ("purchase_orders", "bank_transaction_rules")
# document kinds with invitations, each `{kind}_invitations.{kind}_id` naming a `{kind}s` row of the client
INVITED = ("invoice", "quote", "credit", "recurring_invoice", "recurring_quote")
