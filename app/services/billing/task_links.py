"""The tasks an invoice bills (upstream InvoiceService::linkEntities and MarkInvoiceDeleted): a saved line
whose task_id names a task of the same company and client that no invoice bills yet links it to the invoice,
a task whose line is gone is freed, and deleting the invoice frees all of its tasks. The web app invoices
tasks this way (it builds the lines and posts the invoice); the tasks' bulk `invoice` too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import ids
from ...auth import Principal
from ...db import Db


def task_ids(lines: Sequence[dict[str, Any]]) -> list[int]:
    found = (ids.decode_or_none(str(line.get("task_id") or "")) for line in lines if line.get("task_id"))
    return sorted({t for t in found if t is not None})


async def link(db: Db, who: Principal, invoice_id: int, client_id: int, lines: Sequence[dict[str, Any]]) -> None:
    await db.execute(
        "UPDATE tasks SET invoice_id = CASE WHEN id = ANY($3::bigint[]) THEN $2 END, updated_at = now() "
        "WHERE company_id = $1 AND ((invoice_id = $2 AND NOT id = ANY($3::bigint[])) "
        "OR (id = ANY($3::bigint[]) AND client_id = $4 AND invoice_id IS NULL))",
        who.company_id,
        invoice_id,
        task_ids(lines),
        client_id,
    )


async def free(db: Db, who: Principal, invoice_id: int) -> None:
    await db.execute(
        "UPDATE tasks SET invoice_id = NULL, updated_at = now() WHERE company_id = $1 AND invoice_id = $2",
        who.company_id,
        invoice_id,
    )
