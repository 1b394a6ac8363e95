"""The report as an Excel workbook: a sheet per breakdown, plus the expense rows when they fit.

Every table sheet has a bold, frozen header with a filter, columns fitted to their contents, real
Excel dates (naive, in the reporting zone: Excel has no time zones) and a currency format per
amount (``[$€]#,##0.00``; no decimals for yen and the like). Amounts of different currencies are
never added: the category and month sheets end each currency's block with a ``Total <CUR>`` row and
the currency sheet's totals row adds counts only. Totals are ``SUM`` formulas with the exact report
total as their stored value. Text cells are written as text (never as formulas) and neutralised like
the CSV (:mod:`dashboard.csv_safe`). Rows stream in constant-memory mode; past Excel's row limit
the workbook says so on its summary sheet, and the rows go to CSV or Parquet instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, BinaryIO

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Format, Workbook
from xlsxwriter.worksheet import Worksheet

from dashboard.core.csv_safe import neutralise, neutralise_frame
from dashboard.core.money import currency_decimals, currency_symbol
from dashboard.views.finance import Report

__all__ = ["EXCEL_MAX_ROWS", "rows_note", "write_xlsx"]

#: Rows below the header that one Excel sheet holds (1,048,576 in all).
EXCEL_MAX_ROWS = 1_048_575
_MAX_WIDTH = 60


def rows_note(total: int, *, max_rows: int = EXCEL_MAX_ROWS) -> str | None:
    """Why the rows are not in the workbook (``None`` when they fit)."""
    if total <= max_rows:
        return None
    return (
        f"The period has {total:,} expenses, more than Excel's limit of {max_rows:,} rows per "
        "sheet, so this workbook holds the breakdowns only. Export the rows as CSV or Parquet."
    )


@dataclass(frozen=True)
class _Col:
    name: str
    header: str
    kind: str  # text, int, money, pct, date, datetime, month


class _Book:
    """Formats cached by kind and currency, and the width each column needs."""

    def __init__(self, workbook: Workbook) -> None:
        self.wb = workbook
        self._formats: dict[tuple[str, str, bool], Format] = {}

    def fmt(self, kind: str, currency: str = "", *, bold: bool = False) -> Format:
        key = (kind, currency if kind == "money" else "", bold)
        if key not in self._formats:
            props: dict[str, Any] = {"bold": bold}
            if kind == "money":
                places = currency_decimals(currency)
                number = "#,##0" + ("." + "0" * places if places else "")
                symbol = currency_symbol(currency) or currency
                props["num_format"] = f"[${symbol}]{number};-[${symbol}]{number}"
            elif kind == "pct":
                props["num_format"] = "+0.0%;-0.0%;0.0%"
            elif kind == "share":
                props["num_format"] = "0.0%"
            elif kind == "int":
                props["num_format"] = "#,##0"
            elif kind == "date":
                props["num_format"] = "yyyy-mm-dd"
            elif kind == "month":
                props["num_format"] = "mmm yyyy"
            elif kind == "datetime":
                props["num_format"] = "yyyy-mm-dd hh:mm:ss"
            self._formats[key] = self.wb.add_format(props)
        return self._formats[key]


def _naive(value: Any) -> Any:
    """A tz-aware datetime as the naive local time Excel stores (already in the report's zone)."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


def _shown(value: Any, kind: str) -> int:
    if value is None:
        return 1
    if kind == "money":
        return len(f"{value:,.2f}") + 4
    if kind in ("pct", "share"):
        return 7
    if kind == "datetime":
        return 19
    if kind in ("date", "month"):
        return 10
    if kind == "int":
        return len(f"{value:,}")
    return len(str(value))


def _write(ws: Worksheet, book: _Book, row: int, col: int, value: Any, c: _Col, currency: str,
           *, bold: bool = False) -> None:  # fmt: skip
    fmt = book.fmt(c.kind, currency, bold=bold)
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif c.kind == "text":
        ws.write_string(row, col, neutralise(str(value)), fmt)
    elif c.kind in ("date", "month", "datetime"):
        ws.write_datetime(row, col, _naive(value), fmt)
    else:
        ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)


def _header(ws: Worksheet, book: _Book, cols: Sequence[_Col]) -> list[int]:
    bold = book.wb.add_format({"bold": True, "bottom": 1})
    for i, c in enumerate(cols):
        ws.write_string(0, i, c.header, bold)
    ws.freeze_panes(1, 0)
    return [len(c.header) + 2 for c in cols]


def _fit(ws: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths):
        ws.set_column(i, i, min(width + 1, _MAX_WIDTH))


