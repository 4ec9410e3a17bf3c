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
    from .invoices import InvoiceService
    classes: dict[str, type[CrudService]] = {"client": ClientService, "invoice": InvoiceService}
    return classes.get(entity.name, CrudService)(entity, db)
