"""``streamlit run app.py`` serves the app and the scaling notes' ``/health`` endpoint."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _serve(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"server exited: {(tmp_path / 'server.log').read_text()[-2000:]}")
            try:
                if _get(f"{base}/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"server did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "REDIS_URL")}
    env.update(extra)
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(_env(SPENDLENS_DATA_DIR=str(tmp_path / "data")), tmp_path)


@pytest.mark.slow
def test_health_reports_database_and_redis_with_200(server: str) -> None:
    status, body = _get(f"{server}/health")
    assert status == 200
    health = json.loads(body)
    assert health["database"] == "connected"
    assert health["redis"] == "not configured"
    assert health["uptime"] >= 0
    assert abs(health["timestamp"] / 1000 - time.time()) < 60
    status, page = _get(f"{server}/")
    assert status == 200
    assert b"<html" in page.lower()


@pytest.mark.slow
def test_health_is_503_when_the_database_does_not_answer(tmp_path: Path) -> None:
    env = _env(
        SPENDLENS_DATA_DIR=str(tmp_path / "data"),
        MONGODB_URI="mongodb://127.0.0.1:1/?directConnection=true",
        MONGODB_SERVER_SELECTION_TIMEOUT_MS="300",
    )
    for base in _serve(env, tmp_path):
        status, body = _get(f"{base}/health")
        assert status == 503
        assert json.loads(body)["database"] == "disconnected"


# -- faults and disclosure: /health is anonymous ------------------------------------------------

PUBLIC = {"uptime", "timestamp", "database", "redis"}


def _call_health(monkeypatch: pytest.MonkeyPatch, data: Path) -> tuple[int, dict[str, object]]:
    """``GET /health`` in this process, for a fresh server on the data directory ``data``."""
    import asyncio

    from dashboard.app import server as health_server

    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(data))
    monkeypatch.setattr(health_server, "_store", None)
    response = asyncio.run(health_server._health(None))  # type: ignore[arg-type]
    return response.status_code, json.loads(response.body)


def test_health_shows_anonymous_callers_no_path_or_pid_and_logs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dashboard.store import connect

    data = tmp_path / "data"
    with connect(f"embedded://{data}"):  # another owner holds the directory's lock
        status, body = _call_health(monkeypatch, data)
    assert status == 503
    assert set(body) == PUBLIC
    assert body["database"] == "disconnected"
    assert str(tmp_path) not in json.dumps(body)
    assert f"pid {os.getpid()}" in caplog.text  # the operator still finds out why
    assert str(data) in caplog.text


def test_health_is_a_503_json_when_the_data_directory_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.diskfaults import read_only, require_mounts

    require_mounts(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        status, body = _call_health(monkeypatch, data)
    assert status == 503
    assert set(body) == PUBLIC
    assert body["database"] == "disconnected"


def test_health_with_a_bad_setting_is_a_503_naming_no_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONGODB_MAX_TIME_MS", "/srv/internal")
    status, body = _call_health(monkeypatch, tmp_path / "data")
    assert status == 503
    assert set(body) == PUBLIC
    assert "/srv/internal" not in json.dumps(body)


@pytest.mark.slow
def test_the_served_health_route_answers_a_read_only_data_directory_with_503_json(
    tmp_path: Path,
) -> None:
    from tests.diskfaults import read_only, require_mounts

    require_mounts(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    with read_only(data):
        for base in _serve(_env(SPENDLENS_DATA_DIR=str(data)), tmp_path):
            status, raw = _get(f"{base}/health")
            assert status == 503
            assert set(json.loads(raw)) == PUBLIC
            assert str(data).encode() not in raw


@pytest.mark.slow
def test_a_job_queued_before_the_server_starts_runs_without_a_page_view(tmp_path: Path) -> None:
    import bson

    from dashboard.cache import MemoryCache
    from dashboard.core.identity import AuthUser
    from dashboard.core.settings import Settings
    from dashboard.core.statement_mapping import ColumnMapping
    from dashboard.data import jobs
    from dashboard.jobs import worker
    from dashboard.jobs.context import JobContext
    from dashboard.jobs.import_job import submit_import
    from dashboard.store import connect

    data = tmp_path / "data"
    settings = Settings(data_dir=data, queue="sqlite")
    ana = AuthUser(id=bson.ObjectId(), username="ana", name="Ana", email=None, roles=("user",))
    statement = b"Date,Description,Amount\n2025-03-01,Coffee,-3.50\n2025-03-02,Book,-20.00\n"
    mapping = ColumnMapping(date="Date", description="Description", amount="Amount")
    with connect(settings.store_uri) as store:
        context = JobContext(store=store, cache=MemoryCache(), settings=settings)
        queue = worker.queue_for(settings)  # the SQLite queue in the data directory
        job_id = submit_import(context, queue, ana, statement, mapping, file_name="s.csv",
                               account="A")  # fmt: skip
        assert queue.huey.pending_count() == 1
    worker.stop()  # forget this process's queue: the server is another process
    env = _env(SPENDLENS_DATA_DIR=str(data))
    env.pop("SPENDLENS_QUEUE", None)  # the app's own default: SQLite beside the embedded engine
    for _base in _serve(env, tmp_path):
        deadline = time.monotonic() + 30
        while queue.huey.pending_count() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert queue.huey.pending_count() == 0  # taken by the server's worker, nobody browsing
    # The server stopped gracefully (SIGTERM): the job it was running finished first.
    with connect(settings.store_uri) as store:
        assert jobs.get(store, job_id)["state"] == "done"
        assert store.count_documents("expenses", {"userId": ana.id}) == 2
