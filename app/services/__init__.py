"""The service layer: business rules over the generic CRUD of app.crud, grouped by domain. The edges (rest/,
graph/) reach the core only through here: `service_for` picks the service of an entity, and this module
re-exports what they are built from (the registry and its spec types, the shaped results of reads).

Shared by every domain, at this level:
    entity.py      EntityService, the parent of every service (generic CRUD + the activity log)
    activities.py  the activity log          numbering.py  per-company number counters
    money.py       client balances, the ledger, the lock order of every money movement
    system.py      what the server says about itself (health, statics)

One package per domain, each holding its role files:
    accounts/   sign-up, sessions and tokens, companies, company users, the login throttle
    crm/        clients and their contacts (client groups, gateway tokens as they gain rules)
    billing/    invoices, quotes, credits, recurring invoices: one engine (billing.base), lines, totals
    payments/   payments, what they apply to, refunds, deletion
    files/      uploads and the stored documents
    dashboard/  charts and the global search
Where what comes next goes: vendors/ (vendors, vendor contacts, purchase orders, whose service subclasses
billing.base.BillingService), expenses/ (expenses, recurring expenses, categories), projects/ (projects,
tasks, task statuses), banking/ (bank integrations, transactions, match rules), jobs/ (mail, webhooks, the
scheduler that runs recurring invoices), pdf/ (rendering documents), reports/ (exports). A domain imports
the shared modules and the domains it builds on (payments and dashboard build on billing), never the
reverse; tests/test_layers.py checks the layers and that no import cycle exists.
"""

from __future__ import annotations

from ..crud.results import Item, Page
from ..db import Db
from ..entities import REGISTRY
from ..entities.spec import Entity, Field, Relation
from .billing.credits import CreditService
from .billing.invoices import InvoiceService
from .billing.quotes import QuoteService
from .billing.recurring import RecurringInvoiceService
from .crm.clients import ClientService
from .entity import EntityService
from .expenses.categories import ExpenseCategoryService
from .payments.service import PaymentService
from .projects.projects import ProjectService
from .projects.statuses import TaskStatusService
from .projects.tasks import TaskService

SERVICES: dict[str, type[EntityService]] = {
    "client": ClientService,
    "invoice": InvoiceService,
    "quote": QuoteService,
    "credit": CreditService,
    "payment": PaymentService,
    "recurring_invoice": RecurringInvoiceService,
    "expense_category": ExpenseCategoryService,
    "project": ProjectService,
    "task": TaskService,
    "task_status": TaskStatusService,
}


def service_for(entity: Entity, db: Db) -> EntityService:
    """The service that runs `entity`: its domain's subclass, else the generic EntityService."""
    return SERVICES.get(entity.name, EntityService)(entity, db)


__all__ = ["REGISTRY", "Entity", "EntityService", "Field", "Item", "Page", "Relation", "SERVICES", "service_for"]
