"""The format registry: one entry adds a format to the Finance page, the CLI and, when it says so,
the Transactions page; each surface offers exactly the registry's formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pytest

from dashboard.cli.commands import main
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from dashboard.exports import FORMATS, ExportFormat, ExportJob, offered
from dashboard.exports.write import export_transactions
from dashboard.store import connect
from queries.transactions import TransactionFilter
from tests.apptest import login_as
from tests.factories import expense, utc
from tests.finance_data import seed_finance


def _write_tsv(job: ExportJob, out: BinaryIO) -> int:
    rows = 0
    for i, chunk in enumerate(job.rows()):
        chunk.select(pl.all().cast(pl.String)).write_csv(out, separator="\t", include_header=i == 0)
        rows += chunk.height
    return rows


TSV = ExportFormat(
    "tsv",
    "TSV (rows)",
    "text/tab-separated-values",
    _write_tsv,
    reads_rows=True,
    needs_report=False,
    surfaces=frozenset({"finance", "cli", "transactions"}),
)


@pytest.fixture
def with_tsv(monkeypatch: pytest.MonkeyPatch) -> ExportFormat:
    monkeypatch.setitem(FORMATS, "tsv", TSV)
    return TSV


def test_each_surface_offers_the_registrys_formats() -> None:
    assert [f.key for f in offered("finance")] == ["csv", "parquet", "xlsx", "pdf"]
    assert [f.key for f in offered("cli")] == ["csv", "parquet", "xlsx", "pdf"]
    assert [f.key for f in offered("transactions")] == ["csv"]
    assert [f.key for f in FORMATS.values() if f.needs_report] == ["xlsx", "pdf"]
    assert [f.key for f in FORMATS.values() if f.bom] == ["csv"]


def test_a_new_entry_reaches_the_cli(
    with_tsv: ExportFormat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_REPORT_TIMEZONE"):
        monkeypatch.delenv(var, raising=False)
    with connect(f"embedded://{tmp_path / 'db'}") as store:
        seed_finance(store)
    out = tmp_path / "report.tsv"
    argv = ["report", "--uri", f"embedded://{tmp_path / 'db'}", "--period", "2025-10",
            "--format", "tsv", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    written = pl.read_csv(out, separator="\t")
    assert written.height > 200
    assert written.columns[:2] == ["date", "user"]


def test_a_new_entry_reaches_the_finance_page_and_the_transactions_page(
    with_tsv: ExportFormat, new_app
) -> None:
    at = login_as(new_app, "admin").switch_page("pages/finance/reports.py").run()
    at.selectbox(key="fr_month").set_value("2026-05").run()  # the seeded data's last month
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["CSV (rows)", "Parquet (rows)", "Excel", "PDF", "TSV (rows)"]
    at = login_as(new_app, "user").switch_page("pages/spending/transactions.py").run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Export this view (CSV)", "Export this view (TSV)"]


def test_the_transactions_export_writes_the_view_and_refuses_report_formats(
    with_tsv: ExportFormat, runner: Runner, la_user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses",
        [expense(la_user, utc(2026, 3, 2, 17), 12.5), expense(la_user, utc(2026, 3, 3, 7), 3.0)],
    )
    view = TransactionFilter(
        period=Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), la_user.timezone)
    )
    data = export_transactions(runner, la_user, view, fmt="csv")
    assert data.startswith("\ufeff".encode())
    rows = pl.read_csv(data).select("date", "amount").rows()
    # Newest first, in Los Angeles time (PST, UTC-8, before the 8 March change).
    assert rows == [("2026-03-02T23:00:00-08:00", 3.0), ("2026-03-02T09:00:00-08:00", 12.5)]
    assert export_transactions(runner, la_user, view, fmt="tsv").decode().count("\n") == 3
    with pytest.raises(ValueError, match="pdf is not offered for transactions"):
        export_transactions(runner, la_user, view, fmt="pdf")
