"""Writing exports: a finance period as CSV, Parquet, Excel or a PDF statement, and a Transactions
view, in any format of the registry (:mod:`dashboard.exports.formats`).

:func:`export_report` is the one entry point the Finance page and ``python -m dashboard report``
use: it writes one format of :data:`~dashboard.exports.formats.FORMATS` to a binary stream, reading
the rows in bounded chunks with progress reports, and records the export in ``audit_log`` (who,
when, report, filters, format, row count). :func:`export_transactions` writes the rows of a user's
Transactions view in the formats offered there.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.audit_log import audit
from dashboard.data.runner import Runner
from dashboard.exports.formats import FORMATS, ExportFormat, ExportJob, offered
from dashboard.exports.rows import CHUNK_ROWS, Progress, iter_rows, plan_rows
from dashboard.exports.xlsx_export import EXCEL_MAX_ROWS
from dashboard.views.finance import Report, build_report, report_filters
from dashboard.views.transactions import export_rows
from queries.scope import require_roles
from queries.transactions import TransactionFilter

__all__ = [
    "ExportResult",
    "export_bytes",
    "export_file",
    "export_report",
    "export_transactions",
    "file_name",
]

AUDIT_EVENT = "report.export"
#: A prepared export (a large finance export written on the server before its download) is
#: deleted once downloaded, or at the latest this many seconds after it was written.
log = logging.getLogger("spendlens.exports")
#: ``details.report`` of a Transactions page export (finance exports say ``finance.period``).
TRANSACTIONS_REPORT = "transactions.view"
_AUDITED_SEARCH_CHARS = 200


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the format, the expense rows in it, and a note for the user, if any."""

    format: str
    rows: int
    note: str | None = None


def _format(fmt: str) -> ExportFormat:
    if fmt not in FORMATS:
        msg = f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}"
        raise ValueError(msg)
    return FORMATS[fmt]


def file_name(period: Period, fmt: str) -> str:
    """``spendlens-finance-2025-10.xlsx``."""
    return f"spendlens-finance-{period.slug()}.{fmt}"


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
    """Write ``fmt`` for a report or a period to ``out``, and audit it.

    Row formats carry the period's expense rows (a period is enough: no breakdowns are computed);
    report formats build the period's report when given a bare period. Excel holds the rows only
    while they fit (:attr:`ExportResult.note` says so otherwise).
    """
    require_roles(user, "finance")
    export = _format(fmt)
    period = subject.period if isinstance(subject, Report) else subject
    plan = plan_rows(runner, user, period, chunk_rows=chunk_rows) if export.reads_rows else None
    job = ExportJob(
        rows=lambda: iter_rows(runner, user, period, plan=plan, progress=progress),
        row_total=plan.total if plan else 0,
        report=lambda: (
            subject if isinstance(subject, Report) else build_report(runner, user, subject)
        ),
        bom=bom,
        max_xlsx_rows=max_xlsx_rows,
    )
    rows = export.write(job, out)
    details: dict[str, object] = {
        "report": "finance.period",
        "filters": report_filters(period),
        "format": fmt,
        "rows": rows,
    }
    if export.bom:
        details["bom"] = bom
    audit(runner.store, AUDIT_EVENT, actor=user.username, target=period.spec, details=details)
    return ExportResult(format=fmt, rows=rows, note=export.note_for(job))


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


def export_transactions(
    runner: Runner,
    user: AuthUser,
    f: TransactionFilter,
    *,
    fmt: str,
    sort_by: str = "date",
    descending: bool = True,
) -> bytes:
    """Every row of the user's Transactions view ``f`` in ``fmt`` (one offered on that page), audited
    like the finance exports (event ``report.export``, ``details.report`` ``transactions.view``);
    CSV starts with a byte-order mark so Excel reads it as UTF-8."""
    export = _format(fmt)
    if "transactions" not in export.surfaces:
        msg = f"{fmt} is not offered for transactions; expected one of "
        raise ValueError(msg + ", ".join(f.key for f in offered("transactions")))
    rows = export_rows(runner, user, f, sort_by=sort_by, descending=descending)
    buffer = io.BytesIO()
    written = export.write(ExportJob(rows=lambda: [rows], row_total=rows.height, bom=True), buffer)
    details = {
        "report": TRANSACTIONS_REPORT,
        "filters": _transaction_filters(f, sort_by=sort_by, descending=descending),
        "format": fmt,
        "rows": written,
    }
    audit(runner.store, AUDIT_EVENT, actor=user.username, target=f.period.spec, details=details)
    return buffer.getvalue()


def _transaction_filters(
    f: TransactionFilter, *, sort_by: str, descending: bool
) -> dict[str, object]:
    """What a Transactions export covers, for its audit entry (the search text cut to 200 chars)."""
    return {
        "period": f.period.spec,
        "from": f.period.start.isoformat(),
        "to": f.period.end.isoformat(),
        "timezone": f.period.tz,
        "categories": list(f.categories) or "all",
        "search": f.search[:_AUDITED_SEARCH_CHARS],
        "min_amount": f.min_amount,
        "max_amount": f.max_amount,
        "sort": f"{sort_by} {'desc' if descending else 'asc'}",
    }
