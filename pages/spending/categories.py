"""Categories: one category's trend, top descriptions and transactions; shares over time;
two periods side by side."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard.app.resources import get_runner
from dashboard.core.money import format_money
from dashboard.ui.partial import partial_caption
from dashboard.ui.spending import spending_page
from dashboard.ui.transactions import transactions_view
from dashboard.views import spending

page = spending_page(
    get_runner(),
    "Categories",
    empty="Record expenses in the Expense Tracker to see your categories.",
)
runner, user, f = page.runner, page.user, page.filters
currency = user.currency
mark = runner.mark()

category = st.selectbox("Category", page.options, key="category", bind="query-params")
detail = spending.category_detail(runner, user, f.period, category)
st.subheader(f"{category}: {format_money(detail.total, currency)} in {f.period.label()}")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(
        charts.category_trend(detail.trend, category=category, currency=currency),
        key="category_trend",
    )
with right:
    st.markdown("**Top descriptions**")
    if detail.top.is_empty():
        st.caption("No expenses in this category for the period.")
    else:
        st.dataframe(
            detail.top,
            hide_index=True,
            column_config={"total": st.column_config.NumberColumn("Total", format="%.2f")},
        )

st.markdown(f"**{category} transactions**")
transactions_view(runner, user, f.period, categories=(category,), key="category_tx")

st.subheader("Share of spending over time")
share = spending.category_share(runner, user, f.period, categories=f.categories)
st.plotly_chart(charts.category_share_area(share, currency=currency), key="category_share")
partial_caption(share, "bucket", unit=spending.share_unit(f.period), period=f.period)

st.subheader("Two periods side by side")
other = st.radio(
    "Compare with",
    ["previous", "last-year"],
    format_func={"previous": "The previous period", "last-year": "The same period last year"}.get,
    horizontal=True,
    key="compare",
    bind="query-params",
)
other_period = f.period.previous() if other == "previous" else f.period.year_before()
against = "previous" if other == "previous" else "last_year"
comparison = spending.compare_periods(
    runner, user, f.period, other_period, categories=f.categories, against=against
)
st.plotly_chart(
    charts.period_comparison(
        comparison, currency=currency, labels=(f.period.label(), other_period.label())
    ),
    key="category_compare",
)
st.caption(runner.caption_since(mark))
