"""The client routes that need an outside service this server has no connection to: they answer so, with a
400 that names what is missing, after the same checks as upstream (the client exists in the company, the
caller is an admin), and change nothing.

- `POST /reactivate_email/{bounce_id}`: upstream asks its mail provider (Postmark) to lift the suppression of
  a bounced address. No mail provider is configured here, so there is no suppression to lift.
- `POST /clients/{id}/updateTaxData`: upstream asks a tax-rate provider (ZipTax) for the rates at the
  client's address and stores them in `tax_data`. No tax-rate provider is configured here."""

from __future__ import annotations

from typing import NoReturn

from ...auth import Principal
from ...errors import BadRequest
from .purge import require_admin

NO_MAIL_PROVIDER = "E-mail reactivation is not available: no mail provider is configured on this server."
NO_TAX_PROVIDER = "Tax data cannot be updated: no tax rate provider is configured on this server."


def reactivate_email() -> NoReturn:
    raise BadRequest(NO_MAIL_PROVIDER)


def update_tax_data(who: Principal) -> NoReturn:
    """The caller has found the client (404 before this)."""
    require_admin(who)
    raise BadRequest(NO_TAX_PROVIDER)
