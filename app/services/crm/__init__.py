"""Customers: clients with their contacts kept in step (clients). Contacts, group settings and gateway tokens
are plain registry entities on the generic service until they have rules of their own."""
