"""The Import page's job panel (progress while the job runs, its results at the end), the history
of imports with undo, and the categorisation rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data.jobs import ACTIVE
from dashboard.data.runner import Runner
from dashboard.ui.import_form import data_changed
from dashboard.views.import_batches import (
    RuleError,
    UndoRefused,
    history,
    reapply_rules,
    rules_table,
    save_rules,
    undo_import,
)
from dashboard.views.jobs import job_for

__all__ = ["import_history", "job_panel", "rules_editor"]

#: How often the job panel looks at the job while it runs (seconds).
POLL_S = 1.0


def _progress(job: dict[str, Any]) -> None:
    progress = job.get("progress") or {}
    done, total = int(progress.get("done") or 0), progress.get("total")
    share = min(done / total, 1.0) if total else 0.0
    text = job.get("stage") or ""
    if total:
        text += f": {done:,} of {total:,} rows"
    st.progress(share, text=text)
    if job.get("state") == "retrying" and job.get("error"):
        st.caption(f"{job['error']} It will be tried again shortly.")


def _result(job: dict[str, Any]) -> None:
    counts = job.get("counts") or {}
    if job.get("state") == "failed":
        st.error(f"{job.get('title')}: {job.get('error')}", icon=":material/error:")
        return
    st.success(
        f"{job.get('title')}: {counts.get('imported', 0):,} expenses imported, "
        f"{counts.get('duplicates', 0):,} duplicates skipped, "
        f"{counts.get('rejected', 0):,} rows rejected"
        + (
            f", {counts['credits_skipped']:,} rows of money in left out"
            if counts.get("credits_skipped")
            else ""
        )
        + ".",
        icon=":material/task_alt:",
    )


def job_panel(runner: Runner, user: AuthUser, state_key: str) -> bool:
    """Show the job whose id is in ``st.session_state[state_key]``: live progress while it runs
    (the rest of the page stays usable), the outcome when it ends. True while it has not ended."""
    job_id = st.session_state.get(state_key)
    if not job_id:
        return False
    job = job_for(runner, user, job_id)
    if job is None:
        st.session_state.pop(state_key, None)
        return False
    active = job.get("state") in ACTIVE

    def panel() -> None:
        current = job_for(runner, user, job_id) or job
        if current.get("state") in ACTIVE:
            _progress(current)
        else:
            _result(current)
            if active:  # it just ended: redraw the whole page (history, figures)
                st.rerun(scope="app")

    st.fragment(panel, run_every=POLL_S if active else None)()
    return active


def _batch_label(row: dict[str, Any]) -> str:
    when = f", {row['created']:%d %b %Y %H:%M}" if row["created"] else ""
    return f"{row['file']} ({row['imported'] or 0:,} expenses{when})"


def import_history(runner: Runner, user: AuthUser) -> None:
    """Past imports with their counts, and undo for those still applied."""
    st.subheader("Past imports")
    if notice := st.session_state.pop("imp_notice", None):
        st.success(notice, icon=":material/undo:")
    batches = history(runner, user)
    if batches.is_empty():
        st.caption("No imports yet. Upload a statement above to add your own expenses.")
        return
    st.dataframe(
        batches.drop("import_id"),
        hide_index=True,
        key="imp_history",
        column_config={
            "created": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"),
            "file": "File",
            "account": "Account",
            "state": "State",
            "imported": st.column_config.NumberColumn("Imported", format="localized"),
            "duplicates": st.column_config.NumberColumn("Duplicates", format="localized"),
            "rejected": st.column_config.NumberColumn("Rejected", format="localized"),
            "credits_skipped": st.column_config.NumberColumn(
                "Money in left out", format="localized"
            ),
        },
    )
    applied = batches.filter(batches["state"].is_in(["applied", "failed"]))
    if applied.is_empty():
        return
    labels = {row["import_id"]: _batch_label(row) for row in applied.iter_rows(named=True)}
    left, right = st.columns([3, 1])
    picked = left.selectbox(
        "Undo an import", list(labels), format_func=labels.get, key="imp_undo_pick"
    )
    if right.button("Undo import", key="imp_undo", icon=":material/undo:"):
        try:
            removed = undo_import(runner, user, picked)
        except UndoRefused as exc:
            st.warning(str(exc))
        else:
            st.session_state["imp_notice"] = f"Removed {removed:,} imported expenses."
            data_changed()
            st.rerun()


def rules_editor(
    runner: Runner, user: AuthUser, *, on_saved: Callable[[], None] | None = None
) -> None:
    """The user's rules as an editable table: save, and re-apply to every expense."""
    st.subheader("Categorisation rules")
    st.caption(
        "When a description contains the text (any letter case), the expense gets the category. "
        "The first matching rule wins. Rules apply to every import, and you can apply them to "
        "the expenses you already have."
    )
    edited = st.data_editor(
        rules_table(runner, user),
        num_rows="dynamic",
        hide_index=True,
        key="imp_rules",
        column_config={
            "contains": st.column_config.TextColumn("Description contains", max_chars=100),
            "category": st.column_config.TextColumn("Category", max_chars=40),
        },
    )
    left, right = st.columns(2)
    if left.button("Save rules", key="imp_rules_save", icon=":material/save:"):
        try:
            saved = save_rules(runner, user, edited.to_dicts())
        except RuleError as exc:
            st.error(str(exc))
        else:
            st.toast(f"Saved {len(saved)} rules.")
            data_changed()
            if on_saved:
                on_saved()
    if right.button("Apply rules to my expenses", key="imp_rules_apply", icon=":material/sync:"):
        try:
            saved = save_rules(runner, user, edited.to_dicts())
        except RuleError as exc:
            st.error(str(exc))
        else:
            changed = reapply_rules(runner, user, saved)
            data_changed()
            st.success(f"{changed:,} expenses changed category.")
