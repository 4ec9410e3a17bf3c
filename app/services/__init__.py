"""Which service class runs each entity: CrudService unless business rules need a subclass."""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..crud.service import CrudService
    from ..db import Db
    from ..entities.spec import Entity


@lru_cache(maxsize=1)
def _classes() -> dict[str, type[CrudService]]:
    # Imported on first use: the service modules import the crud layer, which imports this package.
    from .clients import ClientService
    from .credits import CreditService
    from .invoice_actions import InvoiceActions
    from .payments import PaymentService
    from .quotes import QuoteService
    from .recurring import RecurringInvoiceService
    return {"client": ClientService, "invoice": InvoiceActions, "quote": QuoteService, "credit": CreditService,
            "payment": PaymentService, "recurring_invoice": RecurringInvoiceService}


def service_for(entity: "Entity", db: "Db") -> "CrudService":
    from ..crud.service import CrudService
    return _classes().get(entity.name, CrudService)(entity, db)
