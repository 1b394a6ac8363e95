"""Insights: recurring expenses and unusually large ones, each with a one-line reason."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.core.periods import local_today
from dashboard.ui.spending import spending_page
from dashboard.ui.tables import data_table
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
    data_table(
        found.recurring.drop("interval_days"), "insights_recurring", currency=user.currency,
        money=("typical_amount",), headers={"last_date": "Last paid"},
    )  # fmt: skip

st.subheader("Unusual expenses")
st.caption(
    "Much larger than usual for their category: more than 3.5 robust deviations above the "
    "category's typical (median) amount."
)
if found.unusual.is_empty():
    st.info("Nothing unusual in this period.")
else:
    data_table(
        found.unusual.drop("id", "robust_z"), "insights_unusual", currency=user.currency,
        money=("amount", "category_median"), headers={"category_median": "Typical for category"},
    )  # fmt: skip
st.caption(runner.caption_since(mark))
