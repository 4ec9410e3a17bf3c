"""Today where the test companies are: their default timezone (id 1), the day the server dates documents by.
The machine's own date differs from it for some hours of every day."""

from __future__ import annotations

from datetime import date

from app.services.billing.context import today


def company_today() -> date:
    return today("1")
