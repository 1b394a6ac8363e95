"""Account: your details, your password, and your data (download it or ask for deletion)."""

from __future__ import annotations

import zoneinfo

import streamlit as st

from dashboard.app.resources import get_cache, get_settings, get_store
from dashboard.auth import accounts, data_rights
from dashboard.core.identity import WEEKDAY_NAMES
from dashboard.ui import account_forms, session
from dashboard.ui.signed_in import signed_in_user

settings = get_settings()
store, cache = get_store(settings), get_cache(settings)
user = signed_in_user()

st.title("Account")
st.caption(
    f"{user.username} · {', '.join(user.roles)} · time zone {user.timezone} · {user.currency}"
)

details, preferences, password, data = st.tabs(["Details", "Preferences", "Password", "Your data"])
with details:
    account_forms.update_details_form(store, user)
with preferences:
    zones = sorted(zoneinfo.available_timezones())
    with st.form("preferences_form"):
        tz = st.selectbox("Time zone", zones, index=zones.index(user.timezone) if user.timezone in zones else None,
                          key="pref_timezone")  # fmt: skip
        week_start = st.selectbox("Weeks start on", range(1, 8), index=user.week_start - 1,
                                  format_func=lambda d: WEEKDAY_NAMES[d - 1].capitalize(), key="pref_week_start")  # fmt: skip
        if st.form_submit_button("Save preferences"):
            try:
                accounts.update_preferences(
                    store, user, timezone=tz or "UTC", week_start=int(week_start), cache=cache
                )
            except accounts.AccountError as exc:
                st.error(str(exc))
            else:
                st.success("Preferences saved; the dashboards now group days and weeks by them.")
with password:
    account_forms.password_form(store, settings, user)
    st.divider()
    st.subheader("Sessions")
    st.write(
        "Signed in somewhere you no longer use, or worried someone copied your login? Log out "
        "everywhere: every browser signed in to your account, this one included, is signed out."
    )
    if st.button("Log out everywhere", key="account_logout_everywhere", icon=":material/logout:"):
        session.logout_everywhere(settings, store, user)
        st.rerun()
with data:
    st.write("Download everything Spendlens holds about you: profile, expenses, budgets, API log.")
    left, right = st.columns(2)
    left.download_button(
        "Download as JSON",
        data=session.deferred(
            store, lambda me: data_rights.export_json(data_rights.export_user_data(store, me))
        ),
        file_name=f"spendlens-{user.username}.json",
        mime="application/json",
        on_click="ignore",
        icon=":material/download:",
    )
    right.download_button(
        "Download as CSV (zip)",
        data=session.deferred(
            store, lambda me: data_rights.export_csv_zip(data_rights.export_user_data(store, me))
        ),
        file_name=f"spendlens-{user.username}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/download:",
    )
    st.divider()
    st.subheader("Delete my account")
    st.write(
        "An admin confirms deletion requests. Deletion removes your expenses, budgets and account "
        "for good; an audit record of the deletion is kept."
    )
    sure = st.checkbox("I understand this cannot be undone", key="account_delete_confirm")
    if st.button("Request deletion", disabled=not sure, type="primary", key="account_delete"):
        data_rights.request_deletion(store, user)
        st.success("Deletion requested. An admin will confirm it.")
