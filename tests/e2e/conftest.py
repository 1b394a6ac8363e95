"""End-to-end fixtures: `streamlit run app.py` on a free port over a freshly seeded embedded store,
driven by Debian's Chromium through Playwright (no browser download). A failing test saves a
screenshot and the server log under test-artifacts/."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_e2e_data(path: Path) -> Path:
    """Seed a small demo data set ending today into ``path``."""
    from dashboard.data.indexes import ensure_indexes
    from dashboard.seed.dataset import seed_store
    from dashboard.store import connect

    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with connect(f"embedded://{path}") as store:
        seed_store(store, users=20, months=14, seed=11, end=today)
        ensure_indexes(store)
    return path


@pytest.fixture(scope="session")
def e2e_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo data set ending today, seeded once for the browser tests."""
    return seed_e2e_data(tmp_path_factory.mktemp("e2e") / "data")


class Server:
    def __init__(self, url: str, log: Path, proc: subprocess.Popen[bytes]) -> None:
        self.url = url
        self.log = log
        self.proc = proc
        #: Set when a failed test found the server no longer answering: later tests fail at once.
        self.stuck = False


def start_server(data: Path, log: Path) -> Server:
    """``streamlit run app.py`` on a free port over ``data``; returns once it answers."""
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_QUEUE")  # the app's own SQLite queue
    }
    env.update(SPENDLENS_DATA_DIR=str(data), SPENDLENS_ENV="development")
    handle = open(log, "wb")  # noqa: SIM115 - closed by stop_server
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return Server(url, log, proc)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    msg = f"server did not start: {log.read_text()[-2000:]}"
    raise RuntimeError(msg)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def server(e2e_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        message = "Chromium is not installed: apt-get install -y chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    log = tmp_path_factory.mktemp("e2e-log") / "server.log"
    try:
        running = start_server(e2e_data, log)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def browser(server: Server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report = yield
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page")
        server = item.funcargs.get("server")
        ARTIFACTS.mkdir(exist_ok=True)
        name = item.nodeid.replace("/", "_").replace("::", "__")
        if page is not None:
            with contextlib.suppress(Exception):  # a screenshot must not hide the failure
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        if server is not None:
            if not server.stuck and not _answers(server):
                server.stuck = True
                _ask_for_stacks(server)
                report.sections.append(("server stopped answering", _tail(server.log)))
            shutil.copy(server.log, ARTIFACTS / f"{name}.server.log")
    return report


def _answers(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=10) as response:
            return response.status == 200
    except OSError:
        return False


def _ask_for_stacks(server: Server) -> None:
    """Every thread's stack into the server log (the app registers SIGUSR1 with faulthandler)."""
    with contextlib.suppress(OSError):
        server.proc.send_signal(signal.SIGUSR1)
        time.sleep(2)


def _tail(log: Path, lines: int = 400) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def page(browser: object, server: Server) -> Iterator[object]:
    if server.stuck:
        pytest.fail(
            "the server stopped answering in an earlier test (its stacks are in that report)"
        )
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)  # type: ignore[attr-defined]
    tab = context.new_page()
    tab.set_default_timeout(45_000)
    yield tab
    context.close()
