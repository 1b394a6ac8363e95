"""The export formats, one entry each: adding an entry here adds the format to the Finance reports
page, to ``python -m dashboard report --format`` and, when it says so, to the Transactions page.

An entry says how to write the format from an :class:`ExportJob` (rows in chunks and, for the
documents that summarise a period, the report) and where it is offered. Row formats stream their
rows chunk by chunk; report formats build the period's report first. Writers are imported when
a format is written, so listing the formats costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Literal

if TYPE_CHECKING:  # the registry stays cheap to import: the CLI builds its --format from it
    import polars as pl

    from dashboard.views.finance import Report

__all__ = ["FORMATS", "ExportFormat", "ExportJob", "Surface", "offered"]

#: Where a format can be offered.
Surface = Literal["finance", "cli", "transactions"]


@dataclass(frozen=True)
class ExportJob:
    """What one export writes from. ``rows()`` yields the rows in chunks (called once);
    ``report()`` builds the period's report (None for exports without one, such as a
    transactions view)."""

    rows: Callable[[], Iterable[pl.DataFrame]]
    row_total: int
    report: Callable[[], Report] | None = None
    bom: bool = False
    #: Excel's row limit; None: the sheet's own (1,048,575 rows under the header).
    max_xlsx_rows: int | None = None

    def the_report(self) -> Report:
        if self.report is None:
            msg = "this format needs a period report; it cannot export these rows alone"
            raise ValueError(msg)
        return self.report()


@dataclass(frozen=True)
class ExportFormat:
    """One format: its name (``--format``, the file extension), the button label, the MIME type,
    how to write it (returns the number of expense rows written) and where it is offered.

    ``reads_rows``: it reads every expense row of the period, so very large periods prepare it on
    the server first. ``needs_report``: it summarises a period (breakdowns, reconciliation).
    ``bom``: it honours the byte-order-mark option. ``note``: what to tell the user about a job
    (e.g. rows that do not fit), if anything.
    """

    key: str
    label: str
    mime: str
    write: Callable[[ExportJob, BinaryIO], int]
    reads_rows: bool
    needs_report: bool
    surfaces: frozenset[Surface]
    bom: bool = False
    note: Callable[[ExportJob], str | None] | None = None

    def note_for(self, job: ExportJob) -> str | None:
        """What to tell the user about this export of ``job``, if anything."""
        return self.note(job) if self.note is not None else None


def _write_csv(job: ExportJob, out: BinaryIO) -> int:
    from dashboard.exports.csv_export import write_csv

    return write_csv(job.rows(), out, bom=job.bom)


def _write_parquet(job: ExportJob, out: BinaryIO) -> int:
    from dashboard.exports.parquet_export import write_parquet

    return write_parquet(job.rows(), out)


def _write_xlsx(job: ExportJob, out: BinaryIO) -> int:
    from dashboard.exports.xlsx_export import EXCEL_MAX_ROWS, write_xlsx

    return write_xlsx(
        job.the_report(),
        out,
        rows=job.rows(),
        row_total=job.row_total,
        max_rows=job.max_xlsx_rows or EXCEL_MAX_ROWS,
    )


def _xlsx_note(job: ExportJob) -> str | None:
    from dashboard.exports.xlsx_export import EXCEL_MAX_ROWS, rows_note

    return rows_note(job.row_total, max_rows=job.max_xlsx_rows or EXCEL_MAX_ROWS)


def _write_pdf(job: ExportJob, out: BinaryIO) -> int:
    from dashboard.exports.pdf_export import write_pdf

    write_pdf(job.the_report(), out)
    return 0


#: Every export format, in the order the pages show them.
FORMATS: dict[str, ExportFormat] = {
    fmt.key: fmt
    for fmt in (
        ExportFormat(
            "csv",
            "CSV (rows)",
            "text/csv",
            _write_csv,
            reads_rows=True,
            needs_report=False,
            surfaces=frozenset({"finance", "cli", "transactions"}),
            bom=True,
        ),
        ExportFormat(
            "parquet",
            "Parquet (rows)",
            "application/vnd.apache.parquet",
            _write_parquet,
            reads_rows=True,
            needs_report=False,
            surfaces=frozenset({"finance", "cli"}),
        ),
        ExportFormat(
            "xlsx",
            "Excel",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _write_xlsx,
            reads_rows=True,
            needs_report=True,
            surfaces=frozenset({"finance", "cli"}),
            note=_xlsx_note,
        ),
        ExportFormat(
            "pdf",
            "PDF",
            "application/pdf",
            _write_pdf,
            reads_rows=False,
            needs_report=True,
            surfaces=frozenset({"finance", "cli"}),
        ),
    )
}


def offered(surface: Surface) -> list[ExportFormat]:
    """The formats offered on ``surface``, in :data:`FORMATS` order."""
    return [fmt for fmt in FORMATS.values() if surface in fmt.surfaces]
