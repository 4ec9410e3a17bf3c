"""Accounts: sign-up (signup), sessions and tokens (sessions, tokens), companies and their settings
(companies), a user's membership of a company (company_users), the login throttle (throttle). Users are
plain registry entities served by the generic service.

`create_account` and `mint_token` are re-exported: the command line and the test harness make accounts.
"""

from __future__ import annotations

from .signup import create_account
from .tokens import mint_token

__all__ = ["create_account", "mint_token"]
