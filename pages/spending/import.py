"""Import: add your own expenses from a bank or card statement (CSV), see past imports and undo
them, and keep categorisation rules."""

from __future__ import annotations

import streamlit as st

from dashboard.app.resources import get_jobs, get_runner
from dashboard.ui.import_form import import_form
from dashboard.ui.import_status import import_history, job_panel, rules_editor
from dashboard.ui.signed_in import signed_in_user

runner = get_runner()
user = signed_in_user()
jobs = get_jobs(runner.settings)

st.title("Import a statement")
running = job_panel(runner, user, "imp_job")
import_form(runner, user, jobs, busy=running)
import_history(runner, user)
rules_editor(runner, user)
