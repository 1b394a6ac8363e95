"""What a running job gets: the store, cache and settings of its worker, its own record, and a way
to report progress. Handlers raise :class:`BadInput` for problems retrying cannot fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import bson

from dashboard.cache import Cache
from dashboard.core.settings import Settings
from dashboard.data import jobs
from dashboard.store import Store

__all__ = ["KINDS", "BadInput", "Busy", "JobContext", "JobRun", "Transient"]

#: The kinds of job there are (one handler module each).
KINDS = ("import", "export", "alert")


class BadInput(Exception):
    """The job's input is wrong (a file that is not a statement, a mapping that no longer fits):
    it fails at once with this message, without retries."""


class Transient(Exception):
    """A fault worth another attempt that is not a connection error of its own (an SMTP server
    answering "try later", a webhook answering 503): the queue retries the job with back-off."""


class Busy(Exception):
    """Another job holds what this one needs (the same user's earlier import): this job goes back
    on the queue to run shortly, without using up an attempt. The message says what it waits for."""


@dataclass(frozen=True)
class JobContext:
    """The resources of the process that runs jobs (the app's own, or the worker command's)."""

    store: Store
    cache: Cache
    settings: Settings


@dataclass(frozen=True)
class JobRun:
    """One attempt at one job."""

    context: JobContext
    job: dict[str, Any]
    #: This attempt's claim on the job (see :func:`dashboard.data.jobs.claim`).
    token: str | None = None
    #: Attempts Huey will still make after this one if it raises a transient fault.
    retries_left: int = 0

    @property
    def id(self) -> bson.ObjectId:
        return self.job["_id"]

    @property
    def user_id(self) -> bson.ObjectId:
        return self.job["userId"]

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.job.get("params") or {})

    def progress(self, stage: str, done: int = 0, total: int | None = None) -> None:
        """Tell the page how far the job is (and that its worker is alive)."""
        jobs.heartbeat(
            self.context.store, self.id, stage=stage, done=done, total=total, token=self.token
        )
