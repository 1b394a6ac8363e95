"""The admin pages' data: accounts to manage, pending deletion requests, the audit log.

Account tables are ``live`` queries through the runner (an admin's change shows at once); audit
entries are documents with free-form details (:func:`dashboard.data.audit_log.entries`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.data import audit_log
from dashboard.data.runner import Runner
from queries import accounts, audit

__all__ = [
    "USERS_PAGE_SIZE",
    "AccountPage",
    "audit_entries",
    "audit_events",
    "deletion_requests",
    "find_accounts",
]

#: Accounts per page of the Users table.
USERS_PAGE_SIZE = 200


@dataclass(frozen=True)
class AccountPage:
    """One page of matching accounts and where it sits among all ``total`` matches."""

    rows: pl.DataFrame
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def caption(self) -> str:
        """``"Showing 201–400 of 2,004 users"``."""
        first = (self.page - 1) * self.page_size + 1 if self.rows.height else 0
        last = first + self.rows.height - 1 if self.rows.height else 0
        return f"Showing {first:,}–{last:,} of {self.total:,} users"


def find_accounts(
    runner: Runner, admin: AuthUser, text: str = "", *, page: int = 1,
    page_size: int = USERS_PAGE_SIZE,
) -> AccountPage:  # fmt: skip
    """Page ``page`` of the accounts matching ``text`` (``id, username, name, email, roles,
    disabled``), skipped and limited in the query, with the count of every match."""
    count = runner.frame(accounts.count_users(admin, text))
    total = int(count["n"][0]) if count.height else 0
    page = min(max(1, int(page)), max(1, math.ceil(total / page_size)))
    rows = runner.frame(
        accounts.search_users(admin, text, limit=page_size, skip=(page - 1) * page_size)
    )
    return AccountPage(rows, total, page, page_size)


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
