"""The Transactions table's data: one page of the user's matching expenses with the pager's
arithmetic, and every row of the current view for its export. Searching, filtering, sorting and
paging happen in the pipeline (:mod:`queries.transactions`)."""

from __future__ import annotations

import math
from decimal import Decimal

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.data import expenses
from dashboard.data.runner import Runner
from queries.transactions import TransactionFilter, transactions_page, transactions_totals

__all__ = ["PAGE_SIZE", "SORTS", "TransactionPage", "export_rows", "fetch_page"]

PAGE_SIZE = 50
#: The table's sort options in words → (column, descending).
SORTS: dict[str, tuple[str, bool]] = {
    "Newest first": ("date", True),
    "Oldest first": ("date", False),
    "Largest first": ("amount", True),
    "Smallest first": ("amount", False),
}


class TransactionPage:
    """One page of rows plus the count and amount of every match (``totals``: currency → exact
    amount) and the page arithmetic."""

    def __init__(
        self,
        rows: pl.DataFrame,
        total: int,
        page: int,
        page_size: int,
        totals: dict[str, Decimal] | None = None,
    ) -> None:
        self.rows = rows
        self.total = total
        self.totals = totals or {}
        self.page_size = page_size
        self.pages = max(1, math.ceil(total / page_size))
        self.page = min(max(1, page), self.pages)

    @property
    def first(self) -> int:
        """The 1-based number of the page's first row (0 without rows)."""
        return 0 if not self.total else (self.page - 1) * self.page_size + 1

    @property
    def last(self) -> int:
        """The 1-based number of the page's last row."""
        return min(self.total, self.page * self.page_size)


def fetch_page(
    runner: Runner,
    user: AuthUser,
    f: TransactionFilter,
    *,
    sort_by: str = "date",
    descending: bool = True,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TransactionPage:
    """The requested page of the user's matching transactions, with the count for the pager."""
    sums = runner.frame(transactions_totals(user, f))
    total = int(sums["n"].sum() or 0)
    totals = {
        r["currency"]: Decimal(int(r["cents"])).scaleb(-2) for r in sums.iter_rows(named=True)
    }
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    rows = runner.frame(
        transactions_page(
            user, f, sort_by=sort_by, descending=descending, page=page, page_size=page_size
        )
    )
    local = rows.with_columns(pl.col("date").dt.convert_time_zone(user.timezone))
    return TransactionPage(local, total, page, page_size, totals)


def export_rows(
    runner: Runner,
    user: AuthUser,
    f: TransactionFilter,
    *,
    sort_by: str = "date",
    descending: bool = True,
) -> pl.DataFrame:
    """Every transaction of the current view, in its order, dates as ISO-8601 text with the
    user's offset (``2026-03-02T09:30:00-08:00``)."""
    rows = expenses.transactions_view(runner.store, user, f, sort_by=sort_by, descending=descending)
    return rows.with_columns(
        pl.col("date").dt.convert_time_zone(user.timezone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    )
