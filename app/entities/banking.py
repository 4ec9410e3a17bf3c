"""Bank transactions and the rules that match them (upstream BankTransactionTransformer /
BankTransactionRuleTransformer). Bank integrations (the manual accounts a transaction belongs to) are in
setup.py. Matching, converting and the rules' evaluation live in app/services/banking/."""

from __future__ import annotations

from typing import Any

from .. import ids
from . import filters as f
from .common import standard
from .spec import Built, Entity, Field, Filter, Relation, boolean, code, date, integer, ref, text

UNMATCHED, MATCHED, CONVERTED = 1, 2, 3
CREDIT, DEBIT = "CREDIT", "DEBIT"
BASE_TYPES = (CREDIT, DEBIT)

# upstream's client_status vocabulary (BankTransactionFilters): statuses, OR'ed with the direction ones
_STATUSES = {"unmatched": UNMATCHED, "matched": MATCHED, "converted": CONVERTED}
_DIRECTIONS = {"deposits": CREDIT, "withdrawals": DEBIT}


def _client_status(v: str) -> Built | None:
    wanted = {s.strip().lower() for s in v.split(",")}
    if "all" in wanted:
        return None
    statuses = sorted(_STATUSES[s] for s in wanted if s in _STATUSES)
    directions = sorted(_DIRECTIONS[s] for s in wanted if s in _DIRECTIONS)
    parts: list[str] = []
    binds: list[object] = []
    if statuses:
        parts.append("{t}.status_id = ANY(?::int[])")
        binds.append(statuses)
    if directions:
        parts.append("{t}.base_type = ANY(?::text[])")
        binds.append(directions)
    return ("(" + " OR ".join(parts) + ")", tuple(binds)) if parts else None


def _integrations(v: str) -> Built | None:
    """`bank_integration_ids=HID,HID`; ids that do not decode match nothing."""
    decoded = [ids.decode_or_none(s.strip()) for s in v.split(",") if s.strip()]
    if not decoded:
        return None
    return ("{t}.bank_integration_id = ANY(?::bigint[])", ([d for d in decoded if d is not None],))


def _hashed_list(row: dict[str, Any], name: str) -> None:
    """A comma list of raw ids (from SQL) -> the comma list of hashed ids upstream answers with."""
    raw = row.get(name)
    if isinstance(raw, str) and raw:
        row[name] = ",".join(ids.encode(int(part)) for part in raw.split(","))


def _shape_transaction(row: dict[str, Any]) -> None:
    if row.get("category_id") is None:  # the provider's category: a nullable column, 0 when unset
        row["category_id"] = 0
    _hashed_list(row, "invoice_ids")
    _hashed_list(row, "expense_id")


TRANSACTION_SEARCH = "({t}.description ILIKE ? OR {t}.participant_name ILIKE ? OR {t}.amount::text ILIKE ?)"

bank_transaction = Entity(
    "bank_transaction",
    "bank_transactions",
    label="Bank transaction",
    fields=(
        *standard(assigned=False),
        ref("bank_integration_id", "bank_integration"),
        Field("transaction_id", "int", writable=False, column_type="bigint"),
        text("nordigen_transaction_id", writable=False),
        Field("amount", "money", writable=True),
        # upstream answers "1" when no currency is stored; the service stores the company's on create
        code("currency_id", "currencies"),
        text("account_type"),
        integer("category_id"),
        ref("ninja_category_id", "expense_category"),
        text("category_type"),
        date("date"),
        Field("bank_account_id", "int", writable=False, column_type="bigint"),
        text("description", 65535),
        text("participant"),
        text("participant_name"),
        text("base_type", choices=BASE_TYPES, default=CREDIT),
        Field("status_id", "text", writable=False, expr="{t}.status_id::text"),
        Field("invoice_ids", "text", writable=False, expr="array_to_string({t}.invoice_ids, ',')"),
        Field("expense_id", "text", writable=False, expr="array_to_string({t}.expense_ids, ',')"),
        ref("payment_id", "payment", writable=False),
        ref("vendor_id", "vendor"),
        ref("bank_transaction_rule_id", "bank_transaction_rule", writable=False),
    ),
    search=TRANSACTION_SEARCH,
    filters=(
        f.search(TRANSACTION_SEARCH),
        Filter("client_status", _client_status),
        f.ref_eq("bank_integration_id"),
        Filter("bank_integration_ids", _integrations),
        f.ref_eq("vendor_id"),
        f.eq("base_type"),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "amount": "{t}.amount",
        "date": "{t}.date",
        "description": "lower({t}.description)",
        "status": "{t}.status_id",
        "status_id": "{t}.status_id",
        "base_type": "{t}.base_type",
        # upstream: the transactions of that direction first, by amount
        "deposit": "CASE WHEN {t}.base_type = 'CREDIT' THEN {t}.amount END",
        "withdrawal": "CASE WHEN {t}.base_type = 'DEBIT' THEN {t}.amount END",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
    relations=(
        Relation("payment", "payment", kind="one", local="payment_id"),
        Relation("vendor", "vendor", kind="one", local="vendor_id"),
    ),
    bulk_actions=("archive", "restore", "delete", "convert_matched", "unlink"),
    shape=_shape_transaction,
)

bank_transaction_rule = Entity(
    "bank_transaction_rule",
    "bank_transaction_rules",
    label="Bank transaction rule",
    fields=(
        *standard(assigned=False),
        text("name"),
        # written by the service, which validates every condition (app.services.banking.conditions)
        Field("rules", "array", writable=False),
        boolean("auto_convert"),
        boolean("matches_on_all"),
        text("applies_to", choices=BASE_TYPES, default=CREDIT),
        ref("client_id", "client"),
        ref("vendor_id", "vendor"),
        ref("category_id", "expense_category"),
    ),
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), f.eq("applies_to"), *f.common()),
    sorts={"id": "{t}.id", "name": "lower({t}.name)", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"},
    relations=(
        Relation("vendor", "vendor", kind="one", local="vendor_id"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("expense_category", "expense_category", kind="one", local="category_id"),
    ),
)
