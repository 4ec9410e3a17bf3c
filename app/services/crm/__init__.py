"""Customers: clients with their contacts kept in step (clients), their gateway tokens (gateway_tokens), and the
client tools: purge and merge (over the tables client_rows names), the statement's data (statement), and the
answers of the routes that need an outside provider (providers). Contacts and group settings are plain
registry entities on the generic service."""
