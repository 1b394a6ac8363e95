"""Transactions through app.py: server-side paging and search against the raw documents."""

from __future__ import annotations

import re

import polars as pl
from streamlit.testing.v1 import AppTest

from dashboard.core.periods import SPENDING_PERIODS, local_today, period_for
from dashboard.store import Store
from tests.apptest import raw_expenses


def test_transactions_are_paged_and_searchable(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/transactions.py").run()
    table = at.dataframe[0].value
    assert 0 < len(table) <= 50
    caption = " ".join(c.value for c in at.caption)
    total = int(re.search(r"([\d,]+) transactions", caption).group(1).replace(",", ""))
    user, raw = raw_expenses(app_store, "demo-user")
    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    assert total == raw.filter((pl.col("date") >= lo) & (pl.col("date") < hi)).height
    dates = list(table["date"])
    assert dates == sorted(dates, reverse=True)
