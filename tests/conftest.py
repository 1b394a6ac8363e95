"""Shared fixtures: stores and a live-MongoDB switch."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.cache import MemoryCache
from dashboard.config import Settings
from dashboard.runner import Runner
from dashboard.store import Store, connect
from tests.apptest import APP, Clock, RecordingStore


@pytest.fixture
def memory_store() -> Iterator[Store]:
    store = connect("memory://")
    yield store
    store.close()


@pytest.fixture
def memory_runner(memory_store: Store) -> Runner:
    """A runner over an in-memory store with an in-process cache."""
    return Runner(store=memory_store, cache=MemoryCache(), settings=Settings())


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
    from dashboard.indexes import ensure_indexes
    from dashboard.seed import seed_store

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
    """A private copy of the seeded data that ``app.py`` uses, and a throttle on a fake clock."""
    from dashboard.auth.throttle import MemoryThrottle

    path = tmp_path / "data"
    shutil.copytree(seeded_dir, path, ignore=shutil.ignore_patterns(".lock"))
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SPENDLENS_DATA_DIR", str(path))
    throttle = MemoryThrottle(max_attempts=5, window_s=15 * 60, clock=clock)
    monkeypatch.setattr("dashboard.shell.get_throttle", lambda settings: throttle)
    return path


@pytest.fixture
def app_store(data_dir: Path) -> Store:
    """The store the app opens for ``data_dir`` (the same object, shared with the app)."""
    from dashboard.runtime import get_settings, get_store

    return get_store(get_settings())


@pytest.fixture
def new_app(data_dir: Path) -> Callable[[], AppTest]:
    def make() -> AppTest:
        return AppTest.from_file(APP, default_timeout=60)

    return make


@pytest.fixture
def recording(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> RecordingStore:
    recorder = RecordingStore(app_store)
    for module in ("dashboard.runtime", "dashboard.shell"):
        monkeypatch.setattr(f"{module}.get_store", lambda settings: recorder, raising=False)
    return recorder
