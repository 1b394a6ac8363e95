"""The Alerts page's widgets: your alerts with pause, resume and delete; the form for a new one
(only the kinds your roles allow); recent deliveries; and for admins everyone's alerts."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.core.schedules import REPORT_PERIODS, Schedule, monthly, quarterly
from dashboard.data.runner import Runner
from dashboard.views.alert_subscriptions import (
    METRICS,
    REPORT_FORMATS,
    SubscriptionError,
    all_subscriptions_table,
    create_subscription,
    delete_subscription,
    deliveries_table,
    kinds_for,
    set_active,
    subscriptions_table,
)

__all__ = ["alert_list", "deliveries", "everyone", "new_alert_form"]

_COLUMNS: dict[str, Any] = {
    "title": "Alert",
    "kind": "Kind",
    "owner": "Owner",
    "channel": "Sent to",
    "schedule": "Checked (cron, zone)",
    "active": st.column_config.CheckboxColumn("Active"),
    "next_run": st.column_config.DatetimeColumn("Next run (UTC)", format="D MMM YYYY, HH:mm"),
    "last_delivery": "Last delivery",
}


def _manage(runner: Runner, user: AuthUser, table: Any, key: str) -> None:
    labels = {row["id"]: row["title"] for row in table.iter_rows(named=True)}
    active = {row["id"]: row["active"] for row in table.iter_rows(named=True)}
    left, middle, right = st.columns([3, 1, 1])
    picked = left.selectbox("Alert", list(labels), format_func=labels.get, key=f"{key}_pick")
    toggle = "Pause" if active.get(picked) else "Resume"
    if middle.button(toggle, key=f"{key}_toggle", icon=":material/pause_circle:"):
        set_active(runner, user, picked, not active.get(picked))
        st.rerun()
    if right.button("Delete", key=f"{key}_delete", icon=":material/delete:"):
        delete_subscription(runner, user, picked)
        st.session_state["alerts_notice"] = f"Deleted “{labels.get(picked)}”."
        st.rerun()


def alert_list(runner: Runner, user: AuthUser) -> None:
    """The user's alerts, with what their last delivery did."""
    st.subheader("Your alerts")
    if notice := st.session_state.pop("alerts_notice", None):
        st.success(notice)
    table = subscriptions_table(runner, user)
    if table.is_empty():
        st.info(
            "No alerts yet. Create one below: Spendlens checks it on schedule and tells you by "
            "e-mail or webhook.",
            icon=":material/notifications:",
        )
        return
    st.dataframe(table.drop("id"), hide_index=True, column_config=_COLUMNS, key="alerts_mine")
    _manage(runner, user, table, "alerts_mine")


def _params(kind: str, user: AuthUser) -> dict[str, Any]:
    if kind == "budget":
        category = st.text_input("Category (empty: every budgeted category)", key="al_category")
        shares = st.multiselect("Tell me at", [50, 80, 90, 100, 120], default=[80, 100],
                                format_func=lambda v: f"{v}% of the budget", key="al_shares")  # fmt: skip
        forecast = st.checkbox("Also when the forecast says I will pass it", key="al_forecast")
        return {"category": category, "thresholds": shares, "forecast": forecast}
    if kind == "summary":
        frequency = st.radio("Every", ["weekly", "monthly"], horizontal=True, key="al_freq",
                             format_func=lambda v: "week (Mondays)" if v == "weekly"
                             else "month (the 1st)")  # fmt: skip
        return {"frequency": frequency}
    if kind == "sla":
        metric = st.selectbox("Watch", list(METRICS), format_func=METRICS.get, key="al_metric")
        hours = st.number_input("For this many hours in a row", 1, 48, 3, key="al_hours")
        params: dict[str, Any] = {"metric": metric, "buckets": int(hours)}
        if metric == "error_rate":
            params["error_rate_pct"] = st.number_input("Target (% of requests)", 0.1, 100.0, 1.0,
                                                       key="al_rate")  # fmt: skip
        return params
    fmt = st.selectbox("Format", REPORT_FORMATS, format_func=str.upper, key="al_format")
    period = st.selectbox("Covering", list(REPORT_PERIODS), format_func=REPORT_PERIODS.get,
                          key="al_period")  # fmt: skip
    attach = st.checkbox("Attach the file (else a link to the page)", value=True, key="al_attach")
    return {"format": fmt, "period": period, "attach": attach}


