"""The transactions table widget: search, amount range, sorting and paging controls, the table and
its exports (the formats :mod:`dashboard.exports.formats` offers for transactions). The rows come
from :mod:`dashboard.views.transactions`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from dashboard.exports import offered
from dashboard.exports.write import export_transactions
from dashboard.ui import session
from dashboard.views.transactions import fetch_page
from queries.transactions import (
    SORTABLE,
    TransactionFilter,
)

__all__ = ["transactions_view"]


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
    for fmt in offered("transactions"):
        right.download_button(
            f"Export this view ({fmt.key.upper()})",
            data=session.deferred(
                runner.store,
                partial(_export, runner, f, fmt=fmt.key, sort_by=sort_by, descending=descending),
            ),
            file_name=f"transactions.{fmt.key}",
            mime=fmt.mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"{key}_export_{fmt.key}",
        )


def _export(
    runner: Runner,
    f: TransactionFilter,
    user: AuthUser,
    *,
    fmt: str,
    sort_by: str,
    descending: bool,
) -> bytes:
    return export_transactions(runner, user, f, fmt=fmt, sort_by=sort_by, descending=descending)
