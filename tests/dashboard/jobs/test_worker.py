"""The worker on each queue backend: SQLite (the embedded default), the real Redis, and immediate.

A job is recorded in the store and moved by Huey; these tests run real consumer threads and wait
for the job record to change, as the Import page does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import bson
import pytest

from dashboard.core.identity import AuthUser
from dashboard.data import jobs
from dashboard.jobs import runner, worker
from dashboard.jobs.context import JobContext, JobRun
from dashboard.jobs.submit import submit_job
from dashboard.store.errors import DatabaseUnavailable
from tests.dashboard.cache.conftest import until

ANA = bson.ObjectId("650000000000000000000001")


def _ana() -> AuthUser:
    return AuthUser(id=ANA, username="ana", name="Ana", email=None, roles=("user",))


def _state(context: JobContext, job_id: bson.ObjectId) -> str:
    return (jobs.get(context.store, job_id) or {}).get("state", "")


def _counting_handler(monkeypatch: pytest.MonkeyPatch, *, fail_first: int = 0) -> list[str]:
    calls: list[str] = []

    def handler(run: JobRun) -> dict:
        calls.append(threading.current_thread().name)
        if len(calls) <= fail_first:
            raise DatabaseUnavailable("primary stepped down")
        return {"counts": {"calls": len(calls)}}

    monkeypatch.setitem(runner.HANDLERS, "export", handler)
    return calls


def test_sqlite_queue_runs_jobs_in_app_threads(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = job_context("sqlite")
    calls = _counting_handler(monkeypatch)
    queue = worker.start_in_app(context)
    assert queue.backend == "SqliteHuey"
    assert (context.settings.data_dir / "queue.sqlite3").exists()
    job_id = submit_job(context, queue, _ana(), kind="export", title="t", params={})
    assert until(lambda: _state(context, job_id) == "done")
    assert calls[0] != threading.current_thread().name  # not in the submitting thread


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_queued_job_waits_for_a_worker_started_later(
    job_context: Callable[..., JobContext],
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    backend: str,
) -> None:
    extra = {"redis_url": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    context = job_context(backend, **extra)
    calls = _counting_handler(monkeypatch)
    # The app submits while no worker runs (a deploy, a crash)...
    queue = worker.queue_for(context.settings)  # the app's queue: no worker started
    queue.huey.flush()
    job_id = submit_job(context, queue, _ana(), kind="export", title="t", params={})
    worker.stop()  # ...and the process ends.
    time.sleep(0.3)
    assert _state(context, job_id) == "queued" and calls == []
    # A new process finds the job in Redis or in the SQLite file, and runs it.
    started = worker.start_in_app(context)
    assert started is not queue
    assert until(lambda: _state(context, job_id) == "done")
    assert len(calls) == 1
    started.huey.flush()


def test_a_transient_fault_is_retried_with_back_off(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    context = job_context("redis", redis_url=redis_url)
    calls = _counting_handler(monkeypatch, fail_first=2)
    queue = worker.start_in_app(context)
    started = time.monotonic()
    job_id = submit_job(context, queue, _ana(), kind="export", title="t", params={})
    assert until(lambda: _state(context, job_id) == "done")
    job = jobs.get(context.store, job_id)
    assert (len(calls), job["attempts"], job["counts"]) == (3, 3, {"calls": 3})
    assert time.monotonic() - started >= 0.2 + 0.4  # waited 0.2 s, then 0.4 s
    queue.huey.flush()


def test_a_job_whose_worker_died_is_put_back_and_runs_once(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = job_context("sqlite")
    calls = _counting_handler(monkeypatch)
    job_id = jobs.create(context.store, kind="export", user_id=ANA, username="ana", title="t")
    long_ago = jobs.get(context.store, job_id)["createdAt"] - jobs.STALE_AFTER * 2
    assert jobs.claim(context.store, job_id, worker="dead:1", now=long_ago)  # then it was killed
    worker.start_in_app(context)  # recovery on start
    assert until(lambda: _state(context, job_id) == "done")
    assert worker.recover() == 0
    assert len(calls) == 1
    assert jobs.get(context.store, job_id)["attempts"] == 2


def test_immediate_runs_the_job_inside_submit(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = job_context("immediate")
    calls = _counting_handler(monkeypatch)
    queue = worker.start_in_app(context)
    job_id = submit_job(context, queue, _ana(), kind="export", title="t", params={})
    assert _state(context, job_id) == "done"
    assert calls == [threading.current_thread().name]
