"""Every export format over malformed expenses: the rows and totals of the usable expenses only,
and, in the documents with a reconciliation (XLSX, PDF), the unusable ones counted and listed.
The data and its hand-worked totals are :func:`tests.finance_data.seed_malformed`'s."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import polars as pl
import pypdf
import pytest

from dashboard.core.periods import month_period
from dashboard.data.runner import Runner
from dashboard.exports.write import export_bytes
from dashboard.store import Store
from dashboard.views.finance import Report, build_report
from tests.finance_data import finance_user, runner_for, seed_malformed

#: Usable expenses and their totals, by hand (USD 12.34 + 0.10 + 0.20; EUR 5.00).
TOTALS = {"USD": Decimal("12.64"), "EUR": Decimal("5.00")}


@pytest.fixture
def runner(store: Store) -> Runner:
    seed_malformed(store)
    return runner_for(store)


@pytest.fixture
def report(runner: Runner) -> Report:
    return build_report(runner, finance_user(), month_period(dt.date(2025, 10, 1), "UTC"))


def _totals(frame: pl.DataFrame) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for currency, amount in frame.select("currency", pl.col("amount").cast(pl.String)).iter_rows():
        out[currency] = out.get(currency, Decimal(0)) + Decimal(amount)
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_row_files_hold_only_the_usable_expenses(runner: Runner, report: Report, fmt: str) -> None:
    data = export_bytes(runner, finance_user(), report, fmt=fmt)
    frame = (
        pl.read_csv(data, schema_overrides={"amount": pl.String})
        if fmt == "csv"
        else pl.read_parquet(data)
    )
    assert frame.height == 4
    assert _totals(frame) == TOTALS


def test_the_workbook_lists_what_was_left_out(runner: Runner, report: Report) -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(export_bytes(runner, finance_user(), report, fmt="xlsx"))
    )
    sheet = book["Left out"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 8
    assert sorted(r[4] for r in rows) == sorted(
        ["10", "10", "NaN", "Infinity", "1e+308", "3", "4", "6"]
    )
    summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r[0]}
    assert summary["Left out as unusable"] == (
        "2 expenses without a valid date, 3 expenses with an invalid amount, 1 expense without a "
        "category, 1 expense without a currency and 1 expense without an owner were left out."
    )
    assert sum(r[0] == "Total USD" for r in book["By category"].iter_rows(values_only=True)) == 1


def test_the_pdf_counts_and_lists_what_was_left_out(runner: Runner, report: Report) -> None:
    pdf = pypdf.PdfReader(io.BytesIO(export_bytes(runner, finance_user(), report, fmt="pdf")))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Left out as unusable (8)" in text
    for shown in ("NaN", "Infinity", "1e+308", "without a currency"):
        assert shown in text
    assert "$12.64" in text
