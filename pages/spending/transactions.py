"""Transactions: search, filter, sort and page through every expense; export the view."""

from __future__ import annotations

import streamlit as st

from dashboard.auth.context import signed_in_user
from dashboard.filters import spending_filters
from dashboard.runtime import get_runner, get_settings
from dashboard.transactions import transactions_view
from dashboard.ui import empty_state
from queries.spending import categories as category_query

runner = get_runner(get_settings())
user = signed_in_user()

st.title("Transactions")
options = runner.frame(category_query(user))["category"].to_list()
if not options:
    empty_state("No expenses yet.", "Record expenses in the Expense Tracker to list them here.")
    st.stop()
f = spending_filters(user, options=options)
st.caption(f"{f.period.label()} · times in {user.timezone} · soft-deleted expenses are hidden")
transactions_view(runner, user, f.period, categories=f.categories, key="tx", controls=True)
