"""REGISTRY: every entity the generic CRUD, the REST routes and the GraphQL types are built from."""
from __future__ import annotations

from types import MappingProxyType

from . import billing, catalog, crm, payments, recurring, setup, system
from .spec import Entity

_ALL: tuple[Entity, ...] = (
    crm.client, crm.client_contact, crm.client_gateway_token, crm.group_setting,
    system.document, system.activity, system.company_ledger, system.system_log, system.user,
    catalog.product, catalog.tax_rate, catalog.payment_term,
    billing.invoice, billing.invoice_invitation,
    billing.quote, billing.quote_invitation, billing.credit, billing.credit_invitation,
    payments.payment, payments.paymentable,
    recurring.recurring_invoice, recurring.recurring_invoice_invitation,
    setup.design, setup.tag, setup.company_gateway, setup.bank_integration,
)

REGISTRY = MappingProxyType({e.name: e for e in _ALL})
_BY_PATH = {e.path: e for e in _ALL}


def by_path(path: str) -> Entity | None:
    return _BY_PATH.get(path)


def get(name: str) -> Entity:
    return REGISTRY[name]
