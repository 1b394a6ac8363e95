"""``python -m dashboard``: seed, indexes and health as a deploy script or cron job uses them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from dashboard.cli.commands import main
from dashboard.data import bulk
from dashboard.data.indexes import INDEXES
from dashboard.store import connect

ROOT = Path(__file__).resolve().parents[3]
SMALL = ["--users", "15", "--months", "3", "--end", "2026-06-01"]


def _exit_code(argv: list[str]) -> int | str | None:
    """The exit code, whether argparse exits (SystemExit) or main returns it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def _uri(path: Path) -> str:
    return f"embedded://{path}"


def test_seed_writes_data_and_indexes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed", "--uri", _uri(tmp_path / "db"), *SMALL]) == 0
    out = capsys.readouterr().out
    assert "seeded embedded engine" in out
    with connect(_uri(tmp_path / "db")) as store:
        assert store.count_documents("users", {}) == 15 + 4
        assert store.count_documents("expenses", {}) > 0
        assert "userId_1_date_-1" in store.index_information("expenses")


def test_seed_is_deterministic_for_a_given_seed(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["seed", "--uri", _uri(tmp_path / name), *SMALL, "--seed", "7"]) == 0
    docs = {}
    for name in ("a", "b"):
        with connect(_uri(tmp_path / name)) as store:
            docs[name] = store.find("expenses", {}, sort=[("_id", 1)])
    assert docs["a"] == docs["b"]


