"""Insights: recurring expenses and unusually large ones, each with a one-line reason."""

from __future__ import annotations

import streamlit as st

from dashboard import spending
from dashboard.auth.context import signed_in_user
from dashboard.filters import spending_filters
from dashboard.periods import local_today
from dashboard.runtime import get_runner, get_settings
from dashboard.ui import empty_state
from queries.spending import categories as category_query

runner = get_runner(get_settings())
user = signed_in_user()

st.title("Insights")
options = runner.frame(category_query(user))["category"].to_list()
if not options:
    empty_state("No expenses yet.", "Insights appear once you have a few weeks of expenses.")
    st.stop()
f = spending_filters(user, options=options)
mark = runner.mark()
found = spending.insights(
    runner, user, f.period, today=local_today(user.timezone), categories=f.categories
)

st.subheader("Recurring expenses")
st.caption("Same description, similar amount, at a regular interval.")
if found.recurring.is_empty():
    st.info(
        "No recurring expenses found in this period. Try a longer period, such as the last 12 months."
    )
else:
    st.dataframe(found.recurring, hide_index=True, width="stretch", key="insights_recurring")

st.subheader("Unusual expenses")
st.caption("Much larger than usual for their category (robust z-score above 3.5).")
if found.unusual.is_empty():
    st.info("Nothing unusual in this period.")
else:
    st.dataframe(found.unusual.drop("id"), hide_index=True, width="stretch", key="insights_unusual")
st.caption(runner.caption_since(mark))
