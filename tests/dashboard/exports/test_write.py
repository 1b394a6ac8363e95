"""Every export format read back: CSV and Parquet with Polars, XLSX with openpyxl, PDF with pypdf;
formula neutralisation, chunking with progress, Excel's row limit and the audit entries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pypdf
import pytest

from dashboard.core.money import format_money
from dashboard.core.periods import parse_period
from dashboard.data.runner import Runner
from dashboard.exports.write import ExportResult, export_bytes, export_file, export_report
from dashboard.store import Store
from dashboard.views.finance import Report, build_report
from tests.finance_data import FORMULAS, finance_user, runner_for, seed_finance

TZ = "Europe/Paris"
COLUMNS = ["date", "user", "category", "amount", "currency", "description", "expense_id", "user_id"]


@pytest.fixture
def runner(store: Store) -> Runner:
    seed_finance(store)
    return runner_for(store)


@pytest.fixture
def report(runner: Runner) -> Report:
    return build_report(runner, finance_user(), parse_period("2025-10", tz=TZ))


def _totals(frame: pl.DataFrame) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for currency, amount in frame.select("currency", "amount").iter_rows():
        out[currency] = out.get(currency, Decimal(0)) + Decimal(str(amount))
    return out


def _report_totals(report: Report) -> dict[str, Decimal]:
    return dict(report.by_currency.select("currency", "total").iter_rows())


def test_csv_rows_read_back_with_polars(runner: Runner, report: Report) -> None:
    data = export_bytes(runner, finance_user(), report, fmt="csv", bom=True)
    assert data.startswith(b"\xef\xbb\xbf")
    frame = pl.read_csv(data[3:], schema_overrides={"amount": pl.String})
    assert frame.columns == COLUMNS
    assert frame.height == report.expenses
    assert _totals(frame) == _report_totals(report)  # exact, as decimal text
    assert frame["amount"].str.contains(r"^\d+\.\d\d$").all()
    dates = frame["date"].str.to_datetime("%Y-%m-%dT%H:%M:%S%.3f%:z", time_zone=TZ)
    assert dates.is_sorted()
    assert set(frame["date"].str.slice(-6)) == {"+02:00", "+01:00"}  # CEST, then CET
    assert frame["expense_id"].str.contains(r"^[0-9a-f]{24}$").all()
    assert set(frame["user"]) == {"alice", "bob", "'@evil"}
    no_bom = export_bytes(runner, finance_user(), report, fmt="csv")
    assert no_bom.startswith(b"date,user,")


def test_csv_cells_that_could_run_as_formulas_are_neutralised(
    runner: Runner, report: Report
) -> None:
    frame = pl.read_csv(export_bytes(runner, finance_user(), report, fmt="csv"))
    for text in frame["description"].to_list() + frame["user"].to_list():
        assert not text.startswith(("=", "+", "-", "@", "\t", "\r")), text
    shown = set(frame["description"])
    assert {"'" + f for f in FORMULAS} & shown
    assert "Item 1 café" in shown


def test_rows_stream_in_chunks_with_progress_and_the_same_result(
    runner: Runner, report: Report
) -> None:
    calls: list[tuple[int, int | None]] = []
    small = io.BytesIO()
    export_report(
        runner, finance_user(), report, fmt="csv", out=small, chunk_rows=25,
        progress=lambda _label, done, total: calls.append((done, total)),
    )  # fmt: skip
    whole = export_bytes(runner, finance_user(), report, fmt="csv")
    assert small.getvalue() == whole
    assert len(calls) > 5
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert calls[-1] == (report.expenses, report.expenses)


def test_parquet_is_typed(runner: Runner, report: Report) -> None:
    data = export_bytes(runner, finance_user(), report, fmt="parquet")
    frame = pl.read_parquet(data)
    assert frame.columns == COLUMNS
    assert frame.schema["date"] == pl.Datetime("ms", TZ)
    assert frame.schema["amount"] == pl.Decimal(18, 2)
    assert frame.height == report.expenses
    totals = frame.group_by("currency").agg(pl.col("amount").sum())
    assert dict(totals.iter_rows()) == _report_totals(report)
    assert set(FORMULAS) & set(frame["description"])  # stored as they are: no spreadsheet here


def test_an_empty_period_still_has_a_header(runner: Runner) -> None:
    empty = parse_period("2019-01", tz=TZ)
    frame = pl.read_csv(export_bytes(runner, finance_user(), empty, fmt="csv"))
    assert frame.columns == COLUMNS and frame.height == 0
    assert pl.read_parquet(export_bytes(runner, finance_user(), empty, fmt="parquet")).height == 0


def _book(data: bytes, *, values: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=values)


def test_xlsx_has_a_sheet_per_breakdown_with_real_types_and_formats(
    runner: Runner, report: Report
) -> None:
    data = export_bytes(runner, finance_user(), report, fmt="xlsx")
    book = _book(data)
    assert book.sheetnames == ["Summary", "By currency", "By category", "By month",
                               "Top spenders", "Reconciliation", "Soft-deleted", "Left out", "Rows"]  # fmt: skip
    cats = book["By category"]
    assert cats.freeze_panes == "A2"
    assert all(cell.font.b for cell in cats[1])
    assert cats.auto_filter.ref
    assert cats.column_dimensions["A"].width > 8
    header = [c.value for c in cats[1]]
    total_col = header.index("Total") + 1
    usd_cells = [row for row in cats.iter_rows(min_row=2) if row[1].value == "USD"]
    assert "[$$]" in usd_cells[0][total_col - 1].number_format
    eur_cells = [row for row in cats.iter_rows(min_row=2) if row[1].value == "EUR"]
    assert "[$€]" in eur_cells[0][total_col - 1].number_format
    # Each currency's block ends with its totals row: a SUM whose stored value is the exact total.
    values = _book(data, values=True)["By category"]
    totals = {
        row[0].value: row[total_col - 1].value
        for row in values.iter_rows(min_row=2)
        if str(row[0].value).startswith("Total ")
    }
    assert totals == {f"Total {c}": float(t) for c, t in _report_totals(report).items()}
    labels = [row[0].value for row in cats.iter_rows(min_row=2)]
    sums = [cats.cell(row=i + 2, column=total_col).value for i, v in enumerate(labels)
            if str(v).startswith("Total ")]  # fmt: skip
    assert all(str(s).startswith("=SUM(") for s in sums)
    month = book["By month"]["A2"]
    assert month.is_date and month.value == dt.datetime(2025, 10, 1)
    assert month.number_format == "mmm yyyy"


def test_xlsx_rows_sheet_holds_naive_local_dates_and_neutralised_text(
    runner: Runner, report: Report
) -> None:
    book = _book(export_bytes(runner, finance_user(), report, fmt="xlsx"))
    rows = book["Rows"]
    assert [c.value for c in rows[1]] == ["Date", "User", "Category", "Amount", "Currency",
                                          "Description", "Expense id", "User id"]  # fmt: skip
    assert rows.max_row - 1 == report.expenses
    first = rows["A2"]
    assert first.is_date and first.value.tzinfo is None
    assert first.value.date() == dt.date(2025, 10, 1)  # local date in Paris
    assert rows["D2"].data_type == "n"
    texts = [c.value for row in rows.iter_rows(min_row=2, min_col=2, max_col=6) for c in row
             if isinstance(c.value, str)]  # fmt: skip
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert "'@evil" in texts
    assert not [c for row in rows.iter_rows() for c in row if c.data_type == "f"]
    summary = book["Summary"]
    assert summary["B3"].value == "October 2025"


def test_xlsx_beyond_the_row_limit_offers_csv_or_parquet(runner: Runner, report: Report) -> None:
    out = io.BytesIO()
    result = export_report(runner, finance_user(), report, fmt="xlsx", out=out, max_xlsx_rows=10)
    assert result.rows == 0
    assert result.note and "CSV or Parquet" in result.note
    assert f"{report.expenses:,}" in result.note
    book = _book(out.getvalue())
    assert "Rows" not in book.sheetnames
    summary_text = " ".join(str(c.value) for row in book["Summary"].iter_rows() for c in row)
    assert "CSV or Parquet" in summary_text


def test_pdf_statement_text_pages_and_charts(runner: Runner, report: Report) -> None:
    pdf = pypdf.PdfReader(io.BytesIO(export_bytes(runner, finance_user(), report, fmt="pdf")))
    pages = len(pdf.pages)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Finance report: October 2025" in text
    assert "01 Oct 2025 – 31 Oct 2025" in text and "Europe/Paris" in text
    assert "soft-deleted expenses excluded" in text
    for currency, total in _report_totals(report).items():
        assert format_money(total, currency) in text
    assert "Reconciliation" in text and "Top spenders" in text
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    assert sum(len(page.images) for page in pdf.pages) == len(report.currencies)
    assert "@evil" in text


def test_every_export_is_audited(runner: Runner, report: Report, store: Store) -> None:
    for fmt in ("csv", "parquet", "xlsx", "pdf"):
        export_bytes(runner, finance_user(), report, fmt=fmt)
    entries = store.find("audit_log", {"event": "report.export"}, sort=[("at", 1)])
    assert [e["details"]["format"] for e in entries] == ["csv", "parquet", "xlsx", "pdf"]
    for entry in entries:
        assert entry["actor"] == "fin"
        assert entry["target"] == "2025-10"
        assert entry["at"].tzinfo is not None
        assert entry["details"]["report"] == "finance.period"
        assert entry["details"]["filters"]["period"] == "2025-10"
        assert entry["details"]["filters"]["timezone"] == TZ
    rows = [e["details"]["rows"] for e in entries]
    assert rows == [report.expenses, report.expenses, report.expenses, 0]


def test_export_file_writes_whole_files_or_nothing(
    runner: Runner, report: Report, tmp_path: Path
) -> None:
    path = tmp_path / "report.csv"
    result = export_file(runner, finance_user(), report, fmt="csv", path=path)
    assert result == ExportResult(format="csv", rows=report.expenses)
    assert pl.read_csv(path).height == report.expenses
    with pytest.raises(ValueError, match="unknown export format"):
        export_file(runner, finance_user(), report, fmt="docx", path=tmp_path / "x.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    with pytest.raises(ValueError, match="does not exist"):
        export_file(runner, finance_user(), report, fmt="csv", path=tmp_path / "no" / "x.csv")
