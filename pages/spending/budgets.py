"""Budgets: budget against actual for a month (the latest with expenses by default) with a burn-rate
forecast while the month runs, the history of months over and under budget, and creating or
editing budgets."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard.app.resources import get_runner
from dashboard.core.money import format_money
from dashboard.core.periods import local_today, month_period
from dashboard.ui.components import empty_state, left_out_notice
from dashboard.ui.signed_in import signed_in_user
from dashboard.views.budgets import (
    BUDGET_RULE,
    BudgetError,
    budget_history,
    budget_months,
    budget_use,
    budgeted,
    is_closed,
    latest_month_with_data,
    month_status,
    months_over,
    save_budget,
    status_sentence,
)
from dashboard.views.spending import left_out
from queries.spending import categories as category_query

runner = get_runner()
user = signed_in_user()
currency = user.currency
today = local_today(user.timezone)

st.title("Budgets")
months = budget_months(today)
latest = latest_month_with_data(runner, user, today=today)
month = st.selectbox(
    "Month",
    months,
    index=months.index(latest),
    format_func=lambda d: f"{d:%B %Y}",
    key="budget_month",
    help="Opens on the latest month with expenses.",
)
closed = is_closed(month, today)
mark = runner.mark()
left_out_notice(left_out(runner, user, month_period(month, user.timezone)))
status = month_status(runner, user, month=month, today=today)
budgeted_rows = budgeted(status)
use = budget_use(runner, user, month=month, today=today)


def money(value: float) -> str:
    return format_money(value, currency)


if budgeted_rows.is_empty() or use is None:
    empty_state(
        f"No budgets for {month:%B %Y}.",
        "Set one below: pick a category and a monthly limit. The Overview then shows how much of "
        "it you use.",
    )
else:
    pro_rated = (
        f", the budgets pro-rated to the {use.days} of {use.days_in_month} days so far"
        if use.days < use.days_in_month
        else ""
    )
    st.metric(f"Budget used in {month:%B %Y}", f"{use.share:.0%}", help=BUDGET_RULE)
    st.caption(
        f"{money(use.spent)} spent in budgeted categories of {money(use.budget)}{pro_rated}. "
        "Spending in categories without a budget does not count, as on the Overview."
    )
    if not use.spent:
        later = f" The latest month with expenses is {latest:%B %Y}." if latest != month else ""
        empty_state(
            f"Nothing spent in budgeted categories in {month:%B %Y}{'' if closed else ' yet'}.",
            "Expenses you record in the Expense Tracker show here against your budgets; pick "
            f"another month above to see how it went.{later}",
        )
    else:
        st.plotly_chart(
            charts.budget_progress(budgeted_rows, currency=currency, forecast=not closed),
            key="budget_progress",
        )
        st.caption(
            f"{month:%B %Y} is over: these are the final amounts."
            if closed
            else budgeted_rows["method"][0]
        )
    for row in budgeted_rows.iter_rows(named=True):
        st.progress(
            min(1.0, row["share_used"] or 0.0),
            text=status_sentence(row, closed=closed, format_money=money),
        )
st.caption(runner.caption_since(mark))

st.subheader("Months over and under budget")
history = budget_history(runner, user, today=today)
if history.is_empty():
    st.caption("No budget history yet.")
else:
    over = months_over(history)
    st.plotly_chart(
        charts.budget_history(history, currency=currency, title=None), key="budget_history"
    )
    st.caption(f"Over budget in {over} of the last {history.height} budgeted months.")

st.subheader("Set a budget")
known = runner.frame(category_query(user))["category"].to_list()
with st.form("budget_form", clear_on_submit=False):
    c1, c2, c3 = st.columns(3)
    form_month = c1.selectbox(
        "Month", months, format_func=lambda d: f"{d:%B %Y}", key="budget_form_month"
    )
    category = c2.selectbox(
        "Category", known or ["Other"], accept_new_options=True, key="budget_form_category"
    )
    limit = c3.number_input(
        f"Monthly limit ({currency})",
        min_value=0.01,
        value=500.0,
        step=10.0,
        key="budget_form_limit",
    )
    if st.form_submit_button("Save budget", type="primary"):
        try:
            save_budget(runner, user, month=form_month, category=category, limit=limit)
        except BudgetError as exc:
            st.error(str(exc))
        else:
            st.success(f"Saved: {category} {format_money(limit, currency)} for {form_month:%B %Y}.")
