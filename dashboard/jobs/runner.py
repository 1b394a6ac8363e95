"""Running one recorded job: claim it, call its kind's handler, record how it ended.

Transient faults (the database or Redis unreachable, a disk error, another import of the same user
still running) are raised back to Huey, which retries with back-off (:data:`~dashboard.jobs.queue.
RETRIES`); the job shows ``retrying`` meanwhile and ``failed`` when the last attempt fails.
:class:`~dashboard.jobs.context.BadInput` fails the job at once: retrying would not change the
file. Any other exception is a bug: the job fails with a generic message and the traceback is
logged.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import bson
from huey.exceptions import TaskLockedException
from pymongo.errors import ConnectionFailure
from redis.exceptions import RedisError

from dashboard.data import jobs
from dashboard.jobs import alert_job, export_job, import_job
from dashboard.jobs.context import BadInput, Busy, JobContext, JobRun, Transient
from dashboard.store.errors import DatabaseUnavailable

__all__ = ["HANDLERS", "TRANSIENT", "WORKER_ID", "execute"]

_log = logging.getLogger("spendlens.jobs")

Handler = Callable[[JobRun], Mapping[str, Any]]
#: Job kind → handler: returns ``{"counts": {...}, "result": {...}}``.
HANDLERS: dict[str, Handler] = {
    "import": import_job.run,
    "export": export_job.run,
    "alert": alert_job.run,
}
#: Faults worth another attempt.
TRANSIENT = (
    DatabaseUnavailable, ConnectionFailure, RedisError, OSError, TaskLockedException, Transient,
)  # fmt: skip

WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def execute(context: JobContext, job_id: str, *, retries_left: int = 0) -> str:
    """Run the job if this worker can claim it; return the state it was left in (``skipped`` when
    it had ended or another worker has it, ``busy`` when it must wait for another job: the caller
    queues it again with a delay)."""
    store = context.store
    oid = bson.ObjectId(job_id)
    token = uuid.uuid4().hex
    if not jobs.claim(store, oid, worker=WORKER_ID, token=token):
        return "skipped"
    job = jobs.get(store, oid)
    if job is None:  # deleted with its user while queued
        return "skipped"
    handler = HANDLERS.get(job.get("kind", ""))
    if handler is None:
        jobs.fail(store, oid, error=f"Unknown job kind {job.get('kind')!r}.", token=token)
        return "failed"
    run = JobRun(context=context, job=job, token=token, retries_left=retries_left)
    try:
        outcome = handler(run)
        jobs.finish(
            store, oid, counts=outcome.get("counts", {}), result=outcome.get("result", {}),
            token=token,
        )  # fmt: skip
    except Busy as exc:
        jobs.requeue(store, oid, stage=str(exc), token=token)
        return "busy"
    except BadInput as exc:
        jobs.fail(store, oid, error=str(exc), token=token)
        return "failed"
    except PermissionError as exc:  # an OSError, but no retry will grant the right
        jobs.fail(store, oid, error=str(exc) or "Permission denied.", token=token)
        return "failed"
    except TRANSIENT as exc:
        message = _transient_message(exc)
        if retries_left > 0:
            _log.warning("job %s (%s): %s; will retry", job_id, job.get("kind"), exc)
            jobs.retrying(store, oid, error=message, token=token)
            raise
        _log.error("job %s (%s) failed after its retries: %s", job_id, job.get("kind"), exc)
        jobs.fail(
            store, oid, error=message + " No attempts are left; start it again later.", token=token
        )
        return "failed"
    except Exception:  # noqa: BLE001 - a bug: recorded as failed, logged with its traceback
        _log.exception("job %s (%s) failed", job_id, job.get("kind"))
        jobs.fail(
            store, oid, error="The job failed unexpectedly; the error was logged.", token=token
        )
        return "failed"
    return "done"


def _transient_message(exc: BaseException) -> str:
    if isinstance(exc, TaskLockedException):
        return "Another job of yours is still running; this one waits for it."
    if isinstance(exc, DatabaseUnavailable | ConnectionFailure | RedisError):
        return "The database or cache was unreachable."
    if isinstance(exc, Transient):
        return str(exc)
    return "A temporary error occurred (disk or network)."
