"""``python -m dashboard report``: every format for cron, the settings' zone, and one-line errors."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pypdf
import pytest

from dashboard.cli.commands import main
from dashboard.store import Store, connect
from tests.finance_data import seed_finance

ROOT = Path(__file__).resolve().parents[3]


def _finance_with_staff(store: Store) -> None:
    seed_finance(store)
    store.insert_many(
        "users",
        [{"username": "finn", "name": "Finn", "roles": ["finance"]},
         {"username": "gone", "name": "Gone", "roles": ["finance"], "disabled": True}],
    )  # fmt: skip


@pytest.fixture
def uri(report_store) -> str:
    return report_store(_finance_with_staff)


def _audit(uri: str) -> list[dict]:
    with connect(uri) as store:
        return store.find("audit_log", {"event": "report.export"}, sort=[("at", 1)])


def test_every_format_is_written_and_audited(
    uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for fmt in ("csv", "xlsx", "pdf", "parquet"):
        out = tmp_path / f"report.{fmt}"
        argv = ["report", "--uri", uri, "--period", "2025-10", "--format", fmt, "--out", str(out),
                "--timezone", "Europe/Paris", "--quiet"]  # fmt: skip
        assert main(argv) == 0
        assert f"wrote {out}: October 2025 (Europe/Paris), {fmt}" in capsys.readouterr().out
    assert pl.read_csv(tmp_path / "report.csv").height > 200
    assert pl.read_parquet(tmp_path / "report.parquet").height > 200
    assert "By category" in openpyxl.load_workbook(tmp_path / "report.xlsx").sheetnames
    assert "October 2025" in pypdf.PdfReader(tmp_path / "report.pdf").pages[0].extract_text()
    entries = _audit(uri)
    assert [e["details"]["format"] for e in entries] == ["csv", "xlsx", "pdf", "parquet"]
    assert {e["actor"] for e in entries} == {f"cli:{getpass.getuser()}"}
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_quarters_years_ranges_the_settings_zone_and_a_named_user(
    uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPENDLENS_REPORT_TIMEZONE", "America/New_York")
    out = str(tmp_path / "r.csv")
    for period in ("2025-Q4", "2025", "2025-10-01:2025-10-15"):
        assert main(["report", "--uri", uri, "--period", period, "--format", "csv", "--out", out,
                     "--user", "finn", "--bom", "--quiet"]) == 0  # fmt: skip
    assert Path(out).read_bytes().startswith(b"\xef\xbb\xbf")
    entries = _audit(uri)
    assert [e["target"] for e in entries] == ["2025-Q4", "2025", "2025-10-01:2025-10-15"]
    assert {e["details"]["filters"]["timezone"] for e in entries} == {"America/New_York"}
    assert {e["actor"] for e in entries} == {"finn"}


def test_progress_goes_to_stderr(
    uri: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "r.csv")
    assert main(["report", "--uri", uri, "--period", "2025", "--format", "csv", "--out", out]) == 0
    err = capsys.readouterr().err
    assert "rows" in err and "100%" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2025-13", "--format", "csv"], "the month must be 01 to 12"),
        (["--period", "October", "--format", "csv"], "is not one of YYYY-MM, YYYY-Qn, YYYY"),
        (["--period", "2025-10", "--format", "docx"], "invalid choice: 'docx'"),
        (["--format", "csv"], "the following arguments are required: --period"),
        (["--period", "2025-10"], "the following arguments are required: --format"),
        (["--period", "2025-10", "--format", "csv", "--timezone", "Mars/Base"],
         "unknown time zone 'Mars/Base'"),
        (["--period", "2025-10", "--format", "csv", "--user", "alice"],
         "lacks the finance role"),
        (["--period", "2025-10", "--format", "csv", "--user", "gone"], "is disabled"),
        (["--period", "2025-10", "--format", "csv", "--user", "nobody"], "no user named"),
        (["--period", "2025-10", "--format", "csv", "--colour"], "unrecognized arguments"),
    ],
)  # fmt: skip
def test_bad_arguments_give_one_line_and_a_non_zero_exit(
    uri: str, tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--uri", uri, "--out", str(tmp_path / "r.csv"), *args]
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ") and message in err[0]
    assert not (tmp_path / "r.csv").exists()


def test_a_missing_output_folder_and_the_real_command(uri: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "report", "--uri", uri, "--period", "2025-10",
         "--format", "csv", "--out", str(tmp_path / "missing" / "r.csv")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: cannot write {tmp_path / 'missing' / 'r.csv'}: folder "
        f"{tmp_path / 'missing'} does not exist"
    ]
