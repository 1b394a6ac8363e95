"""Admin: the audit log, newest first, filterable by event and user."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_runner
from dashboard.ui.signed_in import signed_in_user
from dashboard.ui.tables import data_table
from dashboard.views.admin import audit_entries, audit_events

runner = get_runner()
admin = signed_in_user()

st.title("Audit log")
left, right = st.columns(2)
event = left.selectbox("Event", ["(all)", *audit_events(runner, admin)], key="audit_event")
who = right.text_input("User (actor or target)", key="audit_user")
log = audit_entries(runner, admin, event=None if event == "(all)" else event, username=who or None)
if log.is_empty():
    st.info("No audit entries match these filters.")
else:
    data_table(log, "audit_table")
    st.caption(f"The latest {log.height} entries.")
