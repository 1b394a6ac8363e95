"""Alerts: budget alerts, spending summaries, SLA alerts and scheduled reports, by e-mail or
webhook (docs/alerts.md)."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.ui.alerts import alert_list, deliveries, everyone, new_alert_form
from dashboard.ui.signed_in import signed_in_user

runner = get_runner()
user = signed_in_user()

st.title("Alerts")
st.caption(
    "Spendlens checks each alert on its schedule and tells you once per period, not every time "
    "it looks."
)
alert_list(runner, user)
new_alert_form(runner, user)
deliveries(runner, user)
everyone(runner, user)
