"""Fixtures for the command-line tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard.store import Store, connect


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No store, cache or environment settings from the machine: each test sets its own."""
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


@pytest.fixture
def report_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[Callable[[Store], None]], str]:
    """An embedded store filled by ``fill`` for the ``report`` command, with no store, cache or
    report time zone from the machine; returns its URI."""
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_REPORT_TIMEZONE"):
        monkeypatch.delenv(var, raising=False)

    def make(fill: Callable[[Store], None]) -> str:
        path = tmp_path / "db"
        with connect(f"embedded://{path}") as store:
            fill(store)
        return f"embedded://{path}"

    return make
