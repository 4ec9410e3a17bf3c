"""The service layer: business rules over the generic CRUD of app.crud, grouped by domain. The edges (rest/,
graph/) reach the core only through here: `service_for` picks the service of an entity, and this module
re-exports what they are built from (the registry and its spec types, the shaped results of reads).

Shared by every domain, at this level:
    entity.py      EntityService, the parent of every service (generic CRUD + the activity log)
    activities.py  the activity log          numbering.py  per-company number counters
    money.py       client balances, the ledger, the lock order of every money movement
    contacts.py    a client's or vendor's contacts, replaced by a body's list
    system.py      what the server says about itself (health, statics)
    schedule.py    what recurring invoices and recurring expenses share (frequency, send moment, start/stop)
    named.py       NamedService: a name unique in the company    numbered.py  NumberedService: counter numbers

One package per domain, each holding its role files:
    accounts/   sign-up, sessions, users, API tokens, companies, company users, passwords, the login throttle
    crm/        clients and their contacts, gateway tokens, the client tools (purge, merge, statement)
    billing/    invoices, quotes, credits, recurring invoices and quotes: one engine (billing.base), lines, totals
    payments/   payments, what they apply to, refunds, deletion
    files/      uploads and the stored documents
    dashboard/  charts and the global search
    vendors/    vendors and their contacts, purchase orders (billing.base.BillingService with the vendor
                as the party), what receiving an order makes (its expense, stock)
    expenses/   expenses, recurring expenses, expense categories; invoicing expenses
    banking/    bank transactions matched to invoices, payments and expenses; the rules that match them
    schedules/  task schedulers (what the job engine will run)
    subscriptions/  what the client portal will sell
    projects/   projects, tasks and their time logs, task statuses; invoicing tasks
Where what comes next goes: jobs/ (mail, webhooks, the
scheduler that runs recurring invoices), pdf/ (rendering documents), reports/ (exports). A domain imports
the shared modules and the domains it builds on (payments, dashboard, vendors build on billing), never the
reverse; tests/test_layers.py checks the layers and that no import cycle exists.
"""

from __future__ import annotations

from ..crud.results import Item, Page
from ..db import Db
from ..entities import REGISTRY
from ..entities.spec import Entity, Field, Relation
from .accounts.tokens import TokenService
from .accounts.users import UserService
from .banking.integrations import BankIntegrationService
from .banking.rule_service import BankTransactionRuleService
from .banking.transactions import BankTransactionService
from .billing.credits import CreditService
from .billing.invoices import InvoiceService
from .billing.quotes import QuoteService
from .billing.recurring import RecurringInvoiceService, RecurringQuoteService
from .crm.clients import ClientService
from .crm.gateway_tokens import ClientGatewayTokenService
from .entity import EntityService
from .expenses.categories import ExpenseCategoryService
from .expenses.expenses import ExpenseService
from .expenses.recurring import RecurringExpenseService
from .payments.service import PaymentService
from .projects.projects import ProjectService
from .projects.statuses import TaskStatusService
from .projects.tasks import TaskService
from .schedules.schedulers import TaskSchedulerService
from .subscriptions.subscriptions import SubscriptionService
from .vendors.purchase_orders import PurchaseOrderService
from .vendors.vendors import VendorService

SERVICES: dict[str, type[EntityService]] = {
    "client": ClientService,
    "invoice": InvoiceService,
    "quote": QuoteService,
    "credit": CreditService,
    "payment": PaymentService,
    "recurring_invoice": RecurringInvoiceService,
    "expense_category": ExpenseCategoryService,
    "user": UserService,
    "company_token": TokenService,
    "bank_integration": BankIntegrationService,
    "bank_transaction": BankTransactionService,
    "bank_transaction_rule": BankTransactionRuleService,
    "expense": ExpenseService,
    "recurring_expense": RecurringExpenseService,
    "vendor": VendorService,
    "purchase_order": PurchaseOrderService,
    "recurring_quote": RecurringQuoteService,
    "task_scheduler": TaskSchedulerService,
    "subscription": SubscriptionService,
    "client_gateway_token": ClientGatewayTokenService,
    "project": ProjectService,
    "task": TaskService,
    "task_status": TaskStatusService,
}


def service_for(entity: Entity, db: Db) -> EntityService:
    """The service that runs `entity`: its domain's subclass, else the generic EntityService."""
    return SERVICES.get(entity.name, EntityService)(entity, db)


__all__ = ["REGISTRY", "Entity", "EntityService", "Field", "Item", "Page", "Relation", "SERVICES", "service_for"]
