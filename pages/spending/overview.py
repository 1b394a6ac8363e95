"""Overview: KPIs with comparisons, the monthly trend, categories (click to drill in), calendar."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard.app.resources import get_runner
from dashboard.ui.components import kpi_row
from dashboard.ui.partial import partial_caption
from dashboard.ui.spending import spending_page
from dashboard.views import spending

page = spending_page(
    get_runner(),
    "Overview",
    empty="Record expenses in the Expense Tracker; your overview appears here.",
)
runner, user, f = page.runner, page.user, page.filters
currency = user.currency
st.caption(f"{f.period.label()} · {user.timezone}")

mark = runner.mark()
kpi_row(spending.kpis(runner, user, f.period, categories=f.categories), currency=currency)
st.caption(runner.caption_since(mark))

left, right = st.columns([3, 2])
with left:
    st.subheader("Monthly trend")
    trend = spending.monthly_trend(runner, user, f.period, categories=f.categories)
    st.plotly_chart(charts.monthly_trend(trend, currency=currency), key="overview_trend")
    partial_caption(trend, "month", unit="month", period=f.period)
    st.caption(
        "Bars: all spending. Lines: “Spent in budgeted categories” against “Budget”. "
        + spending.BUDGET_RULE
    )
with right:
    st.subheader("By category")
    totals = spending.category_totals(runner, user, f.period, categories=f.categories)
    event = st.plotly_chart(
        charts.category_breakdown(totals, currency=currency, kind="treemap"),
        key="overview_categories",
        on_select="rerun",
        selection_mode="points",
    )
    picked = charts.selected_category(event)
    if picked:
        st.session_state["category"] = picked
        st.switch_page("pages/spending/categories.py")
    st.caption("Click a category to see its trend and transactions.")

st.subheader("Daily spending")
st.plotly_chart(
    charts.calendar_heatmap(
        spending.daily_spend(runner, user, f.period, categories=f.categories),
        currency=currency,
        week_start=user.week_start,
    ),
    key="overview_calendar",
)
a, b = st.columns(2)
with a:
    st.subheader("By weekday")
    st.plotly_chart(
        charts.weekday_bars(
            spending.weekday_spend(runner, user, f.period, categories=f.categories),
            currency=currency,
            week_start=user.week_start,
        ),
        key="overview_weekday",
    )
with b:
    st.subheader("By hour of day")
    st.plotly_chart(
        charts.hour_bars(
            spending.hourly_spend(runner, user, f.period, categories=f.categories),
            currency=currency,
        ),
        key="overview_hour",
    )
st.caption(runner.caption_since(mark))
