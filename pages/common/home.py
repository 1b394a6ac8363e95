"""Home: the signed-in user's own data at a glance; for staff, what Spendlens is connected to."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.core.money import format_money
from dashboard.ui.components import left_out_notice
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.home import inventory, summary_for
from dashboard.views.spending import left_out_ever

runner = get_runner()
user = signed_in_user()

st.title(f"Welcome, {user.name}")

if "user" in user.roles:
    mine = summary_for(runner, user)
    left_out_notice(left_out_ever(runner, user))
    if mine.expenses == 0:
        st.info(
            "You have no expenses yet. Record some in the Expense Tracker app; they appear here "
            "within a few minutes."
        )
    else:
        a, b, c = st.columns(3)
        a.metric("Your expenses", f"{mine.expenses:,}")
        b.metric("Total spent", format_money(mine.total, user.currency))
        c.metric("Since", f"{mine.first:%Y-%m-%d}" if mine.first else "—")
    st.caption(mine.as_of)

if user.has_role("product", "finance"):
    inv = inventory(runner, user)
    st.subheader("Data source")
    left, right = st.columns(2)
    left.markdown(f"**Database** · {inv.database}")
    right.markdown(f"**Cache** · {inv.cache}")
    counts = inv.labelled()
    for col, (label, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
        col.metric(label, f"{count:,}")
    st.caption(inv.as_of)
    if inv.is_empty:
        st.info(
            "The database holds no expenses yet. Load demo data with "
            "`python -m dashboard seed` (or `make seed`), then reload this page."
        )
