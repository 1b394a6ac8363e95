"""Finance exports: the period's rows as CSV or Parquet, the report as Excel or a PDF statement.

:func:`export_report` is the one entry point the page and ``python -m dashboard report`` use: it
writes one format to a binary stream, reading the rows in bounded chunks with progress reports, and
records the export in ``audit_log`` (who, when, report, filters, format, row count).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.audit_log import audit
from dashboard.data.runner import Runner
from dashboard.exports.csv_export import write_csv
from dashboard.exports.parquet_export import write_parquet
from dashboard.exports.rows import CHUNK_ROWS, Progress, iter_rows, plan_rows
from dashboard.exports.xlsx_export import EXCEL_MAX_ROWS, rows_note, write_xlsx
from dashboard.views.finance import Report, build_report, report_filters
from queries.scope import require_roles

__all__ = [
    "EXCEL_MAX_ROWS",
    "FORMATS",
    "ExportResult",
    "export_bytes",
    "export_file",
    "export_report",
    "file_name",
    "rows_note",
]

#: Format → MIME type.
FORMATS: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "parquet": "application/vnd.apache.parquet",
}
AUDIT_EVENT = "report.export"


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the format, the expense rows in it, and a note for the user, if any."""

    format: str
    rows: int
    note: str | None = None


def file_name(period: Period, fmt: str) -> str:
    """``spendlens-finance-2025-10.xlsx``."""
    return f"spendlens-finance-{period.slug()}.{fmt}"


def _report(runner: Runner, user: AuthUser, subject: Report | Period) -> Report:
    if isinstance(subject, Report):
        return subject
    return build_report(runner, user, subject)


def export_report(
    runner: Runner,
    user: AuthUser,
    subject: Report | Period,
    *,
    fmt: str,
    out: BinaryIO,
    bom: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = CHUNK_ROWS,
    max_xlsx_rows: int = EXCEL_MAX_ROWS,
) -> ExportResult:
    """Write ``fmt`` (csv, xlsx, pdf, parquet) for a report or a period to ``out``, and audit it.

    CSV and Parquet carry the period's expense rows (a period is enough: no breakdowns are
    computed); XLSX the breakdowns plus the rows when they fit (otherwise
    :attr:`ExportResult.note` says to use CSV or Parquet); PDF the statement. For XLSX and PDF a
    bare period is turned into its report first.
    """
    require_roles(user, "finance")
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    rp = subject.period if isinstance(subject, Report) else subject
    note = None
    if fmt == "pdf":
        from dashboard.exports.pdf_export import write_pdf

        write_pdf(_report(runner, user, subject), out)
        rows = 0
    else:
        plan = plan_rows(runner, user, rp, chunk_rows=chunk_rows)
        chunks = iter_rows(runner, user, rp, plan=plan, progress=progress)
        if fmt == "csv":
            rows = write_csv(chunks, out, bom=bom)
        elif fmt == "parquet":
            rows = write_parquet(chunks, out)
        else:
            note = rows_note(plan.total, max_rows=max_xlsx_rows)
            rows = write_xlsx(
                _report(runner, user, subject),
                out,
                rows=chunks,
                row_total=plan.total,
                max_rows=max_xlsx_rows,
            )
    details: dict[str, object] = {
        "report": "finance.period",
        "filters": report_filters(rp),
        "format": fmt,
        "rows": rows,
    }
    if fmt == "csv":
        details["bom"] = bom
    audit(runner.store, AUDIT_EVENT, actor=user.username, target=rp.spec, details=details)
    return ExportResult(format=fmt, rows=rows, note=note)


def export_bytes(
    runner: Runner, user: AuthUser, subject: Report | Period, *, fmt: str, bom: bool = False
) -> bytes:
    """The export as bytes, for a download button (small periods; see :func:`export_file`)."""
    buffer = io.BytesIO()
    export_report(runner, user, subject, fmt=fmt, out=buffer, bom=bom)
    return buffer.getvalue()


def export_file(
    runner: Runner,
    user: AuthUser,
    subject: Report | Period,
    *,
    fmt: str,
    path: Path,
    bom: bool = False,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the export to ``path`` through a temporary file in the same folder, renamed at the end,
    so a failed run never leaves a half-written report behind."""
    folder = path.parent
    if not folder.is_dir():
        msg = f"cannot write {path}: folder {folder} does not exist"
        raise ValueError(msg)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            result = export_report(
                runner, user, subject, fmt=fmt, out=out, bom=bom, progress=progress
            )
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return result
