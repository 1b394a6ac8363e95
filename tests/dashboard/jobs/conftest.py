"""Fixtures for the job tests: a job context over the in-memory store, settings per queue backend,
and a clean worker state after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from dashboard.cache import MemoryCache
from dashboard.core.settings import Settings
from dashboard.jobs import queue as job_queue
from dashboard.jobs import worker
from dashboard.jobs.context import JobContext
from dashboard.store import Store


@pytest.fixture(autouse=True)
def _fresh_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(job_queue, "RETRY_DELAY_S", 0.2)  # back-off 0.2 s, 0.4 s, 0.8 s
    yield
    worker.stop()


@pytest.fixture
def job_context(store: Store, tmp_path: Path) -> Callable[..., JobContext]:
    """A job context over ``store`` with settings for the given queue backend."""

    def make(backend: str = "immediate", **settings: object) -> JobContext:
        base = Settings(data_dir=tmp_path / "data", queue=backend)
        return JobContext(store=store, cache=MemoryCache(), settings=replace(base, **settings))

    return make
