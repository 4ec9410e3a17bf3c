"""Bulk `invoice` on expenses: ONE draft invoice for the expenses' client, made by the invoice service, with
one line per expense as upstream's web app builds it (useInvoiceExpense): type 1 (product), quantity 1,
cost = the foreign amount when there is one (the invoice currency's), else the amount; product_key = the
category's name, notes = the public notes, the expense's hashed id in `expense_id`, its tax names and rates
(a tax entered by amount becomes the rate that gives the same tax, see taxes.line_rate) and custom values.
The invoice takes the first expense's date and inclusive-taxes flag. Then every expense gets the invoice's
id (`invoice_id`, which is what makes it invoiced).

Refused with a 422 on `ids`, changing nothing: an expense already invoiced, deleted, or without a client,
and expenses of different clients. The client row is locked first (the lock order of every money movement:
an invoice saved with lines naming these expenses locks its client before it links them), then the
expenses (id order), and everything is decided on the locked rows: of concurrent calls on the same expenses
one invoices them and the others find them invoiced. The invoice service then takes the company's counter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db
from ...entities import REGISTRY
from ...errors import invalid
from .. import money
from ..billing.invoices import InvoiceService
from . import taxes

OWNERS_SQL = "SELECT DISTINCT client_id FROM expenses WHERE company_id = $1 AND id = ANY($2::bigint[])"
LOCK_SQL = """
SELECT e.*, COALESCE((SELECT c.name FROM expense_categories c WHERE c.company_id = e.company_id
                      AND c.id = e.category_id), '') AS category_name
FROM expenses e WHERE e.company_id = $1 AND e.id = ANY($2::bigint[]) ORDER BY e.id FOR UPDATE OF e"""


def _label(e: dict[str, Any]) -> str:
    return str(e["number"] or ids.encode(e["id"]))


def _refusal(rows: list[dict[str, Any]]) -> str:
    for e in rows:
        if e["is_deleted"]:
            return f"The expense {_label(e)} is deleted."
        if e["invoice_id"] is not None:
            return f"The expense {_label(e)} has already been invoiced."
        if e["client_id"] is None:
            return f"The expense {_label(e)} has no client."
    if len({e["client_id"] for e in rows}) > 1:
        return "The expenses belong to different clients."
    return ""


def line(e: dict[str, Any]) -> dict[str, Any]:
    """The invoice line of one expense."""
    cost = e["foreign_amount"] if e["foreign_amount"] > 0 else e["amount"]
    out: dict[str, Any] = {
        "type_id": "1",
        "quantity": 1,
        "cost": cost,
        "product_key": e["category_name"],
        "notes": e["public_notes"],
        "expense_id": ids.encode(e["id"]),
    }
    for i in taxes.TAXES:
        out[f"tax_name{i}"] = e[f"tax_name{i}"]
        out[f"tax_rate{i}"] = taxes.line_rate(e, i)
    for i in (1, 2, 3, 4):
        out[f"custom_value{i}"] = e[f"custom_value{i}"]
    return out


async def invoice_expenses(db: Db, who: Principal, entity_ids: Sequence[int]) -> int:
    """-> the new invoice's id. Runs inside the caller's transaction (the bulk's)."""
    owners = await db.fetch(OWNERS_SQL, who.company_id, list(entity_ids))
    clients = await money.lock_clients(db, who.company_id, [r["client_id"] for r in owners if r["client_id"]])
    rows = [dict(r) for r in await db.fetch(LOCK_SQL, who.company_id, list(entity_ids))]
    refusal = _refusal(rows)
    if not refusal and rows[0]["client_id"] not in clients:
        refusal = "The expenses changed while being invoiced; try again."
    if refusal:
        raise invalid("ids", refusal)
    first = rows[0]
    body: dict[str, Any] = {
        "client_id": ids.encode(first["client_id"]),
        "uses_inclusive_taxes": first["uses_inclusive_taxes"],
        "line_items": [line(e) for e in rows],
    }
    if first["date"] is not None:
        body["date"] = first["date"].isoformat()
    made = await InvoiceService(REGISTRY["invoice"], db).create(who, body)
    invoice_id = int(made["id"])
    await db.execute(
        "UPDATE expenses SET invoice_id = $3, updated_at = now() WHERE company_id = $1 AND id = ANY($2::bigint[])",
        who.company_id,
        [e["id"] for e in rows],
        invoice_id,
    )
    return invoice_id
