"""Accounts: sign-up (signup), sessions (sessions), API tokens and their service (tokens), companies and
their settings (companies) and their lifecycle (company_admin), users (users) and their membership of a
company (company_users), password confirmation (passwords), one-time tokens (one_time), the login throttle
(throttle).

`create_account` and `mint_token` are re-exported: the command line and the test harness make accounts.
"""

from __future__ import annotations

from .signup import create_account
from .tokens import mint_token

__all__ = ["create_account", "mint_token"]
