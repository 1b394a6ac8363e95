"""Insights: recurring expenses and unusually large ones, each with a one-line reason."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.core.periods import local_today
from dashboard.ui.spending import spending_page
from dashboard.views import spending

page = spending_page(
    get_runner(), "Insights", empty="Insights appear once you have a few weeks of expenses."
)
runner, user, f = page.runner, page.user, page.filters
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
