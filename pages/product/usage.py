"""Usage (product, admin): active users and stickiness, sign-ups and activation, weekly retention
cohorts, feature usage by API route family, active users by currency and region. Days are UTC."""

from __future__ import annotations

import streamlit as st

from dashboard import charts
from dashboard.app.resources import get_runner
from dashboard.core.periods import SPENDING_PERIODS, Period
from dashboard.ui.components import comparison_note, row_notes
from dashboard.ui.filters import period_picker
from dashboard.ui.partial import partial_caption
from dashboard.ui.signed_in import signed_in_user
from dashboard.views import usage

runner = get_runner()
user = signed_in_user()


def _value(kpi: usage.UsageKpi, value: float | None) -> str:
    if value is None:
        return "—"
    return {"share": f"{value:.1%}", "average": f"{value:,.1f}"}.get(kpi.kind, f"{value:,.0f}")


def _metrics(kpis: list[usage.UsageKpi], previous: Period) -> None:
    columns = st.columns(len(kpis))
    for column, kpi in zip(columns, kpis, strict=True):
        column.metric(
            kpi.label,
            _value(kpi, kpi.value),
            delta=kpi.change.delta(),
            help=(
                f"Previous period ({previous.label()}): {_value(kpi, kpi.previous)}; "
                f"change: {kpi.change.text()}"
            ),
        )
    row_notes(columns, [comparison_note(kpi.change, "previous period") for kpi in kpis])


st.title("Usage")
period = period_picker(SPENDING_PERIODS, tz="UTC")
st.caption(
    f"{period.label()} · UTC days · active = an API request or a new expense · "
    f"compared with {period.previous().label()}"
)

mark = runner.mark()
usage.refresh_activity(runner, user)
kpis = usage.kpis(runner, user, period)
_metrics(kpis[:4], period.previous())
_metrics(kpis[4:], period.previous())

trend = usage.active_users(runner, user, period)
left, right = st.columns([3, 2])
with left:
    st.subheader("Active users")
    st.plotly_chart(charts.active_users_trend(trend), key="usage_active")
with right:
    st.subheader("Stickiness (DAU/MAU)")
    st.plotly_chart(charts.stickiness_trend(trend), key="usage_stickiness")
st.caption("WAU and MAU: users active in the 7 and 30 days ending on each day.")
partial_caption(trend, "day", unit="day", period=period)

st.subheader("Sign-ups and activation")
new_users = usage.signups(runner, user, period)
st.plotly_chart(charts.signup_bars(new_users), key="usage_signups")
st.caption("Activated: created an expense within 7 days of signing up (UTC days).")
pending = usage.pending_note(new_users)
if pending:
    st.caption(pending)

st.subheader("Retention")
st.plotly_chart(
    charts.retention_heatmap(usage.retention(runner, user, period)), key="usage_retention"
)
st.caption(
    "Each row is the users who signed up in that week; each column the share of them active "
    "in the n-th week after (week 0 = the sign-up week). The latest week may be incomplete."
)

st.subheader("Feature usage")
st.plotly_chart(
    charts.route_family_bars(usage.feature_usage(runner, user, period)), key="usage_families"
)
st.caption(
    "Requests by the route's second path segment (/api/expenses/:id → expenses); users are "
    "distinct signed-in users (logins and health checks are anonymous)."
)

st.subheader("Active users by segment")
a, b = st.columns(2)
with a:
    by_currency = usage.active_segments(runner, user, period, by="currency")
    st.plotly_chart(charts.segment_bars(by_currency, column="currency"), key="usage_currency")
with b:
    by_region = usage.active_segments(runner, user, period, by="region")
    st.plotly_chart(charts.segment_bars(by_region, column="region"), key="usage_region")
st.caption(runner.caption_since(mark))
