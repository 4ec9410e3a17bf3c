"""Expense categories and expenses (upstream ExpenseCategoryTransformer / ExpenseTransformer). An expense has
no status column: paid, invoiced, pending and logged are derived from its payment date, invoice and flags.
Recurring expenses carry the expense's fields plus the schedule of recurring invoices. The rules (numbering,
currency defaults, links checked, taxes, the bulk invoice, the schedule) live in app/services/expenses/."""

from __future__ import annotations

from . import filters as f
from .common import standard
from .recurring import CLIENT_STATUS, SCHEDULE_SORTS, schedule, status_ids
from .spec import Built, Entity, Field, Filter, Relation, boolean, code, custom_values, date, obj, ref, text

NUMERIC_NUMBER = "NULLIF(regexp_replace({t}.number, '[^0-9]', '', 'g'), '')::numeric"


def _money(name: str) -> Field:
    return Field(name, "money", writable=True)


expense_category = Entity(
    "expense_category",
    "expense_categories",
    plural="expense_categories",
    label="Expense category",
    fields=(*standard(assigned=False), text("name"), text("color", 32)),
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), *f.common()),
    sorts={"id": "{t}.id", "name": "lower({t}.name)", "created_at": "{t}.created_at", "updated_at": "{t}.updated_at"},
)

NAME_OF = "(SELECT x.name FROM {table} x WHERE x.company_id = {{t}}.company_id AND x.id = {{t}}.{column})"
EXPENSE_SEARCH = (
    "("
    + " OR ".join(
        [
            f"{{t}}.{c} ILIKE ?"
            for c in ("number", "public_notes", "custom_value1", "custom_value2", "custom_value3", "custom_value4")
        ]
        + ["{t}.amount::text ILIKE ?"]
        + [
            NAME_OF.format(table=table, column=column) + " ILIKE ?"
            for table, column in (
                ("expense_categories", "category_id"),
                ("vendors", "vendor_id"),
                ("clients", "client_id"),
            )
        ]
    )
    + ")"
)
# upstream's client_status vocabulary (ExpenseFilters)
EXPENSE_STATUS = {
    "logged": "({t}.amount >= 0 AND {t}.invoice_id IS NULL AND {t}.payment_date IS NULL "
    "AND NOT {t}.should_be_invoiced)",
    "pending": "({t}.should_be_invoiced AND {t}.invoice_id IS NULL)",
    "invoiced": "({t}.invoice_id IS NOT NULL)",
    "paid": "({t}.payment_date IS NOT NULL)",
    "unpaid": "({t}.payment_date IS NULL)",
    "uncategorized": "({t}.category_id IS NULL)",
}


def _match_transactions(v: str) -> Built | None:
    if v.strip().lower() not in {"1", "true"}:
        return None
    return ("({t}.is_deleted = false AND {t}.transaction_id IS NULL)", ())


def expense_fields(inclusive: bool = False, by_amount: bool = False, documents: bool = True) -> tuple[Field, ...]:
    """The columns an expense and a recurring expense share; the flags are the defaults of a new row where
    the company sets none (upstream's factories: a recurring expense starts inclusive, by amount, without
    the invoice documents flag)."""
    return (
        *standard(),
        ref("vendor_id", "vendor"),
        ref("client_id", "client"),
        ref("invoice_id", "invoice"),
        ref("category_id", "expense_category"),
        Field("project_id", "ref", writable=False),
        text("bank_id"),
        code("currency_id", "currencies"),
        code("invoice_currency_id", "currencies"),
        code("payment_type_id", "payment_types"),
        Field("expense_currency_id", "text", writable=False, expr="''"),
        boolean("should_be_invoiced"),
        boolean("invoice_documents", default=documents),
        boolean("uses_inclusive_taxes", default=inclusive),
        boolean("calculate_tax_by_amount", default=by_amount),
        _money("amount"),
        _money("foreign_amount"),
        Field("exchange_rate", "money", writable=True, default=1),
        *(text(f"tax_name{i}") for i in (1, 2, 3)),
        *(_money(f"tax_rate{i}") for i in (1, 2, 3)),
        *(_money(f"tax_amount{i}") for i in (1, 2, 3)),
        text("private_notes", 65535),
        text("public_notes", 65535),
        text("transaction_reference"),
        date("date"),
        text("number"),
        date("payment_date"),
        *custom_values(),
    )


