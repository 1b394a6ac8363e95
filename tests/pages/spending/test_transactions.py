"""Transactions through app.py: server-side paging and search against the raw documents."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.core.periods import SPENDING_PERIODS, local_today, period_for
from dashboard.store import Store
from tests.apptest import raw_expenses


def test_transactions_are_paged_and_searchable(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/transactions.py").run()
    table = at.dataframe[0].value
    assert 0 < len(table) <= 50
    caption = " ".join(c.value for c in at.caption)
    total = int(re.search(r"of ([\d,]+) transactions", caption).group(1).replace(",", ""))
    assert f"Showing 1–{len(table)} of" in caption
    user, raw = raw_expenses(app_store, "demo-user")
    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    assert total == raw.filter((pl.col("date") >= lo) & (pl.col("date") < hi)).height
    dates = [dt.datetime.strptime(d, "%d %b %Y %H:%M") for d in table["Date"]]
    assert dates == sorted(dates, reverse=True)


def _matching_docs(app_store: Store) -> list[dict]:
    """The demo user's live expenses in the default period, straight from the collection."""
    user = app_store.find("users", {"username": "demo-user"})[0]
    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    return [
        d
        for d in app_store.find("expenses", {"userId": user["_id"], "deletedAt": None})
        if lo <= d["date"].replace(tzinfo=dt.UTC) < hi
    ]


def test_the_total_and_count_cover_every_match_not_just_the_page(
    user_app: AppTest, app_store: Store
) -> None:
    docs = _matching_docs(app_store)
    cents: dict[str, int] = {}
    for d in docs:
        cents[d["currency"]] = cents.get(d["currency"], 0) + round(d["amount"] * 100)
    symbols = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹"}
    amounts = " + ".join(
        f"{symbols[c]}{Decimal(n).scaleb(-2):,.2f}" for c, n in sorted(cents.items())
    )
    at = user_app.switch_page("pages/spending/transactions.py").run()
    assert len(docs) > 50  # more than one page: the figures cannot come from the page alone
    assert f"**{len(docs):,} transactions** · total {amounts}" in [m.value for m in at.markdown]


def test_sorts_read_as_words_and_the_whole_page_shows(user_app: AppTest, monkeypatch) -> None:
    heights: list[object] = []
    draw = st.dataframe

    def recording(data, *args, **kwargs):
        heights.append(kwargs.get("height"))
        return draw(data, *args, **kwargs)

    monkeypatch.setattr(st, "dataframe", recording)
    at = user_app.switch_page("pages/spending/transactions.py").run()
    sort = at.selectbox(key="tx_sort")
    assert sort.options == ["Newest first", "Oldest first", "Largest first", "Smallest first"]
    sort.set_value("Largest first").run()
    table = at.dataframe[0].value
    assert list(table.columns) == ["Date", "Category", "Description", "Amount", "Currency"]
    amounts = [Decimal(re.sub(r"[^0-9.]", "", a)) for a in table["Amount"]]
    assert amounts == sorted(amounts, reverse=True)
    assert all(re.fullmatch(r"\d\d \w{3} \d{4} \d\d:\d\d", d) for d in table["Date"])
    assert not {"None", "nan"} & set(table.to_numpy().ravel().astype(str))
    # Streamlit rows are 35 px, the header as tall: the table is sized for every row it shows.
    assert heights[-1] == (len(table) + 1) * 35 + 3
