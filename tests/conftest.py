"""Shared fixtures: an in-memory store and runner, a seeded app, and a live-MongoDB switch."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import bson
import pytest
import redis
from streamlit.testing.v1 import AppTest

from dashboard.cache import MemoryCache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner
from dashboard.store import Store, connect
from tests.apptest import APP, Clock, RecordingStore
from tests.mongo_compat import Recorder, newest, violations

#: The real Redis of every development and CI machine (database 15: the tests' own).
REDIS_URL = "redis://127.0.0.1:6379/15"


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis; skipped when it is down, a failure under ``CI=true``."""
    if not redis_answers(REDIS_URL):
        message = (
            "no Redis at 127.0.0.1:6379: start one with `redis-server --daemonize yes --bind "
            '127.0.0.1 -::1 --port 6379 --save "" --appendonly no`'
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_URL


# -- the MongoDB compatibility gate (tests/mongo_compat.py) ----------------------------------------

#: What the app sent to a store during this run. Engine conformance tests (tests/dashboard/store/)
#: send the manual's examples, not the app's queries, and are left out.
SENT = Recorder()
_RECORDED = {
    "aggregate": lambda c, p, *a, **k: ("aggregate", c, p),
    "aggregate_frame": lambda c, p, *a, **k: ("aggregate", c, p),
    "find": lambda c, f=None, *a, **k: ("find", c, f or {}),
    "count_documents": lambda c, f, *a, **k: ("count", c, f),
    "update_many": lambda c, f, u, *a, **k: ("update", c, [f, u]),
    "delete_many": lambda c, f, *a, **k: ("delete", c, f),
}
_ENGINE_TESTS = Path(__file__).parent / "dashboard" / "store"


@pytest.fixture(autouse=True)
def _record_what_the_app_sends(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record every pipeline, filter and update an embedded store receives, for the gate that
    checks them against the oldest supported MongoDB at the end of the run."""
    if _ENGINE_TESTS in Path(request.node.path).parents:
        return
    from dashboard.store.embedded import EmbeddedStore

    for name, describe in _RECORDED.items():
        original = getattr(EmbeddedStore, name)

        def recorded(self, *args, _original=original, _describe=describe, **kwargs):
            SENT.add(*_describe(*args, **kwargs))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(EmbeddedStore, name, recorded)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when the app sent something the oldest supported MongoDB would refuse."""
    if not SENT.sent:
        return
    found = violations(SENT)
    session.config.stash[_GATE] = found
    if found and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_GATE = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = terminalreporter.config.stash.get(_GATE, None)
    if found is None:
        return
    if not found:
        terminalreporter.write_line(
            f"MongoDB compatibility gate: {len(SENT.sent)} distinct pipelines, filters and "
            f"updates sent by the app, all valid on MongoDB 7.0 (newest used: "
            f"{', '.join(newest(SENT))})"
        )
        return
    terminalreporter.section("MongoDB compatibility gate FAILED", red=True)
    for line in found:
        terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def _jobs_run_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app started by a test runs its jobs inside the page run, not on worker threads left
    behind in the test process (the job tests choose their queue themselves)."""
    monkeypatch.setenv("SPENDLENS_QUEUE", "immediate")


@pytest.fixture
def store() -> Iterator[Store]:
    """An empty in-memory store (the embedded engine without files)."""
    store = connect("memory://")
    yield store
    store.close()


@pytest.fixture
def runner(store: Store) -> Runner:
    """A runner over the in-memory ``store`` with an in-process cache and default settings."""
    return Runner(store=store, cache=MemoryCache(), settings=Settings())


@pytest.fixture
def la_user() -> AuthUser:
    """A plain user in Los Angeles (UTC-8/-7), to check local days and DST."""
    return AuthUser(
        id=bson.ObjectId("650000000000000000000001"),
        username="ana",
        name="Ana",
        email=None,
        roles=("user",),
        timezone="America/Los_Angeles",
        currency="USD",
    )


@pytest.fixture
def embedded_store(tmp_path) -> Iterator[Store]:
    store = connect(f"embedded://{tmp_path / 'db'}")
    yield store
    store.close()


@pytest.fixture
def mongo_uri() -> str:
    """The live MongoDB to test against; skipped loudly when MONGODB_URI is not set."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("needs a live MongoDB: set MONGODB_URI to run the MongoDB-backend tests")
    return uri


# -- app fixtures: a small seeded store per test, an app driver, a fake clock -------------------


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo data set, seeded once; tests work on copies."""
    from dashboard.data.indexes import ensure_indexes
    from dashboard.seed.dataset import seed_store

    path = tmp_path_factory.mktemp("seeded") / "data"
    with connect(f"embedded://{path}") as store:
        seed_store(store, users=8, months=2, seed=3, end=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
        ensure_indexes(store)
    return path


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(
    tmp_path: Path, seeded_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Path:
    """A private copy of the seeded data that ``app.py`` uses, and the login and registration
    throttles on a fake clock."""
    from dashboard.auth.registration import make_registration_throttle
    from dashboard.auth.throttle import MemoryThrottle

    path = tmp_path / "data"
    shutil.copytree(seeded_dir, path, ignore=shutil.ignore_patterns(".lock"))
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(path))
    throttle = MemoryThrottle(max_attempts=5, window_s=15 * 60, clock=clock)
    monkeypatch.setattr("dashboard.app.shell.get_throttle", lambda settings: throttle)
    signups = make_registration_throttle(None)
    signups.clock = clock
    monkeypatch.setattr("dashboard.app.shell.get_registration_throttle", lambda settings: signups)
    return path


@pytest.fixture
def app_store(data_dir: Path) -> Store:
    """The store the app opens for ``data_dir`` (the same object, shared with the app)."""
    from dashboard.app.resources import get_settings, get_store

    return get_store(get_settings())


@pytest.fixture
def new_app(data_dir: Path) -> Callable[[], AppTest]:
    def make() -> AppTest:
        return AppTest.from_file(APP, default_timeout=60)

    return make


@pytest.fixture
def recording(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> RecordingStore:
    recorder = RecordingStore(app_store)
    for module in ("dashboard.app.resources", "dashboard.app.shell"):
        monkeypatch.setattr(f"{module}.get_store", lambda settings: recorder, raising=False)
    return recorder


class CheckpwCounter:
    """``bcrypt.checkpw`` as the password module calls it, counting its calls."""

    def __init__(self, checkpw: Callable[[bytes, bytes], bool]) -> None:
        self.calls = 0
        self._checkpw = checkpw

    def __call__(self, password: bytes, hashed: bytes) -> bool:
        self.calls += 1
        return self._checkpw(password, hashed)


@pytest.fixture
def checkpw_calls(monkeypatch: pytest.MonkeyPatch) -> CheckpwCounter:
    """Count the bcrypt checks of :mod:`dashboard.auth.passwords` (each one costs the same time)."""
    from dashboard.auth import passwords

    counter = CheckpwCounter(passwords.bcrypt.checkpw)
    monkeypatch.setattr(passwords.bcrypt, "checkpw", counter)
    return counter