def test_seed_refuses_a_non_empty_database_without_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    assert main(["seed", "--uri", uri, *SMALL]) == 0
    capsys.readouterr()
    assert main(["seed", "--uri", uri, *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert "--reset" in err or "reset" in err
    assert main(["seed", "--uri", uri, *SMALL, "--seed", "9", "--reset"]) == 0
    with connect(uri) as store:
        assert store.count_documents("users", {}) == 19
        assert set(store.index_information("users")) >= {"email_1", "username_1"}


def test_if_empty_seeds_once_and_never_a_mongodb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0
    assert "First run" in capsys.readouterr().out
    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0
    assert "data present, not seeding" in capsys.readouterr().out
    mongo = "mongodb://127.0.0.1:1/?directConnection=true"
    assert main(["seed", "--uri", mongo, "--if-empty"]) == 0
    assert "not seeding a MongoDB database automatically" in capsys.readouterr().out


def test_seed_builds_the_daily_rollups_and_rollups_refreshes_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    assert main(["seed", "--uri", uri, *SMALL]) == 0
    out = capsys.readouterr().out
    assert "daily rollup api_latency_daily: rebuilt in" in out
    assert "daily rollup user_activity_daily: rebuilt in" in out
    with connect(uri) as store:
        requests = store.count_documents("api_requests", {})
        activity = store.find("user_activity_daily", {})
        latency = store.find("api_latency_daily", {"metric": "latency"})
        raw = pl.DataFrame(
            [(r["ts"], str(r.get("userId"))) for r in store.find("api_requests", {})]
            + [(e["createdAt"], str(e["userId"])) for e in store.find("expenses", {})],
            schema={"at": pl.Datetime("ms", "UTC"), "user": pl.String},
            orient="row",
        )
    # Every logged request is counted once in each rollup; activity holds one document per UTC
    # day and user (the anonymous requests of a day as one more), counted here with plain Polars.
    assert requests > 0
    assert sum(d["requests"] for d in activity) == requests
    assert sum(d["n"] for d in latency) == requests
    assert len(activity) == raw.select(pl.col("at").dt.date(), "user").n_unique()
    assert main(["rollups", "--uri", uri]) == 0
    assert capsys.readouterr().out.count(": refreshed in") == 2


def test_indexes_prints_every_index_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    assert main(["indexes", "--uri", uri]) == 0
    first = capsys.readouterr().out.split()
    assert main(["indexes", "--uri", uri]) == 0
    assert capsys.readouterr().out.split() == first
    assert len(first) == len(INDEXES)


def test_health_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--uri", _uri(tmp_path / "db")]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["database"] == "connected"
    assert set(body) >= {"uptime", "timestamp", "database", "redis"}
    result = subprocess.run(
        [sys.executable, "-m", "dashboard", "health", "--uri",
         "mongodb://127.0.0.1:1/?directConnection=true"],
        cwd=ROOT, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin",
        "MONGODB_SERVER_SELECTION_TIMEOUT_MS": "300"}, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert json.loads(result.stdout)["database"] == "disconnected"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["seed", "--users", "0"], "expected a number above 0"),
        (["seed", "--months", "x"], "expected a whole number"),
        (["seed", "--end", "2025-13-01"], "expected a date as YYYY-MM-DD"),
        (["health", "--uri", "ftp://x"], "unsupported store URI"),
    ],
)
def test_bad_arguments_give_one_line_and_a_non_zero_exit(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_code(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


# -- production never seeds the demo accounts (issue 15 #2) ---------------------------------------


def test_production_never_seeds_the_demo_accounts(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("SPENDLENS_ENV", "production")
    clean_env.setenv("AUTH_COOKIE_KEY", "operator-key-" + "x" * 40)  # as the app's deploy has
    uri = _uri(tmp_path / "db")
    assert main(["seed", "--uri", uri, *SMALL]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: production never seeds the demo data set")
    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0  # `make run` still serves
    assert "not seeding (production never seeds the demo data set" in capsys.readouterr().out
    with connect(uri) as store:
        assert store.count_documents("users", {}) == 0
        assert bulk.store_kind(store) == "empty"


def test_a_mongodb_uri_means_production_for_the_seed_too(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("MONGODB_SERVER_SELECTION_TIMEOUT_MS", "300")
    mongo = "mongodb://127.0.0.1:1/?directConnection=true"
    assert main(["seed", "--uri", mongo, *SMALL]) == 2
    assert "production never seeds the demo data set" in capsys.readouterr().err


# -- an interrupted seed (issue 15 #8) ------------------------------------------------------------

#: Runs the seed command and SIGKILLs its own process right after the n-th batch is written: a
#: kill -9 mid-way, at a point the test chooses instead of a moment it guesses.
_KILLED_AFTER = """
import os, signal, sys
from dashboard.cli.commands import main
from dashboard.data import bulk
written = []
insert = bulk.insert
def insert_then_die(store, collection, documents):
    insert(store, collection, documents)
    written.append(collection)
    if len(written) == int(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)
bulk.insert = insert_then_die
main(sys.argv[2:])
"""


def _seed_killed_after(batches: int, uri: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "REDIS_URL",
           "SPENDLENS_ENV")}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-c", _KILLED_AFTER, str(batches), "seed", "--uri", uri, *SMALL],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == -9, result.stderr  # killed, not finished


def _documents(uri: str) -> dict[str, list[dict]]:
    with connect(uri) as store:
        return {c: store.find(c, {}, sort=[("_id", 1)]) for c in ("users", "expenses", "budgets")}


def test_if_empty_seeds_again_after_a_killed_seed(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    _seed_killed_after(2, uri)  # users and expenses written; budgets, requests, indexes not
    with connect(uri) as store:
        assert store.count_documents("users", {}) == 19
        assert store.count_documents("budgets", {}) == 0
        assert "username_1" not in store.index_information("users")
        assert bulk.store_kind(store) == "incomplete"

    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0
    assert "did not finish: seeding it again" in capsys.readouterr().out

    reference = _uri(tmp_path / "reference")  # the same seed, never interrupted
    assert main(["seed", "--uri", reference, *SMALL]) == 0
    assert _documents(uri) == _documents(reference)
    with connect(uri) as store:
        users = store.index_information("users")
        assert users["username_1"]["unique"] is True
        assert users["email_1"]["unique"] is True
        assert bulk.store_kind(store) == "demo"
        assert store.count_documents("users", {"username": "demo-admin"}) == 1
    capsys.readouterr()
    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0
    assert "demo data present, not seeding" in capsys.readouterr().out


def test_a_plain_seed_says_an_earlier_one_was_interrupted(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = _uri(tmp_path / "db")
    _seed_killed_after(1, uri)
    assert main(["seed", "--uri", uri, *SMALL]) == 2
    err = capsys.readouterr().err
    assert "users not empty (an earlier seed was interrupted)" in err


def test_if_empty_leaves_data_it_did_not_seed_alone(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No marker: the data may be real, so it is never dropped (the app then ensures indexes)."""
    uri = _uri(tmp_path / "db")
    with connect(uri) as store:
        store.insert_many("users", [{"username": "ops"}])
    assert main(["seed", "--uri", uri, *SMALL, "--if-empty"]) == 0
    assert "data present, not seeding" in capsys.readouterr().out
    with connect(uri) as store:
        assert [u["username"] for u in store.find("users", {})] == ["ops"]


def test_a_read_only_data_directory_is_one_clear_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.diskfaults import read_only, require_mounts

    require_mounts(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        assert main(["indexes", "--uri", _uri(data)]) == 2
    err = capsys.readouterr().err
    assert "error: Spendlens could not write or open its data: Read-only file system." in err
    assert "mount it read-write" in err
    assert str(data) in err  # the operator ran it: the file is named


def test_a_full_disk_is_one_clear_error_and_keeps_what_was_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.diskfaults import fill, require_mounts, small_disk

    require_mounts(tmp_path)
    with small_disk(tmp_path / "disk") as disk:
        data = disk / "data"
        with connect(_uri(data)) as store:
            store.insert_many("users", [{"username": "ana"}])
        filler = fill(disk)
        assert main(["indexes", "--uri", _uri(data)]) == 2
        err = capsys.readouterr().err
        assert "No space left on device." in err
        assert "Free disk space" in err
        filler.unlink()
        with connect(_uri(data)) as store:
            assert [d["username"] for d in store.find("users", {})] == ["ana"]
