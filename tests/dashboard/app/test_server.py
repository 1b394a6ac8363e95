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
