"""The Finance reports page's export panel: a download button per offered format, and for very large
periods a server-side export with a progress bar, downloaded once it is complete.

A prepared export is a file in a private temporary folder: it is deleted when downloaded, when the
user prepares another, and at the latest an hour after it was written (swept at start-up and before
each new one), so copies of everyone's expenses do not pile up on the server's disk."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from dashboard.exports import ExportJob, offered
from dashboard.exports.write import (
    PREPARED_MAX_AGE_S,
    clean_prepared_exports,
    export_bytes,
    export_file,
    file_name,
    prepared_export_path,
    take_prepared_export,
)
from dashboard.ui import session
from dashboard.views.finance import Report

__all__ = ["LARGE_EXPORT_ROWS", "clean_prepared_exports_at_start", "report_exports"]

log = logging.getLogger("spendlens.exports")

#: Who may download a finance export (checked again when the download runs).
FINANCE_ROLES = ("finance",)
#: Above this many rows, row exports are prepared on the server with a progress bar first.
LARGE_EXPORT_ROWS = 100_000


def report_exports(runner: Runner, user: AuthUser, report: Report) -> None:
    """Draw the export panel for ``report``."""
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
        _prepare_large(runner, user, report, bom=bom)


def _export_bytes(runner: Runner, report: Report, user: AuthUser, *, fmt: str, bom: bool) -> bytes:
    return export_bytes(runner, user, report, fmt=fmt, bom=bom)


def _prepare_large(runner: Runner, user: AuthUser, report: Report, *, bom: bool) -> None:
    st.caption(
        f"{report.expenses:,} rows: row exports are written on the server first, in chunks, "
        "then downloaded."
    )
    by_key = {fmt.key: fmt for fmt in offered("finance") if fmt.reads_rows}
    left, right = st.columns([2, 1])
    key = left.selectbox("Format", list(by_key), key="fr_big_format")
    if right.button("Prepare export", key="fr_prepare", icon=":material/build:"):
        previous = st.session_state.pop("fr_prepared", None)
        if previous:
            Path(previous[0]).unlink(missing_ok=True)
        path = prepared_export_path(user, file_name(report.period, key))
        bar = st.progress(0.0, text="Exporting…")

        def progress(_label: str, done: int, total: int | None) -> None:
            share = done / total if total else 1.0
            bar.progress(min(share, 1.0), text=f"{done:,} of {total or 0:,} rows")

        result = export_file(runner, user, report, fmt=key, path=path, bom=bom, progress=progress)
        st.session_state["fr_prepared"] = (str(path), key, report.period.spec, result.rows)
    prepared = st.session_state.get("fr_prepared")
    if prepared and not Path(prepared[0]).exists():
        st.session_state.pop("fr_prepared")
        st.caption(
            "The prepared export was downloaded (or is over an hour old) and has been deleted "
            "from the server; prepare it again for another copy."
        )
    elif prepared and prepared[2] == report.period.spec:
        path, key, _, rows = prepared
        st.download_button(
            f"Download {key.upper()} ({rows:,} rows)",
            data=session.deferred(
                runner.store,
                lambda _user: take_prepared_export(Path(path)),
                roles=FINANCE_ROLES,
            ),
            file_name=file_name(report.period, key),
            mime=by_key[key].mime,
            on_click="ignore",
            icon=":material/download:",
            key="fr_dl_prepared",
        )


@st.cache_resource(show_spinner=False)
def clean_prepared_exports_at_start() -> int:
    """Once per process: delete the prepared exports an earlier process left (crash, restart)
    once they are past their age; a sweep that fails is logged, never blocks the app."""
    try:
        return clean_prepared_exports(max_age_s=PREPARED_MAX_AGE_S)
    except (OSError, ValueError):
        log.exception("could not sweep the prepared exports")
        return 0
