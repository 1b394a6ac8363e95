"""The ``jobs`` collection: one document per background job, so pages show progress and history.

A job document says who asked (``userId``, ``username``), what (``kind``, ``title``, ``params``),
its ``state`` and ``stage``, ``progress`` (``done`` of ``total``), its ``counts`` and ``result``,
the ``error`` of its last attempt, ``attempts``, and ``createdAt`` / ``startedAt`` /
``heartbeatAt`` / ``finishedAt``. The queue library moves the work; this collection is the record.

States: ``queued`` → ``running`` → ``done`` or ``failed``; ``retrying`` between attempts after a
transient fault. A worker *claims* a job with one conditional update, so two deliveries of the same
job never run it twice at once; a ``running`` job whose worker stopped sending heartbeats (killed)
can be claimed again (:func:`stalled`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import bson

from dashboard.store import Store

__all__ = [
    "ACTIVE",
    "JOBS",
    "STALE_AFTER",
    "active_before",
    "claim",
    "create",
    "fail",
    "finish",
    "for_user",
    "get",
    "heartbeat",
    "requeue",
    "retrying",
    "stalled",
]

JOBS = "jobs"
#: States of a job that has not ended.
ACTIVE = ("queued", "running", "retrying")
#: A running job whose last heartbeat is older than this is taken to have lost its worker.
STALE_AFTER = timedelta(seconds=60)


def _now() -> datetime:
    return datetime.now(UTC)


def create(
    store: Store,
    *,
    kind: str,
    user_id: bson.ObjectId,
    username: str,
    title: str,
    params: Mapping[str, Any] | None = None,
) -> bson.ObjectId:
    """Record a new ``queued`` job and return its id (enqueue it after this)."""
    job_id = bson.ObjectId()
    store.insert_many(
        JOBS,
        [
            {
                "_id": job_id,
                "kind": kind,
                "userId": user_id,
                "username": username,
                "title": title,
                "params": dict(params or {}),
                "state": "queued",
                "stage": "Waiting for a worker",
                "progress": {"done": 0, "total": None},
                "counts": {},
                "attempts": 0,
                "createdAt": _now(),
            }
        ],
    )
    return job_id


def get(
    store: Store, job_id: bson.ObjectId, *, user_id: bson.ObjectId | None = None
) -> dict | None:
    """The job, or None; with ``user_id`` only if that user owns it."""
    query: dict[str, Any] = {"_id": {"$eq": job_id}}
    if user_id is not None:
        query["userId"] = {"$eq": user_id}
    found = store.find(JOBS, query, limit=1)
    return found[0] if found else None


def for_user(
    store: Store, user_id: bson.ObjectId, *, kind: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The user's jobs, newest first."""
    query: dict[str, Any] = {"userId": {"$eq": user_id}}
    if kind is not None:
        query["kind"] = {"$eq": kind}
    return store.find(JOBS, query, sort=[("createdAt", -1)], limit=limit)


def claim(
    store: Store,
    job_id: bson.ObjectId,
    *,
    worker: str,
    token: str = "",
    now: datetime | None = None,
) -> bool:
    """Mark the job ``running`` for ``worker`` if it is waiting, or running with a stale
    heartbeat; False when it has ended or another live worker has it. ``token`` names this
    attempt: the attempt's later updates change the job only while it still holds it, so a worker
    that lost its claim (it stalled for a minute) cannot overwrite the one that took over."""
    now = now or _now()
    waiting = {"state": {"$in": ["queued", "retrying"]}}
    lost = {"state": "running", "heartbeatAt": {"$lt": now - STALE_AFTER}}
    changed = store.update_many(
        JOBS,
        {"_id": {"$eq": job_id}, "$or": [waiting, lost]},
        {
            "$set": {
                "state": "running",
                "worker": worker,
                "claim": token,
                "startedAt": now,
                "heartbeatAt": now,
                "error": None,
            },
            "$inc": {"attempts": 1},
        },
    )
    return changed == 1


def _held(job_id: bson.ObjectId, token: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"_id": {"$eq": job_id}}
    if token is not None:
        query["claim"] = {"$eq": token}
    return query


def heartbeat(
    store: Store,
    job_id: bson.ObjectId,
    *,
    stage: str,
    done: int = 0,
    total: int | None = None,
    token: str | None = None,
) -> None:
    """Record progress (and that the worker is alive)."""
    store.update_many(
        JOBS,
        {**_held(job_id, token), "state": "running"},
        {
            "$set": {
                "stage": stage,
                "progress": {"done": int(done), "total": total},
                "heartbeatAt": _now(),
            }
        },
    )


def _end(
    store: Store, job_id: bson.ObjectId, token: str | None, fields: Mapping[str, Any]
) -> None:
    """Record how the job ended (only while ``token`` still holds it)."""
    store.update_many(JOBS, _held(job_id, token), {"$set": {**fields, "finishedAt": _now()}})


def finish(
    store: Store,
    job_id: bson.ObjectId,
    *,
    counts: Mapping[str, int],
    result: Mapping[str, Any] | None = None,
    token: str | None = None,
) -> None:
    """The job ended well: its counts and result (what the page shows at the end)."""
    fields = {"state": "done", "stage": "Finished", "counts": dict(counts),
              "result": dict(result or {}), "heartbeatAt": _now()}  # fmt: skip
    _end(store, job_id, token, fields)


def requeue(
    store: Store, job_id: bson.ObjectId, *, stage: str, token: str | None = None
) -> None:
    """Put a claimed job back to ``queued`` (it waits for another job), returning its attempt."""
    store.update_many(
        JOBS,
        {**_held(job_id, token), "state": "running"},
        {"$set": {"state": "queued", "stage": stage}, "$inc": {"attempts": -1}},
    )


def active_before(
    store: Store, job: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any] | None:
    """An older job of the same kind and user that has not ended (waiting, or running on a live
    worker), if any: jobs of one user that must not overlap (imports) run in the order asked."""
    now = now or _now()
    found = store.find(
        JOBS,
        {
            "kind": {"$eq": job["kind"]},
            "userId": {"$eq": job["userId"]},
            "_id": {"$lt": job["_id"]},
            "$or": [
                {"state": {"$in": ["queued", "retrying"]}},
                {"state": "running", "heartbeatAt": {"$gte": now - STALE_AFTER}},
            ],
        },
        sort=[("_id", 1)],
        limit=1,
    )
    return found[0] if found else None


def retrying(
    store: Store, job_id: bson.ObjectId, *, error: str, token: str | None = None
) -> None:
    """An attempt hit a transient fault; the queue will try again."""
    store.update_many(
        JOBS,
        _held(job_id, token),
        {"$set": {"state": "retrying", "stage": "Waiting to try again", "error": error}},
    )


def fail(
    store: Store,
    job_id: bson.ObjectId,
    *,
    error: str,
    result: Mapping[str, Any] | None = None,
    token: str | None = None,
) -> None:
    """The job ended without doing its work (bad input, or out of retries)."""
    fields = {"state": "failed", "stage": "Failed", "error": error, "result": dict(result or {})}
    _end(store, job_id, token, fields)


def stalled(store: Store, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Jobs that were running when their worker stopped (no heartbeat for :data:`STALE_AFTER`),
    and jobs still queued from before: what a starting worker puts back on the queue."""
    now = now or _now()
    return store.find(
        JOBS,
        {
            "$or": [
                {"state": "running", "heartbeatAt": {"$lt": now - STALE_AFTER}},
                {"state": {"$in": ["queued", "retrying"]}, "createdAt": {"$lt": now - STALE_AFTER}},
            ]
        },
        sort=[("createdAt", 1)],
    )
