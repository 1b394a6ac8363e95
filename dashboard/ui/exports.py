"""The Finance reports page's export panel: a download button per offered format, and for very large
periods a server-side export with a progress bar, downloaded once it is complete."""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import streamlit as st

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from dashboard.exports import ExportJob, offered
from dashboard.exports.write import export_bytes, export_file, file_name
from dashboard.views.finance import Report

__all__ = ["LARGE_EXPORT_ROWS", "report_exports"]

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
            data=partial(export_bytes, runner, user, report, fmt=fmt.key, bom=bom),
            file_name=file_name(report.period, fmt.key),
            mime=fmt.mime,
            on_click="ignore",
            icon=":material/download:",
            key=f"fr_dl_{fmt.key}",
        )
    if large:
        _prepare_large(runner, user, report, bom=bom)


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
        folder = Path(tempfile.gettempdir()) / "spendlens-exports"
        folder.mkdir(exist_ok=True)
        path = folder / f"{user.id}-{file_name(report.period, key)}"
        bar = st.progress(0.0, text="Exporting…")

        def progress(_label: str, done: int, total: int | None) -> None:
            share = done / total if total else 1.0
            bar.progress(min(share, 1.0), text=f"{done:,} of {total or 0:,} rows")

        result = export_file(runner, user, report, fmt=key, path=path, bom=bom, progress=progress)
        st.session_state["fr_prepared"] = (str(path), key, report.period.spec, result.rows)
    prepared = st.session_state.get("fr_prepared")
    if prepared and prepared[2] == report.period.spec and Path(prepared[0]).exists():
        path, key, _, rows = prepared
        st.download_button(
            f"Download {key.upper()} ({rows:,} rows)",
            data=lambda: Path(path).read_bytes(),
            file_name=file_name(report.period, key),
            mime=by_key[key].mime,
            on_click="ignore",
            icon=":material/download:",
            key="fr_dl_prepared",
        )