def _table(book: _Book, name: str, frame: pl.DataFrame, cols: Sequence[_Col], *,
           totals_by_currency: bool = False, totals: Sequence[str] = ()) -> None:  # fmt: skip
    """A sheet of ``frame``'s rows; per-currency ``Total`` rows, or one row summing ``totals``."""
    ws = book.wb.add_worksheet(name)
    widths = _header(ws, book, cols)
    row = 1
    blocks = (
        frame.partition_by("currency", maintain_order=True)
        if totals_by_currency and frame.height
        else [frame]
    )
    for block in blocks:
        first = row
        for record in block.iter_rows(named=True):
            currency = record.get("currency") or ""
            for i, c in enumerate(cols):
                _write(ws, book, row, i, record[c.name], c, currency)
                widths[i] = max(widths[i], _shown(record[c.name], c.kind))
            row += 1
        if totals_by_currency and block.height:
            currency = block["currency"][0]
            _totals_row(ws, book, row, first, cols, block, currency, f"Total {currency}")
            row += 1
    if totals and not totals_by_currency:
        _totals_row(ws, book, row, 1, cols, frame, "", "Total", only=totals)
        row += 1
    ws.autofilter(0, 0, max(row - 1, 0), len(cols) - 1)
    _fit(ws, widths)


def _totals_row(ws: Worksheet, book: _Book, row: int, first: int, cols: Sequence[_Col],
                block: pl.DataFrame, currency: str, label: str,
                only: Sequence[str] = ("total", "count")) -> None:  # fmt: skip
    ws.write_string(row, 0, label, book.fmt("text", bold=True))
    for i, c in enumerate(cols):
        if c.name not in only or c.kind not in ("money", "int") or i == 0:
            continue
        exact = sum(block[c.name].drop_nulls().to_list(), Decimal(0) if c.kind == "money" else 0)
        span = f"{xl_rowcol_to_cell(first, i)}:{xl_rowcol_to_cell(row - 1, i)}"
        value = float(exact) if isinstance(exact, Decimal) else exact
        ws.write_formula(row, i, f"=SUM({span})", book.fmt(c.kind, currency, bold=True), value)


def _summary(book: _Book, report: Report, note: str | None) -> None:
    ws = book.wb.add_worksheet("Summary")
    bold = book.fmt("text", bold=True)
    ws.write_string(
        0, 0, "Spendlens finance report", book.wb.add_format({"bold": True, "size": 14})
    )
    lines: list[tuple[str, Any, str]] = [
        ("Period", report.period.label(), "text"),
        ("From", report.period.start, "date"),
        ("To", report.period.end, "date"),
        ("Time zone", report.tz, "text"),
        ("Users", "all users", "text"),
        ("Soft-deleted expenses", "excluded (listed on the Soft-deleted sheet)", "text"),
        ("Generated (UTC)", report.generated_at.astimezone(dt.UTC), "datetime"),
        ("Expenses", report.expenses, "int"),
        ("Spenders", report.spenders, "int"),
        ("Currencies", len(report.currencies), "int"),
        ("Soft-deleted in the period", report.deleted.height, "int"),
        ("Left out as unusable", report.left_out.notice() or "none", "text"),
        ("Reconciled", "yes: category and monthly totals equal the grand totals"
         if report.reconciled else "NO: see the Reconciliation sheet", "text"),
    ]  # fmt: skip
    for i, (label, value, kind) in enumerate(lines, start=2):
        ws.write_string(i, 0, label, bold)
        _write(ws, book, i, 1, value, _Col(label, label, kind), "")
    if note:
        ws.write_string(len(lines) + 3, 0, "Rows", bold)
        ws.write_string(len(lines) + 3, 1, note)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 60)


def _rows(book: _Book, chunks: Iterable[pl.DataFrame]) -> int:
    """The expense rows, written cell by cell with the formats looked up once per currency."""
    names = [c.name for c in _ROWS]
    ws = book.wb.add_worksheet("Rows")
    widths = _header(ws, book, _ROWS)
    when, text = book.fmt("datetime"), book.fmt("text")
    row = 1
    for chunk in chunks:
        local = neutralise_frame(
            chunk.select(names).with_columns(
                pl.col("date").dt.replace_time_zone(None), pl.col("amount").cast(pl.Float64)
            )
        )
        for i, c in enumerate(_ROWS):
            if c.kind == "text" and local.height:
                widths[i] = max(widths[i], int(local[c.name].str.len_chars().max() or 0))
        for record in local.iter_rows():
            ws.write_datetime(row, 0, record[0], when)
            ws.write_number(row, 3, record[3], book.fmt("money", record[4]))
            for i in (1, 2, 4, 5, 6, 7):
                if record[i] is None:
                    ws.write_blank(row, i, None, text)
                else:
                    ws.write_string(row, i, record[i], text)
            row += 1
    widths[0], widths[3] = 20, max(widths[3], 16)
    ws.autofilter(0, 0, max(row - 1, 0), len(_ROWS) - 1)
    _fit(ws, widths)
    return row - 1


