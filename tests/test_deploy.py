"""The deployment files, checked by parsing (images cannot be pulled here): the compose file runs
the app and a job worker from one image on one Redis, with no secret written in it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "deploy" / "compose.yaml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_worker_runs_the_worker_command_from_the_app_image() -> None:
    services = _compose()["services"]
    assert set(services) == {"app", "worker", "redis"}
    worker, app = services["worker"], services["app"]
    assert worker["command"] == ["python", "-m", "dashboard", "worker"]
    assert worker["build"] == app["build"]
    assert worker["stop_signal"] == "SIGTERM"  # lets running jobs finish


def test_app_and_worker_share_the_store_the_redis_queue_and_the_cookie_key() -> None:
    services = _compose()["services"]
    app, worker = services["app"]["environment"], services["worker"]["environment"]
    for name in ("MONGODB_URI", "MONGODB_DB", "REDIS_URL", "AUTH_COOKIE_KEY", "SPENDLENS_QUEUE"):
        assert app[name] == worker[name], name
    assert app["SPENDLENS_QUEUE"] == "redis"
    assert app["SPENDLENS_IN_APP_WORKER"] == "false"  # the worker service does the jobs
    assert app["REDIS_URL"].startswith("redis://redis:")


def test_no_secret_is_written_in_the_compose_file() -> None:
    env = _compose()["services"]["app"]["environment"]
    for name in ("MONGODB_URI", "AUTH_COOKIE_KEY"):
        assert re.fullmatch(r"\$\{" + name + r":\?.+\}", env[name]), env[name]


def test_every_path_the_image_copies_exists() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    sources = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert sources
    assert [s for s in sources if not (ROOT / s).exists()] == []
