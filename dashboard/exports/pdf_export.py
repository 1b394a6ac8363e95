"""The report as a paginated PDF statement (fpdf2): title, period, filters, KPIs, tables, charts.

Every page has the report's name in its header and "Page n of N" in its footer; tables repeat their
header row after a page break. Text uses DejaVu Sans (shipped with matplotlib), so currency symbols
and accented names print as they are. Charts are PNG images from :mod:`.pdf_charts`. The
soft-deleted list and the list of expenses left out as unusable are capped at :data:`DELETED_ROWS`
rows each (the workbook has them all).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import BinaryIO

import polars as pl
from fpdf import FPDF
from fpdf.fonts import FontFace

from dashboard.core.display import format_pct, money_cell
from dashboard.exports.pdf_charts import FONT_DIR, currency_chart
from dashboard.views.finance import Report

__all__ = ["DELETED_ROWS", "write_pdf"]

DELETED_ROWS = 200
_FONT = "DejaVu"
_HEAD = FontFace(emphasis="BOLD", fill_color=(230, 236, 245))


class _Statement(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.statement_title = title
        self.add_font(_FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(_FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 14, 14)
        self.alias_nb_pages()

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font(_FONT, "", 8)
            self.set_text_color(110)
            self.cell(0, 5, self.statement_title, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FONT, "", 8)
        self.set_text_color(110)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0)


_money = money_cell
_pct = format_pct


def _heading(pdf: _Statement, text: str) -> None:
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(_FONT, "B", 11)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 8)


def _table(pdf: _Statement, headers: Sequence[str], rows: Sequence[Sequence[str]],
           widths: Sequence[float], align: str) -> None:  # fmt: skip
    """A table; ``align`` has one letter per column (L or R)."""
    pdf.set_font(_FONT, "", 8)
    with pdf.table(
        col_widths=tuple(widths),
        text_align=tuple("RIGHT" if a == "R" else "LEFT" for a in align),
        headings_style=_HEAD,
        line_height=5,
        padding=1,
        first_row_as_headings=True,
        repeat_headings=1,
    ) as table:
        for values in [headers, *rows]:
            line = table.row()
            for value in values:
                line.cell(value)


def _summary(pdf: _Statement, report: Report) -> None:
    p = report.period
    pdf.add_page()
    pdf.set_font(_FONT, "B", 16)
    pdf.cell(0, 9, f"Finance report: {p.label()}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, "", 9)
    generated = report.generated_at.astimezone(dt.UTC)
    for line in (
        f"Period: {p.days_label()} ({p.tz}; days are local calendar days there)",
        "Filters: all users, all categories, all currencies; soft-deleted expenses excluded",
        f"Compared with: previous {p.previous().days_label()}; last year {p.year_before().days_label()}",
        f"Generated: {generated:%Y-%m-%d %H:%M} UTC",
    ):
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Summary")
    status = "yes" if report.reconciled else "NO: see Reconciliation"
    _table(
        pdf,
        ["Expenses", "Spenders", "Currencies", "Soft-deleted", "Left out", "Reconciled"],
        [[f"{report.expenses:,}", f"{report.spenders:,}", str(len(report.currencies)),
          f"{report.deleted.height:,}", f"{report.left_out.total:,}", status]],
        [28, 28, 28, 28, 28, 42],
        "RRRRRL",
    )  # fmt: skip
    notice = report.left_out.notice()
    if notice:
        pdf.multi_cell(0, 4, f"{notice} Their data is unusable; they are listed under "
                       "Reconciliation.", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    _heading(pdf, "Totals by currency")
    rows = [
        [r["currency"], _money(r["total"], r["currency"]), f"{r['count']:,}",
         _money(r["average"], r["currency"]), _money(r["previous"], r["currency"]),
         _pct(r["vs_previous"]), _money(r["last_year"], r["currency"]), _pct(r["vs_last_year"])]
        for r in report.by_currency.iter_rows(named=True)
    ]  # fmt: skip
    headers = ["Currency", "Total", "Expenses", "Average", "Previous", "vs prev.", "Last year",
               "vs LY"]  # fmt: skip
    _table(pdf, headers, rows, [19, 29, 18, 22, 29, 17, 29, 17], "LRRRRRRR")


def _charts(pdf: _Statement, report: Report) -> None:
    _heading(pdf, "Charts")
    for currency in report.currencies:
        cats = report.by_category.filter(pl.col("currency") == currency)
        months = report.by_month.filter(pl.col("currency") == currency)
        png = currency_chart(cats, months, currency=currency)
        height = pdf.epw * 2.7 / 7.6
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.image(png, w=pdf.epw, h=height)
        pdf.ln(2)


def _breakdowns(pdf: _Statement, report: Report) -> None:
    _heading(pdf, "By category")
    rows = [
        [r["category"], r["currency"], _money(r["total"], r["currency"]), f"{r['count']:,}",
         format_pct(r["share"], signed=False), _pct(r["vs_previous"]),
         _pct(r["vs_last_year"])]
        for r in report.by_category.iter_rows(named=True)
    ]  # fmt: skip
    headers = ["Category", "Currency", "Total", "Expenses", "Share", "vs prev.", "vs LY"]
    _table(pdf, headers, rows, [36, 18, 36, 22, 20, 25, 25], "LLRRRRR")
    _heading(pdf, "By month")
    rows = [
        [f"{r['month']:%b %Y}", r["currency"], _money(r["total"], r["currency"]), f"{r['count']:,}"]
        for r in report.by_month.sort(["currency", "month"]).iter_rows(named=True)
    ]
    _table(pdf, ["Month", "Currency", "Total", "Expenses"], rows, [40, 30, 50, 30], "LLRR")
    _heading(pdf, "Top spenders")
    rows = [
        [str(r["place"]), r["currency"], r["user"] or r["user_id"], _money(r["total"], r["currency"]),
         f"{r['count']:,}", "—" if r["share"] is None else f"{r['share']:.1%}"]
        for r in report.top_spenders.iter_rows(named=True)
    ]  # fmt: skip
    headers = ["#", "Currency", "User", "Total", "Expenses", "Share"]
    _table(pdf, headers, rows, [10, 20, 60, 40, 25, 27], "RLLRRR")


def _reconciliation(pdf: _Statement, report: Report) -> None:
    _heading(pdf, "Reconciliation")
    pdf.multi_cell(0, 4, "Grand totals come from their own query; the category and month totals "
                   "must add up to them exactly (decimal arithmetic on whole cents). Soft-deleted "
                   "expenses are excluded from every total and listed below.",
                   new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(1)
    rows = [
        [r["currency"], _money(r["total"], r["currency"]), _money(r["categories"], r["currency"]),
         _money(r["months"], r["currency"]), _money(r["difference"], r["currency"]),
         f"{r['deleted_count']:,}", _money(r["deleted_total"], r["currency"])]
        for r in report.reconciliation.iter_rows(named=True)
    ]  # fmt: skip
    headers = ["Currency", "Grand total", "Categories", "Months", "Difference", "Deleted",
               "Deleted amount"]  # fmt: skip
    _table(pdf, headers, rows, [18, 30, 30, 30, 22, 18, 34], "LRRRRRR")
    deleted = report.deleted
    _heading(pdf, f"Soft-deleted expenses ({deleted.height:,})")
    if deleted.height > DELETED_ROWS:
        pdf.cell(0, 5, f"The first {DELETED_ROWS} by date; the Excel export lists all of them.",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    rows = [
        [f"{r['date']:%Y-%m-%d %H:%M}", f"{r['deleted_at']:%Y-%m-%d}", r["user"] or r["user_id"],
         r["category"], _money(r["amount"], r["currency"]), (r["description"] or "")[:40]]
        for r in deleted.head(DELETED_ROWS).iter_rows(named=True)
    ]  # fmt: skip
    if rows:
        headers = ["Date", "Deleted", "User", "Category", "Amount", "Description"]
        _table(pdf, headers, rows, [26, 20, 32, 24, 26, 54], "LLLLRL")
    _excluded(pdf, report)


def _excluded(pdf: _Statement, report: Report) -> None:
    """The expenses left out of every total as unusable, with their values as stored."""
    excluded = report.excluded
    _heading(pdf, f"Left out as unusable ({report.left_out.total:,})")
    if excluded.height > DELETED_ROWS:
        pdf.cell(0, 5, f"The first {DELETED_ROWS}; the Excel export lists more.",
                 new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    rows = [
        [r["reason"], "—" if r["date"] is None else f"{r['date']:%Y-%m-%d %H:%M}",
         r["user"] or r["user_id"] or "—", (r["category"] or "—")[:20], (r["amount"] or "—")[:16],
         (r["currency"] or "—")[:8], r["expense_id"]]
        for r in excluded.head(DELETED_ROWS).iter_rows(named=True)
    ]  # fmt: skip
    if rows:
        headers = ["Why", "Date", "User", "Category", "Amount", "Currency", "Expense id"]
        _table(pdf, headers, rows, [34, 26, 26, 24, 20, 16, 36], "LLLLRLL")


def write_pdf(report: Report, out: BinaryIO) -> int:
    """Write the statement to ``out``; return its number of pages."""
    pdf = _Statement(f"Spendlens finance report · {report.period.label()} · {report.tz}")
    pdf.set_title(f"Finance report {report.period.spec}")
    pdf.set_creator("Spendlens")
    _summary(pdf, report)
    if report.expenses:
        _charts(pdf, report)
    _breakdowns(pdf, report)
    _reconciliation(pdf, report)
    out.write(bytes(pdf.output()))
    return pdf.pages_count
