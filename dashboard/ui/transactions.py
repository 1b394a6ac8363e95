"""The transactions table: server-side search, filters, sorting and paging, and its CSV export."""

from __future__ import annotations

import math
from collections.abc import Sequence

import polars as pl
import streamlit as st

from dashboard.core.csv_safe import frame_to_csv
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from queries.transactions import (
    SORTABLE,
    TransactionFilter,
    transactions_all,
    transactions_count,
    transactions_page,
)

__all__ = ["PAGE_SIZE", "TransactionPage", "export_csv", "fetch_page", "transactions_view"]

PAGE_SIZE = 50


class TransactionPage:
    """One page of rows plus the total count and the page arithmetic."""

    def __init__(self, rows: pl.DataFrame, total: int, page: int, page_size: int) -> None:
        self.rows = rows
        self.total = total
        self.page_size = page_size
        self.pages = max(1, math.ceil(total / page_size))
        self.page = min(max(1, page), self.pages)


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
    count = runner.frame(transactions_count(user, f))
    total = int(count["n"][0]) if count.height else 0
    pages = max(1, math.ceil(total / page_size))
    page = min(max(1, page), pages)
    rows = runner.frame(
        transactions_page(
            user, f, sort_by=sort_by, descending=descending, page=page, page_size=page_size
        )
    )
    local = rows.with_columns(pl.col("date").dt.convert_time_zone(user.timezone))
    return TransactionPage(local, total, page, page_size)


def export_csv(
    runner: Runner,
    user: AuthUser,
    f: TransactionFilter,
    *,
    sort_by: str = "date",
    descending: bool = True,
) -> bytes:
    """Every transaction of the current view as CSV (UTF-8, ISO-8601 dates with offset, safe cells)."""
    rows = runner.store.aggregate_frame(
        "expenses",
        transactions_all(user, f, sort_by=sort_by, descending=descending).pipeline,
        schema=transactions_all(user, f).schema,
        comment="transactions.export",
    )
    local = rows.with_columns(
        pl.col("date").dt.convert_time_zone(user.timezone).dt.to_string("%Y-%m-%dT%H:%M:%S%:z")
    )
    return frame_to_csv(local, bom=True)


def transactions_view(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    categories: Sequence[str] = (),
    key: str,
    controls: bool = False,
) -> None:
    """Draw a paged transactions table; with ``controls``, search, amount range and sorting too."""
    search, low, high, sort_by, descending = "", None, None, "date", True
    if controls:
        a, b, c, d = st.columns([3, 1, 1, 2])
        search = a.text_input("Search descriptions", key=f"{key}_q", bind="query-params",
                              placeholder='words, "a phrase", -exclude')  # fmt: skip
        low = b.number_input(
            "Min amount", min_value=0.0, value=None, key=f"{key}_min", bind="query-params"
        )
        high = c.number_input(
            "Max amount", min_value=0.0, value=None, key=f"{key}_max", bind="query-params"
        )
        order = d.selectbox(
            "Sort by",
            [f"{field} {way}" for field in SORTABLE for way in ("desc", "asc")],
            key=f"{key}_sort",
            bind="query-params",
        )
        sort_by, way = (order or "date desc").split()
        descending = way == "desc"
    f = TransactionFilter(
        period=period,
        categories=tuple(categories),
        search=search or "",
        min_amount=low,
        max_amount=high,
    )
    page_number = st.session_state.get(f"{key}_page", 1)
    result = fetch_page(runner, user, f, sort_by=sort_by, descending=descending, page=page_number)
    if result.total == 0:
        st.info(
            "No transactions match. Widen the period, clear the search or pick other categories."
        )
        return
    st.dataframe(
        result.rows.drop("id"),
        hide_index=True,
        width="stretch",
        column_config={
            "date": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD HH:mm"),
            "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
        },
        key=f"{key}_table",
    )
    left, mid, right = st.columns([2, 3, 2])
    left.number_input("Page", min_value=1, max_value=result.pages, step=1, key=f"{key}_page")
    mid.caption(f"{result.total:,} transactions · page {result.page} of {result.pages}")
    right.download_button(
        "Export this view (CSV)",
        data=lambda: export_csv(runner, user, f, sort_by=sort_by, descending=descending),
        file_name="transactions.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key=f"{key}_export",
    )
