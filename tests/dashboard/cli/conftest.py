"""Fixtures for the command-line tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No store, cache or environment settings from the machine: each test sets its own."""
    for var in ("MONGODB_URI", "REDIS_URL", "SPENDLENS_ENV", "AUTH_COOKIE_KEY"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch
