"""Fixtures for the accounts tests: a small seeded store per test, an app driver, a fake clock."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.auth.throttle import MemoryThrottle
from dashboard.seed import seed_store
from dashboard.store import Store, connect

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DEMO = {
    "user": ("demo-user", "demo-user-pass"),
    "product": ("demo-product", "demo-product-pass"),
    "finance": ("demo-finance", "demo-finance-pass"),
    "admin": ("demo-admin", "demo-admin-pass"),
}


@pytest.fixture(scope="session")
def seeded_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo data set, seeded once; tests work on copies."""
    path = tmp_path_factory.mktemp("seeded") / "data"
    with connect(f"embedded://{path}") as store:
        seed_store(store, users=8, months=2, seed=3, end=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
        from dashboard.indexes import ensure_indexes

        ensure_indexes(store)
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(
    tmp_path: Path, seeded_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> Path:
    """A private copy of the seeded data that ``app.py`` uses, and a throttle on a fake clock."""
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


def login(at: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the login form (the app's own form: text inputs 0 and 1)."""
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def login_as(new_app: Callable[[], AppTest], role: str) -> AppTest:
    at = login(new_app(), *DEMO[role])
    assert not at.exception, at.exception
    assert at.session_state["authentication_status"] is True
    return at


def open_url_path(at: AppTest, url_path: str) -> AppTest:
    """What a deep link to ``/<url_path>`` does: run the page registered at that URL.

    AppTest.switch_page() only takes script files; a page outside the user's roles is registered as
    a callable at its URL, so we select it by its URL path (the browser tests do it for real).
    """
    for page_hash, info in at._registered_pages.items():
        if info.get("url_pathname") == url_path:
            at._page_hash = page_hash
            return at.run()
    msg = f"no page registered at /{url_path}"
    raise AssertionError(msg)


class RecordingStore:
    """Wraps a store and records every aggregate sent (collection, pipeline, comment)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.sent: list[tuple[str, list[dict[str, Any]], str | None]] = []

    def aggregate(self, collection: str, pipeline: Any, **kw: Any) -> Any:
        self.sent.append((collection, list(pipeline), kw.get("comment")))
        return self._inner.aggregate(collection, pipeline, **kw)

    def aggregate_frame(self, collection: str, pipeline: Any, **kw: Any) -> Any:
        self.sent.append((collection, list(pipeline), kw.get("comment")))
        return self._inner.aggregate_frame(collection, pipeline, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@pytest.fixture
def recording(app_store: Store, monkeypatch: pytest.MonkeyPatch) -> RecordingStore:
    recorder = RecordingStore(app_store)
    for module in ("dashboard.runtime", "dashboard.shell"):
        monkeypatch.setattr(f"{module}.get_store", lambda settings: recorder, raising=False)
    return recorder
