"""The transactions table widget: search, amount range, sorting and paging controls, the table and
its exports (the formats :mod:`dashboard.exports.formats` offers for transactions). The rows come
from :mod:`dashboard.views.transactions`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import streamlit as st

from dashboard.core.display import format_count, money_cell
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from dashboard.exports import offered
from dashboard.exports.write import export_transactions
from dashboard.ui import session
from dashboard.ui.tables import data_table
from dashboard.views.transactions import SORTS, fetch_page
from queries.transactions import TransactionFilter

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
        order = d.selectbox("Sort", list(SORTS), key=f"{key}_sort", bind="query-params")
        sort_by, descending = SORTS.get(order or "", ("date", True))
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
    amounts = " + ".join(money_cell(v, c) for c, v in result.totals.items())
    st.markdown(f"**{format_count(result.total)} transactions** · total {amounts}")
    data_table(result.rows.drop("id"), f"{key}_table", money=("amount",), fit=True)
    left, mid, right = st.columns([2, 3, 2])
    left.number_input("Page", min_value=1, max_value=result.pages, step=1, key=f"{key}_page")
    mid.caption(
        f"Showing {result.first:,}–{result.last:,} of {result.total:,} transactions · "
        f"page {result.page} of {result.pages}"
    )
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
