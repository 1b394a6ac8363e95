"""Transactions: search, filter, sort and page through every expense; export the view."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.ui.spending import spending_page
from dashboard.ui.transactions import transactions_view

page = spending_page(
    get_runner(), "Transactions", empty="Record expenses in the Expense Tracker to list them here."
)
runner, user, f = page.runner, page.user, page.filters
st.caption(f"{f.period.label()} · times in {user.timezone} · soft-deleted expenses are hidden")
transactions_view(runner, user, f.period, categories=f.categories, key="tx", controls=True)
