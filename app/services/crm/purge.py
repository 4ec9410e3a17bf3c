"""`POST /clients/{id}/purge`: the client and everything of it removed for good, in one transaction, for an
admin who confirms with the password. Everything of it: the rows of client_rows.OWNED (documents, payments,
expenses, the ledger, activities, contacts, gateway tokens...), the invitations and payment links of its
documents, the documents (files) attached to any of them. Rows that only point at it (client_rows.LINKED)
stay, unlinked. Nothing else of the company changes. The files go after the commit, so a failure leaves
rows and files as they were."""

from __future__ import annotations

from ...auth import Principal
from ...db import Db
from ...entities import REGISTRY
from ...errors import Forbidden
from .. import money
from ..accounts import passwords
from ..files.documents import remove_stored
from .client_rows import INVITED, LINKED, OWNED

DOCUMENT_KINDS = {e.table: e.path for e in REGISTRY.values() if e.documents}
OF_CLIENT = "SELECT id FROM {table} WHERE company_id = $1 AND client_id = $2"


def require_admin(who: Principal) -> None:
    """Purge, merge and the tax-data update are upstream's PurgeClientRequest: admins only."""
    if not (who.is_admin or who.is_owner):
        raise Forbidden("This action is unauthorized.")


async def purge(db: Db, who: Principal, client_id: int) -> None:
    """The caller has found the client (404 before this); 403 for a non-admin, 412 without the password."""
    require_admin(who)
    await passwords.confirm(db, who)
    company = who.company_id
    async with db.transaction():
        await money.lock_client(db, company, client_id)
        hashes = await _documents(db, company, client_id)
        await db.execute(
            "DELETE FROM paymentables x WHERE x.company_id = $1 AND ("
            f"x.payment_id IN ({OF_CLIENT.format(table='payments')}) OR "
            f"x.invoice_id IN ({OF_CLIENT.format(table='invoices')}) OR "
            f"x.credit_id IN ({OF_CLIENT.format(table='credits')}))",
            company,
            client_id,
        )
        for kind in INVITED:
            await db.execute(
                f"DELETE FROM {kind}_invitations WHERE company_id = $1 AND {kind}_id IN "
                f"({OF_CLIENT.format(table=kind + 's')})",
                company,
                client_id,
            )
        for table in OWNED:
            await db.execute(f"DELETE FROM {table} WHERE company_id = $1 AND client_id = $2", company, client_id)
        for table in LINKED:
            await db.execute(
                f"UPDATE {table} SET client_id = NULL, updated_at = now() WHERE company_id = $1 AND client_id = $2",
                company,
                client_id,
            )
        await db.execute("DELETE FROM clients WHERE company_id = $1 AND id = $2", company, client_id)
    remove_stored(company, hashes)


async def _documents(db: Db, company: int, client_id: int) -> list[str]:
    """Delete the document rows of the client and of its records; -> their stored file names."""
    gone = await db.fetch(
        "DELETE FROM documents WHERE company_id = $1 AND documentable_type = 'clients' AND documentable_id = $2 "
        "RETURNING hash",
        company,
        client_id,
    )
    hashes = [r["hash"] for r in gone]
    for table in OWNED:
        kind = DOCUMENT_KINDS.get(table)
        if kind is None:
            continue
        gone = await db.fetch(
            "DELETE FROM documents WHERE company_id = $1 AND documentable_type = $3 AND documentable_id IN "
            f"({OF_CLIENT.format(table=table)}) RETURNING hash",
            company,
            client_id,
            kind,
        )
        hashes += [r["hash"] for r in gone]
    return hashes
