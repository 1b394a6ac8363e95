"""Admin: the audit log, newest first, filterable by event and user."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_settings, get_store
from dashboard.auth.admin_audit import audit_events, read_audit_log
from dashboard.ui.signed_in import signed_in_user

settings = get_settings()
store = get_store(settings)
admin = signed_in_user()

st.title("Audit log")
left, right = st.columns(2)
event = left.selectbox("Event", ["(all)", *audit_events(store, admin)], key="audit_event")
who = right.text_input("User (actor or target)", key="audit_user")
log = read_audit_log(store, admin, event=None if event == "(all)" else event, username=who or None)
if log.is_empty():
    st.info("No audit entries match these filters.")
else:
    st.dataframe(log, hide_index=True, width="stretch")
    st.caption(f"The latest {log.height} entries.")
