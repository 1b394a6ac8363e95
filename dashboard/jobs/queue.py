"""The job queue: a Huey instance for these settings, with Spendlens's one task registered on it.

Huey moves job ids between the processes that submit work (the app) and the ones that run it
(workers): on Redis in production (every replica and worker shares it; queued jobs survive a
restart), on a SQLite file in ``SPENDLENS_DATA_DIR`` with the embedded default (no extra service),
or ``immediate`` (tests: the job runs inside ``submit``). What a job is and how far it got lives in
the ``jobs`` collection (:mod:`dashboard.data.jobs`), not in the queue.

The queue's name includes a digest of the store's address, so two Spendlens installs that share a
Redis server never run each other's jobs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import bson
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper

from dashboard.core.settings import Settings

__all__ = ["RETRIES", "RETRY_BACKOFF", "RETRY_DELAY_S", "JobQueue", "make_queue"]

#: Attempts after the first for a transient fault (a database or Redis outage), waiting
#: 5 s, 10 s, 20 s. Bad input is never retried.
RETRIES = 3
RETRY_DELAY_S = 5.0
RETRY_BACKOFF = 2.0


@dataclass(frozen=True)
class JobQueue:
    """A Huey instance and the task that runs a recorded job by id."""

    huey: Huey
    run_job: TaskWrapper
    recover: TaskWrapper
    tick: TaskWrapper

    def submit(self, job_id: bson.ObjectId) -> None:
        """Put a recorded job on the queue (with ``immediate``, run it now)."""
        self.run_job(str(job_id))

    @property
    def backend(self) -> str:
        return type(self.huey).__name__


def queue_name(settings: Settings) -> str:
    """``spendlens-<digest of the store address>``: one queue per database."""
    digest = hashlib.sha256(f"{settings.store_uri}/{settings.mongodb_db}".encode()).hexdigest()
    return f"spendlens-{digest[:12]}"


def _huey(settings: Settings) -> Huey:
    name = queue_name(settings)
    backend = settings.queue_backend
    if backend == "redis":
        if not settings.redis_url:
            msg = "SPENDLENS_QUEUE=redis needs REDIS_URL"
            raise ValueError(msg)
        return RedisHuey(name, url=settings.redis_url, results=False)
    if backend == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(settings.data_dir / "queue.sqlite3"), results=False)
    return MemoryHuey(name, immediate=True, results=False)


def make_queue(
    settings: Settings,
    *,
    run_job: Callable[..., Any],
    recover: Callable[[], Any],
    tick: Callable[[], Any],
) -> JobQueue:
    """The queue for ``settings``: ``run_job(job_id_hex, task=...)`` runs one job (Huey retries it
    with back-off when it raises); ``recover()`` and ``tick()`` (due alert subscriptions) run
    every minute on the worker."""
    huey = _huey(settings)
    task = huey.task(
        retries=RETRIES,
        retry_delay=RETRY_DELAY_S,
        retry_backoff=RETRY_BACKOFF,
        context=True,
        name="spendlens.run_job",
    )(run_job)
    periodic = huey.periodic_task(crontab(minute="*"), name="spendlens.recover")(recover)
    ticker = huey.periodic_task(crontab(minute="*"), name="spendlens.tick")(tick)
    return JobQueue(huey=huey, run_job=task, recover=periodic, tick=ticker)
