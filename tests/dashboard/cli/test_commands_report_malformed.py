"""``python -m dashboard report`` over malformed expenses: every format is written, none crashes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pypdf
import pytest

from dashboard.cli.commands import main
from tests.finance_data import seed_malformed


@pytest.fixture
def uri(report_store) -> str:
    return report_store(seed_malformed)


def test_every_format_is_written_without_the_unusable_expenses(uri: str, tmp_path: Path) -> None:
    for fmt in ("csv", "xlsx", "pdf", "parquet"):
        out = tmp_path / f"report.{fmt}"
        argv = ["report", "--uri", uri, "--period", "2025-10", "--format", fmt, "--out", str(out),
                "--timezone", "UTC", "--quiet"]  # fmt: skip
        assert main(argv) == 0, fmt
    assert pl.read_csv(tmp_path / "report.csv").height == 4  # the usable ones, by hand
    assert pl.read_parquet(tmp_path / "report.parquet").height == 4
    text = " ".join(pypdf.PdfReader(tmp_path / "report.pdf").pages[0].extract_text().split())
    assert "2 expenses without a valid date, 3 expenses with an invalid amount" in text
