"""Which service class runs each entity: CrudService unless business rules need a subclass."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..crud.service import CrudService
    from ..db import Db
    from ..entities.spec import Entity


def service_for(entity: "Entity", db: "Db") -> "CrudService":
    from ..crud.service import CrudService
    from .clients import ClientService
    from .credits import CreditService
    from .invoice_actions import InvoiceActions
    from .payments import PaymentService
    from .quotes import QuoteService
    from .recurring import RecurringInvoiceService
    classes: dict[str, type[CrudService]] = {"client": ClientService, "invoice": InvoiceActions,
                                             "quote": QuoteService, "credit": CreditService,
                                             "payment": PaymentService}
    classes["recurring_invoice"] = RecurringInvoiceService
    return classes.get(entity.name, CrudService)(entity, db)
