"""REGISTRY: every entity the generic CRUD, the REST routes and the GraphQL types are built from.

Modules mirror the service domains: crm, vendors, expenses, billing (+ recurring), payments, files, accounts,
catalog (products, tax rates, payment terms), setup (designs, tags, gateways, bank integrations), banking
(bank transactions and their rules), system
(activities, the ledger, system logs).
"""

from __future__ import annotations

from types import MappingProxyType

from . import (
    accounts,
    banking,
    billing,
    catalog,
    crm,
    expenses,
    files,
    payments,
    projects,
    purchase_orders,
    recurring,
    schedules,
    setup,
    subscriptions,
    system,
    vendors,
)
from .spec import Entity

_BEFORE_DOCUMENT: tuple[Entity, ...] = (
    crm.client,
    crm.client_contact,
    crm.client_gateway_token,
    crm.group_setting,
    vendors.vendor,
    vendors.vendor_contact,
    expenses.expense_category,
    expenses.expense,
    expenses.recurring_expense,
    projects.project,
    projects.task,
)
_AFTER_DOCUMENT: tuple[Entity, ...] = (
    system.activity,
    system.company_ledger,
    system.system_log,
    accounts.user,
    accounts.company_token,
    catalog.product,
    catalog.tax_rate,
    catalog.payment_term,
    billing.invoice,
    billing.invoice_invitation,
    billing.quote,
    billing.quote_invitation,
    billing.credit,
    billing.credit_invitation,
    payments.payment,
    payments.paymentable,
    recurring.recurring_invoice,
    recurring.recurring_invoice_invitation,
    purchase_orders.purchase_order,
    purchase_orders.purchase_order_invitation,
    recurring.recurring_quote,
    recurring.recurring_quote_invitation,
    schedules.task_scheduler,
    subscriptions.subscription,
    setup.design,
    setup.tag,
    setup.company_gateway,
    setup.bank_integration,
    banking.bank_transaction_rule,
    banking.bank_transaction,
    projects.task_status,
)
# The documents' client filter names every entity whose records take uploads, so it is built from the others.
document = files.document_entity(_BEFORE_DOCUMENT + _AFTER_DOCUMENT)
_ALL: tuple[Entity, ...] = (*_BEFORE_DOCUMENT, document, *_AFTER_DOCUMENT)

REGISTRY = MappingProxyType({e.name: e for e in _ALL})
_BY_PATH = {e.path: e for e in _ALL}


def by_path(path: str) -> Entity | None:
    return _BY_PATH.get(path)


def get(name: str) -> Entity:
    return REGISTRY[name]
