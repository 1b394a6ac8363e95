"""The Finance reports page's export panel: a download button per offered format, and for very large
periods an export job with a progress bar, downloaded once it is complete.

A prepared export is written by a background job (:mod:`dashboard.jobs.export_job`) and kept in the
database until it is downloaded (once) or an hour old, so any replica can serve it and copies of
everyone's expenses do not pile up on a server's disk."""

from __future__ import annotations

import logging
from functools import partial

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data.jobs import ACTIVE
from dashboard.data.runner import Runner
from dashboard.exports import ExportJob, offered
from dashboard.exports.write import export_bytes, file_name
from dashboard.jobs.context import JobContext
from dashboard.jobs.export_job import export_ready, submit_export, take_export
from dashboard.jobs.queue import JobQueue
from dashboard.jobs.submit import QUEUE_ERRORS
from dashboard.ui import session
from dashboard.views.finance import Report
from dashboard.views.jobs import job_for

__all__ = ["LARGE_EXPORT_ROWS", "report_exports"]

log = logging.getLogger("spendlens.exports")

#: Who may download a finance export (checked again when the download runs).
FINANCE_ROLES = ("finance",)
#: Above this many rows, row exports are prepared on the server with a progress bar first.
LARGE_EXPORT_ROWS = 100_000


def report_exports(
    runner: Runner, user: AuthUser, report: Report, *, jobs: tuple[JobContext, JobQueue]
) -> None:
    """Draw the export panel for ``report`` (large exports are submitted to ``jobs``)."""
    formats = offered("finance")
    st.subheader("Export")
    bom = st.checkbox("CSV with a byte-order mark (for Excel)", value=True, key="fr_bom")
    sizing = ExportJob(rows=lambda: (), row_total=report.expenses)
    for fmt in formats:
        if note := fmt.note_for(sizing):
            st.info(note, icon=":material/info:")
    large = report.expenses > LARGE_EXPORT_ROWS
    for column, fmt in zip(st.columns(len(formats)), formats, strict=True):
        if large and fmt.reads_rows:
            continue
        column.download_button(
            fmt.label,
            data=session.deferred(
                runner.store,
                partial(_export_bytes, runner, report, fmt=fmt.key, bom=bom),
                roles=FINANCE_ROLES,
            ),
            file_name=file_name(report.period, fmt.key),
            mime=fmt.mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"fr_dl_{fmt.key}",
        )
    if large:
        _prepare_large(runner, user, report, bom=bom, jobs=jobs)


def _export_bytes(runner: Runner, report: Report, user: AuthUser, *, fmt: str, bom: bool) -> bytes:
    return export_bytes(runner, user, report, fmt=fmt, bom=bom)


def _prepare_large(
    runner: Runner, user: AuthUser, report: Report, *, bom: bool, jobs: tuple[JobContext, JobQueue]
) -> None:
    st.caption(
        f"{report.expenses:,} rows: row exports are written by a background job, in chunks, "
        "then downloaded once. You can keep using the page meanwhile."
    )
    by_key = {fmt.key: fmt for fmt in offered("finance") if fmt.reads_rows}
    left, right = st.columns([2, 1])
    key = left.selectbox("Format", list(by_key), key="fr_big_format")
    if right.button("Prepare export", key="fr_prepare", icon=":material/build:"):
        context, queue = jobs
        try:
            job_id = submit_export(context, queue, user, period=report.period, fmt=key, bom=bom)
        except QUEUE_ERRORS:
            log.exception("could not queue an export")
            st.error(
                "The job queue cannot be reached right now, so the export did not start; try "
                "again in a minute."
            )
        else:
            st.session_state["fr_job"] = str(job_id)
    job_id = st.session_state.get("fr_job")
    if not job_id:
        return
    job = job_for(runner, user, job_id)
    if job is None:
        st.session_state.pop("fr_job", None)
        return
    active = job.get("state") in ACTIVE

    def panel() -> None:
        current = job_for(runner, user, job_id) or job
        if current.get("state") in ACTIVE:
            progress = current.get("progress") or {}
            done, total = int(progress.get("done") or 0), progress.get("total")
            st.progress(
                min(done / total, 1.0) if total else 0.0,
                text=f"{current.get('stage')}: {done:,} of {total or 0:,} rows",
            )
        elif current.get("state") == "failed":
            st.error(f"The export failed: {current.get('error')}", icon=":material/error:")
        else:
            _prepared_download(runner, current)

    st.fragment(panel, run_every=1.0 if active else None)()


def _prepared_download(runner: Runner, job: dict) -> None:
    result = job.get("result") or {}
    if not export_ready(runner.store, job):
        st.caption(
            "The prepared export was downloaded (or is over an hour old) and has been deleted "
            "from the server; prepare it again for another copy."
        )
        return
    job_id = str(job["_id"])
    st.download_button(
        f"Download {str(result.get('format')).upper()} ({(job.get('counts') or {}).get('rows', 0):,} rows)",
        data=session.deferred(
            runner.store,
            lambda user: take_export(runner.store, user, job_id),
            roles=FINANCE_ROLES,
        ),
        file_name=result.get("file_name"),
        mime=result.get("mime"),
        on_click="ignore",
        icon=":material/download:",
        key="fr_dl_prepared",
    )
    if result.get("note"):
        st.info(result["note"], icon=":material/info:")
