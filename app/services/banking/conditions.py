"""The conditions of a bank transaction rule: what a rule body may say (validated into a clean list) and
whether one condition holds for a transaction.

A condition is `{"search_key", "operator", "value"}`. Two kinds of keys:
- the transaction's own `description` (text) and `amount` (number), compared with the condition's `value`
  as upstream's debit rules do: descriptions lower-cased with every space removed; `is_empty` needs no value;
- credit keys naming the company's records, as upstream's credit rules do: `$invoice.number`,
  `$invoice.po_number`, `$payment.transaction_reference`, `$client.id_number`, `$client.email` (that field
  of some record compared with the transaction's description) and `$invoice.amount`, `$payment.amount`
  (compared with the transaction's amount). Such a condition holds when some live record satisfies it, and
  the records found are the rule's suggestions (open invoices, unlinked payments, clients).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...crud.validate import clean_decimal, clean_text
from ...db import Db
from ...errors import Invalid

TEXT_OPERATORS = ("is", "contains", "starts_with", "is_empty")
NUMBER_OPERATORS = ("=", ">", ">=", "<", "<=")
OWN_KEYS = {"description": TEXT_OPERATORS, "amount": NUMBER_OPERATORS}
# key -> (what it finds, SQL of the compared field on that table's alias x)
RECORD_TEXT = {
    "$invoice.number": ("invoice", "x.number"),
    "$invoice.po_number": ("invoice", "x.po_number"),
    "$payment.transaction_reference": ("payment", "x.transaction_reference"),
    "$client.id_number": ("client", "x.id_number"),
    "$client.email": ("client", "x.email"),
}
RECORD_NUMBER = {
    "$invoice.amount": ("invoice", "CASE WHEN x.status_id = 1 THEN x.amount ELSE x.balance END"),
    "$payment.amount": ("payment", "x.amount"),
}
CREDIT_KEYS = {
    **{k: TEXT_OPERATORS[:3] for k in RECORD_TEXT},
    **{k: NUMBER_OPERATORS for k in RECORD_NUMBER},
}
MAX_CONDITIONS = 50
# the live records a credit key may suggest: open invoices, payments no transaction is linked to, clients
SOURCES = {
    "invoice": "invoices x WHERE x.company_id = $1 AND x.is_deleted = false AND x.status_id IN (1, 2, 3)",
    "payment": "payments x WHERE x.company_id = $1 AND x.is_deleted = false AND x.status_id IN (1, 4) "
    "AND x.transaction_id IS NULL",
    "client": "clients x WHERE x.company_id = $1 AND x.is_deleted = false",
}
CLIENT_EMAIL_SOURCE = (
    "clients x0 JOIN client_contacts x ON x.company_id = x0.company_id AND x.client_id = x0.id "
    "WHERE x0.company_id = $1 AND x0.is_deleted = false AND x.is_deleted = false"
)


def clean_rules(raw: Any, applies_to: str) -> list[dict[str, str]]:
    """The `rules` list of a rule body, every condition checked; 422 naming `rules.N.<key>` otherwise."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise Invalid({"rules": ["The rules must be an array."]})
    if len(raw) > MAX_CONDITIONS:
        raise Invalid({"rules": [f"The rules may not have more than {MAX_CONDITIONS} items."]})
    allowed = {**OWN_KEYS, **(CREDIT_KEYS if applies_to == "CREDIT" else {})}
    out, errors = [], {}
    for n, item in enumerate(raw):
        where = f"rules.{n}"
        if not isinstance(item, dict):
            errors[where] = [f"The {where} must be an object."]
            continue
        key, operator = item.get("search_key"), item.get("operator")
        if not isinstance(key, str) or key not in allowed:
            errors[f"{where}.search_key"] = [f"The {where}.search_key must be one of: {', '.join(allowed)}."]
            continue
        if not isinstance(operator, str) or operator not in allowed[key]:
            errors[f"{where}.operator"] = [f"The {where}.operator must be one of: {', '.join(allowed[key])}."]
            continue
        try:
            value = _clean_value(key, operator, item.get("value"))
        except ValueError as exc:
            errors[f"{where}.value"] = [f"The {where}.value {exc}."]
            continue
        out.append({"search_key": key, "operator": operator, "value": value})
    if errors:
        raise Invalid(errors)
    return out


def _clean_value(key: str, operator: str, value: Any) -> str:
    if key in CREDIT_KEYS or operator == "is_empty":
        return "" if value is None else clean_text(value, 191)  # compared with records, not with the value
    if key == "amount":
        return str(clean_decimal(value))
    text = clean_text(value, 191)
    if not text:
        raise ValueError("field is required")
    return text


def squeeze(text: str) -> str:
    """Upstream compares descriptions lower-cased with all spaces removed."""
    return "".join(text.lower().split(" "))


def compare_text(subject: str, operator: str, value: str) -> bool:
    subject, value = squeeze(subject), squeeze(value)
    if operator == "is_empty":
        return subject == ""
    if operator == "is":
        return subject == value
    if operator == "contains":
        return value in subject
    return subject.startswith(value)  # starts_with


def compare_number(subject: Decimal, operator: str, value: Decimal) -> bool:
    return {
        "=": subject == value,
        ">": subject > value,
        ">=": subject >= value,
        "<": subject < value,
        "<=": subject <= value,
    }[operator]


def own_holds(tx: dict[str, Any], condition: dict[str, str]) -> bool:
    """A condition on the transaction's own description or amount."""
    if condition["search_key"] == "description":
        return compare_text(tx["description"] or "", condition["operator"], condition["value"])
    return compare_number(Decimal(tx["amount"]), condition["operator"], Decimal(condition["value"]))


@dataclass
class Found:
    """What the credit conditions of one rule found, in id order."""

    invoices: list[tuple[int, int]] = field(default_factory=list)  # (invoice id, client id)
    payments: list[tuple[int, int]] = field(default_factory=list)  # (payment id, client id)
    clients: set[int] = field(default_factory=set)


TEXT_SQL = {  # the record's field (f) compared with the transaction's description ($2), case-insensitive
    "is": "lower({f}) = lower($2)",
    "contains": "{f} <> '' AND position(lower({f}) IN lower($2)) > 0",
    "starts_with": "{f} <> '' AND left(lower($2), length({f})) = lower({f})",
}


async def records_holding(db: Db, company_id: int, tx: dict[str, Any], condition: dict[str, str], found: Found) -> bool:
    """A credit-key condition: whether some live record satisfies it; what it finds goes into `found`."""
    key, operator = condition["search_key"], condition["operator"]
    if key in RECORD_TEXT:
        kind, column = RECORD_TEXT[key]
        test, subject = TEXT_SQL[operator].format(f=column), tx["description"] or ""
    else:
        kind, column = RECORD_NUMBER[key]
        test, subject = f"{column} {operator} $2", Decimal(tx["amount"])
    source = CLIENT_EMAIL_SOURCE if key == "$client.email" else SOURCES[kind]
    owner = "x0.id" if key == "$client.email" else "x.id" if kind == "client" else "x.client_id"
    rows = await db.fetch(
        f"SELECT DISTINCT x.id, {owner} AS client_id FROM {source} AND {test} ORDER BY x.id LIMIT 50",
        company_id,
        subject,
    )
    if kind == "invoice":
        found.invoices += [(r["id"], r["client_id"]) for r in rows]
    elif kind == "payment":
        found.payments += [(r["id"], r["client_id"]) for r in rows]
    else:
        found.clients |= {r["client_id"] for r in rows}
    return bool(rows)
