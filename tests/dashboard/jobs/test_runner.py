"""Running a recorded job: how each kind of outcome is recorded, and which faults are retried."""

from __future__ import annotations

from collections.abc import Callable

import bson
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from dashboard.data import jobs
from dashboard.jobs import runner
from dashboard.jobs.context import KINDS, BadInput, JobContext, JobRun
from dashboard.store.errors import DatabaseUnavailable

ANA = bson.ObjectId("650000000000000000000001")


def _job(context: JobContext) -> bson.ObjectId:
    return jobs.create(context.store, kind="export", user_id=ANA, username="ana", title="Export")


def _with_handler(monkeypatch: pytest.MonkeyPatch, handler: Callable[[JobRun], dict]) -> None:
    monkeypatch.setitem(runner.HANDLERS, "export", handler)


def test_every_kind_has_a_handler() -> None:
    assert set(runner.HANDLERS) == set(KINDS)


def test_a_job_that_works_is_done_with_its_counts_and_progress(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    context = job_context()
    seen = []

    def handler(run: JobRun) -> dict:
        run.progress("Writing", 5, 10)
        seen.append(jobs.get(context.store, run.id)["progress"])
        return {"counts": {"rows": 10}, "result": {"file": "x"}}

    _with_handler(monkeypatch, handler)
    job_id = _job(context)
    assert runner.execute(context, str(job_id)) == "done"
    job = jobs.get(context.store, job_id)
    assert seen == [{"done": 5, "total": 10}]
    assert (job["state"], job["counts"], job["result"], job["attempts"]) == (
        "done", {"rows": 10}, {"file": "x"}, 1,
    )  # fmt: skip
    assert runner.execute(context, str(job_id)) == "skipped"  # a second delivery does nothing


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (BadInput("line 3: not a date"), "line 3: not a date"),
        (PermissionError("needs the finance role"), "needs the finance role"),
        (KeyError("bug"), "The job failed unexpectedly; the error was logged."),
    ],
)
def test_bad_input_and_bugs_fail_at_once_without_retry(
    job_context: Callable[..., JobContext],
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    message: str,
) -> None:
    context = job_context()

    def handler(run: JobRun) -> dict:
        raise error

    _with_handler(monkeypatch, handler)
    job_id = _job(context)
    assert runner.execute(context, str(job_id), retries_left=3) == "failed"
    job = jobs.get(context.store, job_id)
    assert (job["state"], job["error"]) == ("failed", message)


@pytest.mark.parametrize(
    "error", [DatabaseUnavailable("down"), RedisConnectionError("down"), OSError(5, "I/O error")]
)
def test_transient_faults_are_raised_for_a_retry_then_fail_when_none_are_left(
    job_context: Callable[..., JobContext], monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    context = job_context()

    def handler(run: JobRun) -> dict:
        raise error

    _with_handler(monkeypatch, handler)
    job_id = _job(context)
    with pytest.raises(type(error)):
        runner.execute(context, str(job_id), retries_left=1)
    assert jobs.get(context.store, job_id)["state"] == "retrying"
    assert runner.execute(context, str(job_id), retries_left=0) == "failed"
    job = jobs.get(context.store, job_id)
    assert job["state"] == "failed"
    assert job["error"].endswith("No attempts are left; start it again later.")
    assert job["attempts"] == 2
