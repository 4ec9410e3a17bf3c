"""Products, tax rates and payment terms: the lookup lists invoices draw on."""

from __future__ import annotations

from . import filters as f
from .common import standard
from .spec import Entity, Field, Relation, boolean, custom_values, integer, text

TAX_CATEGORIES = tuple(str(i) for i in range(1, 10))  # 1 product .. 9 reverse charge (upstream tax_id)


def _rate(name: str) -> Field:
    return Field(name, "money", writable=True)


product = Entity(
    "product",
    "products",
    label="Product",
    documents=True,
    fields=(
        *standard(),
        text("product_key"),
        text("notes", 65535),
        _rate("cost"),
        _rate("price"),
        Field("quantity", "money", writable=True, default=1),
        *(text(f"tax_name{i}") for i in (1, 2, 3)),
        *(_rate(f"tax_rate{i}") for i in (1, 2, 3)),
        *custom_values(),
        integer("in_stock_quantity", default=0),
        boolean("stock_notification", default=True),
        integer("stock_notification_threshold", default=0),
        integer("max_quantity", default=0),
        text("product_image", 2048),
        text("tax_id", choices=TAX_CATEGORIES, default="1"),
    ),
    filters=(
        f.search(
            "({t}.product_key ILIKE ? OR {t}.notes ILIKE ? OR {t}.custom_value1 ILIKE ? OR "
            "{t}.custom_value2 ILIKE ? OR {t}.custom_value3 ILIKE ? OR {t}.custom_value4 ILIKE ?)"
        ),
        f.eq("product_key"),
        *f.common(),
    ),
    sorts={
        "id": "{t}.id",
        "product_key": "{t}.product_key",
        "notes": "{t}.notes",
        "cost": "{t}.cost",
        "price": "{t}.price",
        "quantity": "{t}.quantity",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
        "in_stock_quantity": "{t}.in_stock_quantity",
    },
    relations=(Relation("documents", "document", morph="products"),),
    default_includes=("documents",),
)

tax_rate = Entity(
    "tax_rate",
    "tax_rates",
    label="Tax rate",
    fields=(*standard(assigned=False), text("name"), _rate("rate")),
    filters=(f.search("({t}.name ILIKE ?)"), f.like("name"), *f.common()),
    sorts={
        "id": "{t}.id",
        "name": "{t}.name",
        "rate": "{t}.rate",
        "created_at": "{t}.created_at",
        "updated_at": "{t}.updated_at",
    },
)

payment_term = Entity(
    "payment_term",
    "payment_terms",
    label="Payment term",
    fields=(
        *standard(assigned=False),
        integer("num_days"),
        Field("name", "text", writable=False, expr="'Net ' || {t}.num_days"),
    ),
    filters=(f.int_eq("num_days"), *f.common()),
    sorts={"id": "{t}.id", "num_days": "{t}.num_days", "name": "{t}.num_days", "created_at": "{t}.created_at"},
)
