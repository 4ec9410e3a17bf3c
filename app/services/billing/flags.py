"""The follow-up actions a create or update of a billing document may carry (upstream's triggered actions),
run inside the same transaction: `mark_sent`, `send_email`, `approve` (quotes), `paid` with its
`reference`, and `amount_paid` (invoices); `start` and `stop` (a task's timer). REST reads them from the
query string, GraphQL from the mutation's arguments; each service names the ones it reads in `flags_taken`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...crud.validate import clean_decimal

TRUE = ("1", "true", "yes", "on")


def amount(raw: Any) -> Decimal | None:
    """A positive amount the money columns can hold (the same check as every amount), else None: an
    unusable `amount_paid` is ignored, as upstream does."""
    try:
        value = clean_decimal(raw)
    except ValueError:
        return None
    return value if value > 0 else None


@dataclass(frozen=True, slots=True)
class BillingFlags:
    mark_sent: bool = False
    send_email: bool = False
    approve: bool = False
    paid: bool = False
    reference: str = ""
    amount_paid: Decimal | None = None
    start: bool = False  # tasks: start (or resume) the timer
    stop: bool = False  # tasks: stop the running timer

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> BillingFlags:
        """From string values as a query string carries them (`?mark_sent=true&amount_paid=10`)."""

        def true(name: str) -> bool:
            return str(params.get(name, "")).strip().lower() in TRUE

        return cls(
            mark_sent=true("mark_sent"),
            send_email=true("send_email"),
            approve=true("approve"),
            paid=true("paid"),
            reference=str(params.get("reference", "")),
            amount_paid=amount(params.get("amount_paid", "")),
            start=true("start"),
            stop=true("stop"),
        )


NO_FLAGS = BillingFlags()
