"""Asking for a job: record it in ``jobs`` for the user, then put it on the queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

import bson
from redis.exceptions import RedisError

from dashboard.core.identity import AuthUser
from dashboard.data import jobs
from dashboard.jobs.context import KINDS, JobContext
from dashboard.jobs.queue import JobQueue

__all__ = ["QUEUE_ERRORS", "submit_job"]

#: What an unreachable queue raises (Redis down, the SQLite file unwritable).
QUEUE_ERRORS = (RedisError, sqlite3.Error, OSError)


def submit_job(
    context: JobContext,
    queue: JobQueue,
    user: AuthUser,
    *,
    kind: str,
    title: str,
    params: Mapping[str, Any],
) -> bson.ObjectId:
    """Record a job for ``user`` and queue it; return its id. The record comes first, so a page
    can show the job even before a worker picks it up."""
    if kind not in KINDS:
        msg = f"unknown job kind {kind!r}; expected one of {', '.join(KINDS)}"
        raise ValueError(msg)
    job_id = jobs.create(
        context.store,
        kind=kind,
        user_id=user.id,
        username=user.username,
        title=title,
        params=params,
    )
    try:
        queue.submit(job_id)
    except QUEUE_ERRORS:  # the queue is unreachable: the record must not be run by recovery later
        jobs.fail(context.store, job_id, error="The job could not be queued; nothing was done.")
        raise
    return job_id
