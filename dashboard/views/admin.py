"""The admin pages' data: accounts to manage, pending deletion requests, the audit log.

Account tables are ``live`` queries through the runner (an admin's change shows at once); audit
entries are documents with free-form details (:func:`dashboard.data.audit_log.entries`).
"""

from __future__ import annotations

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.data import audit_log
from dashboard.data.runner import Runner
from queries import accounts, audit

__all__ = ["audit_entries", "audit_events", "deletion_requests", "find_accounts"]


def find_accounts(runner: Runner, admin: AuthUser, text: str = "") -> pl.DataFrame:
    """``id, username, name, email, roles, disabled`` of the accounts matching ``text``."""
    return runner.frame(accounts.search_users(admin, text))


def deletion_requests(runner: Runner, admin: AuthUser) -> pl.DataFrame:
    """``id, username, requested_at`` of every pending deletion request, oldest first."""
    return runner.frame(accounts.deletion_requests(admin))


def audit_events(runner: Runner, admin: AuthUser) -> list[str]:
    """The event names in the log, for the filter."""
    return runner.frame(audit.audit_events(admin))["event"].to_list()


def audit_entries(
    runner: Runner, admin: AuthUser, *, event: str | None = None, username: str | None = None
) -> pl.DataFrame:
    """The newest 500 entries, optionally of one event and one user."""
    return audit_log.entries(runner.store, admin, event=event, username=username)