_ROWS = [
    _Col("date", "Date", "datetime"), _Col("user", "User", "text"),
    _Col("category", "Category", "text"), _Col("amount", "Amount", "money"),
    _Col("currency", "Currency", "text"), _Col("description", "Description", "text"),
    _Col("expense_id", "Expense id", "text"), _Col("user_id", "User id", "text"),
]  # fmt: skip
_CURRENCY = [
    _Col("currency", "Currency", "text"), _Col("total", "Total", "money"),
    _Col("count", "Expenses", "int"), _Col("average", "Average per expense", "money"),
    _Col("largest", "Largest expense", "money"), _Col("spenders", "Spenders", "int"),
    _Col("previous", "Previous period", "money"), _Col("vs_previous", "vs previous", "pct"),
    _Col("last_year", "Same period last year", "money"),
    _Col("vs_last_year", "vs last year", "pct"),
]  # fmt: skip
_CATEGORY = [
    _Col("category", "Category", "text"), _Col("currency", "Currency", "text"),
    _Col("total", "Total", "money"), _Col("count", "Expenses", "int"),
    _Col("average", "Average per expense", "money"), _Col("share", "Share", "share"),
    _Col("previous", "Previous period", "money"), _Col("vs_previous", "vs previous", "pct"),
    _Col("last_year", "Same period last year", "money"),
    _Col("vs_last_year", "vs last year", "pct"),
]  # fmt: skip
_MONTH = [
    _Col("month", "Month", "month"), _Col("currency", "Currency", "text"),
    _Col("total", "Total", "money"), _Col("count", "Expenses", "int"),
]  # fmt: skip
_TOP = [
    _Col("place", "Place", "int"), _Col("currency", "Currency", "text"),
    _Col("user", "User", "text"), _Col("total", "Total", "money"),
    _Col("count", "Expenses", "int"), _Col("share", "Share of currency total", "share"),
    _Col("user_id", "User id", "text"),
]  # fmt: skip
_RECONCILIATION = [
    _Col("currency", "Currency", "text"), _Col("total", "Grand total", "money"),
    _Col("categories", "Sum of categories", "money"), _Col("months", "Sum of months", "money"),
    _Col("difference", "Difference", "money"), _Col("deleted_count", "Soft-deleted", "int"),
    _Col("deleted_total", "Soft-deleted amount", "money"),
]  # fmt: skip
_DELETED = [
    _Col("date", "Date", "datetime"), _Col("deleted_at", "Deleted at", "datetime"),
    _Col("user", "User", "text"), _Col("category", "Category", "text"),
    _Col("amount", "Amount", "money"), _Col("currency", "Currency", "text"),
    _Col("description", "Description", "text"), _Col("expense_id", "Expense id", "text"),
    _Col("user_id", "User id", "text"),
]  # fmt: skip
_EXCLUDED = [
    _Col("reason", "Left out because", "text"), _Col("date", "Date", "datetime"),
    _Col("user", "User", "text"), _Col("category", "Category as stored", "text"),
    _Col("amount", "Amount as stored", "text"), _Col("currency", "Currency as stored", "text"),
    _Col("description", "Description", "text"), _Col("expense_id", "Expense id", "text"),
    _Col("user_id", "User id", "text"),
]  # fmt: skip


def write_xlsx(
    report: Report,
    out: BinaryIO | str,
    *,
    rows: Iterable[pl.DataFrame] | None = None,
    row_total: int = 0,
    max_rows: int = EXCEL_MAX_ROWS,
) -> int:
    """Write the workbook; return how many expense rows it holds (0 without or beyond the limit)."""
    note = rows_note(row_total, max_rows=max_rows) if rows is not None else None
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True})
    book = _Book(workbook)
    try:
        _summary(book, report, note)
        _table(book, "By currency", report.by_currency, _CURRENCY,
               totals=("count", "spenders"))  # fmt: skip
        _table(book, "By category", report.by_category, _CATEGORY, totals_by_currency=True)
        by_month = report.by_month.sort(["currency", "month"])
        _table(book, "By month", by_month, _MONTH, totals_by_currency=True)
        _table(book, "Top spenders", report.top_spenders, _TOP)
        _table(book, "Reconciliation", report.reconciliation, _RECONCILIATION)
        _table(book, "Soft-deleted", report.deleted, _DELETED)
        _table(book, "Left out", report.excluded, _EXCLUDED)
        written = _rows(book, rows) if rows is not None and note is None else 0
    finally:
        workbook.close()
    return written
