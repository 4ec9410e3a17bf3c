"""Lightninja service core: everything both edges (REST and GraphQL) share."""

APP_VERSION = "5.10.17"
MINIMUM_CLIENT_VERSION = "5.0.16"