def _schedule(kind: str, user: AuthUser) -> Schedule | None:
    if kind != "report":
        return None
    how = st.radio("When", ["monthly", "quarterly", "cron"], horizontal=True, key="al_when",
                   format_func={"monthly": "monthly on day", "quarterly": "quarterly on day",
                                "cron": "cron expression"}.get)  # fmt: skip
    if how == "cron":
        text = st.text_input("Cron (minute hour day month weekday)", "0 7 1 * *", key="al_cron")
        return Schedule(text.strip(), user.timezone)
    day = int(st.number_input("Day of the month", 1, 28, 1, key="al_day"))
    return (monthly if how == "monthly" else quarterly)(day, hour=7, tz=user.timezone)


def new_alert_form(runner: Runner, user: AuthUser) -> None:
    """The form for a new alert of the signed-in user."""
    st.subheader("New alert")
    kinds = kinds_for(user)
    if not kinds:
        st.caption("Your roles have no alerts to offer.")
        return
    kind = st.selectbox("What", list(kinds), format_func=kinds.get, key="al_kind")
    params = _params(kind, user)
    schedule = _schedule(kind, user)
    how = st.radio("Send by", ["email", "webhook"], horizontal=True, key="al_channel",
                   format_func={"email": "e-mail", "webhook": "webhook"}.get)  # fmt: skip
    if how == "email":
        channel: dict[str, Any] = {
            "type": "email",
            "to": st.text_input("E-mail address", user.email or "", key="al_to"),
        }
    else:
        channel = {
            "type": "webhook",
            "url": st.text_input(
                "Webhook URL", placeholder="https://hooks.example.com/…", key="al_url"
            ),
            "slack": st.checkbox("Slack-compatible body", key="al_slack"),
        }
    if st.button("Create alert", type="primary", key="al_create", icon=":material/add_alert:"):
        try:
            create_subscription(
                runner, user, kind=kind, params=params, channel=channel, schedule=schedule
            )
        except SubscriptionError as exc:
            st.error(str(exc))
        else:
            st.session_state["alerts_notice"] = "Alert created."
            st.rerun()


def deliveries(runner: Runner, user: AuthUser) -> None:
    """What your alerts sent recently, failures with their reason."""
    st.subheader("Recent deliveries")
    table = deliveries_table(runner, user)
    if table.is_empty():
        st.caption("Nothing sent yet: an alert sends when its condition is met or its day comes.")
        return
    failed = table.filter(table["status"] == "failed").height
    if failed:
        st.warning(f"{failed} of the last {table.height} deliveries failed; see why below.")
    st.dataframe(
        table,
        hide_index=True,
        key="alerts_deliveries",
        column_config={
            "queued": st.column_config.DatetimeColumn("Queued (UTC)", format="D MMM, HH:mm"),
            "sent": st.column_config.DatetimeColumn("Sent (UTC)", format="D MMM, HH:mm"),
        },
    )


def everyone(runner: Runner, user: AuthUser) -> None:
    """Admins: every alert, with pause, resume and delete."""
    if not user.has_role("admin"):
        return
    st.subheader("All alerts (admin)")
    table = all_subscriptions_table(runner, user)
    if table.is_empty():
        st.caption("Nobody has an alert yet.")
        return
    st.dataframe(table.drop("id"), hide_index=True, column_config=_COLUMNS, key="alerts_all")
    _manage(runner, user, table, "alerts_all")