EXPENSE_SORTS = {
    "id": "{t}.id",
    "number": NUMERIC_NUMBER,
    "amount": "{t}.amount",
    "date": "{t}.date",
    "payment_date": "{t}.payment_date",
    "public_notes": "lower({t}.public_notes)",
    "client_id": NAME_OF.format(table="clients", column="client_id"),
    "vendor_id": NAME_OF.format(table="vendors", column="vendor_id"),
    "category_id": NAME_OF.format(table="expense_categories", column="category_id"),
    **{f"custom_value{i}": f"lower({{t}}.custom_value{i})" for i in (1, 2, 3, 4)},
    "created_at": "{t}.created_at",
    "updated_at": "{t}.updated_at",
    "archived_at": "{t}.deleted_at",
}

expense = Entity(
    "expense",
    "expenses",
    label="Expense",
    documents=True,
    number_counter="expense",
    fields=(
        *expense_fields(),
        Field("recurring_expense_id", "ref", writable=False),
        Field("transaction_id", "ref", writable=False),
        Field("entity_type", "text", writable=False, expr="'expense'", default="expense"),
        obj("e_invoice"),
    ),
    search=EXPENSE_SEARCH,
    filters=(
        f.search(EXPENSE_SEARCH),
        f.client_status(EXPENSE_STATUS),
        f.eq("number"),
        f.ref_eq("client_id"),
        f.ref_eq("vendor_id"),
        f.ref_eq("category_id"),
        f.ref_eq("invoice_id"),
        Filter("match_transactions", _match_transactions),
        *f.common(),
    ),
    sorts=EXPENSE_SORTS,
    relations=(
        Relation("documents", "document", morph="expenses"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("vendor", "vendor", kind="one", local="vendor_id"),
        Relation("category", "expense_category", kind="one", local="category_id"),
        Relation("invoice", "invoice", kind="one", local="invoice_id"),
        Relation("activities", "activity", fk="expense_id", order="{t}.id DESC"),
    ),
    default_includes=("documents",),
    activity={"create": 34, "update": 47, "archive": 35, "delete": 36, "restore": 37},
    bulk_actions=("archive", "restore", "delete", "bulk_categorize", "invoice"),
)

# upstream's RecurringExpenseFilters reads the expense words (logged counts amounts above 0 there); the
# schedule words are those of recurring invoices, whose `pending` wins
RECURRING_EXPENSE_STATUS = {
    **{k: v for k, v in EXPENSE_STATUS.items() if k not in ("pending", "uncategorized")},
    "logged": EXPENSE_STATUS["logged"].replace("{t}.amount >= 0", "{t}.amount > 0"),
    **CLIENT_STATUS,
}

recurring_expense = Entity(
    "recurring_expense",
    "recurring_expenses",
    plural="recurring_expenses",
    label="Recurring Expense",
    documents=True,
    number_counter="recurring_expense",
    fields=(
        *expense_fields(inclusive=True, by_amount=True, documents=False),
        Field("transaction_id", "ref", writable=False),
        Field("recurring_expense_currency_id", "text", writable=False, expr="''"),
        Field(
            "last_sent_date",
            "text",
            writable=False,
            expr="COALESCE(to_char({t}.last_sent_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), '')",
        ),
        *schedule("recurringExpense"),
    ),
    search=EXPENSE_SEARCH,
    filters=(
        f.search(EXPENSE_SEARCH),
        f.client_status(RECURRING_EXPENSE_STATUS),
        Filter("status_id", status_ids),
        f.eq("number"),
        f.ref_eq("client_id"),
        f.ref_eq("vendor_id"),
        f.ref_eq("category_id"),
        *f.common(),
    ),
    sorts={**EXPENSE_SORTS, **SCHEDULE_SORTS, "status_id": "{t}.status_id"},
    relations=(
        Relation("documents", "document", morph="recurring_expenses"),
        Relation("client", "client", kind="one", local="client_id"),
        Relation("vendor", "vendor", kind="one", local="vendor_id"),
        Relation("category", "expense_category", kind="one", local="category_id"),
        Relation("activities", "activity", fk="recurring_expense_id", order="{t}.id DESC"),
    ),
    default_includes=("documents",),
    activity={"create": 120, "update": 121, "archive": 122, "delete": 123, "restore": 124},
    bulk_actions=("archive", "restore", "delete", "start", "stop"),
)
