"""Upkeep of the daily rollups that the product pages read instead of the raw request log.

A rollup is a collection of per-UTC-day documents computed from ``api_requests`` (and, for
activity, ``expenses``) and written with ``$merge``, so a year of figures reads a few hundred
thousand small documents instead of millions of requests (docs/product-dashboards.md):

- :data:`LATENCY`: latency and DB-time histograms per day and route (``api_latency_daily``);
- :data:`ACTIVITY`: one document per day and user with their requests, expenses and route
  families (``user_activity_daily``).

:func:`refresh_rollup` brings one up to date at most every 5 minutes per store and process: it
recounts from the day before the rollup's newest day to today, or rebuilds the rollup when it is
empty or the last day it does not recount disagrees with the request log (a reseed). It assumes the
log is append-only and written in time order.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

import polars as pl

import bson

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from dashboard.store import Store
from queries import usage
from queries import system
from queries.base import Query

__all__ = [
    "ACTIVITY",
    "LATENCY",
    "ROLLUPS",
    "Rollup",
    "build_rollups",
    "forget_user",
    "refresh_rollup",
]

#: A rollup is brought up to date at most this often per store and process (seconds; the
#: "recent" cache lifetime's default) ...
ROLLUP_EVERY_S = 300.0
#: ... and (re)built in aggregations of at most this many days each.
ROLLUP_CHUNK_DAYS = 31

Outcome = Literal["skipped", "started", "refreshed", "rebuilt", "failed"]
_DAY = dt.timedelta(days=1)
_REFRESH_LOCK = threading.Lock()  # guards _REFRESHED
_REBUILD_LOCK = threading.Lock()  # one refresh at a time, of any rollup
_REFRESHED: weakref.WeakKeyDictionary[Store, dict[str, float]] = weakref.WeakKeyDictionary()
log = logging.getLogger("spendlens.rollups")


@dataclass(frozen=True)
class Rollup:
    """A daily rollup: its collection, the query of how many requests it holds per day, the
    ``$merge`` pipeline that recounts the days ``[since, until)``, and the ``(collection, time
    field)`` of each source, whose earliest document is where a rebuild starts."""

    collection: str
    days: Callable[[AuthUser], Query]
    recount: Callable[..., Query]
    sources: tuple[tuple[str, str], ...] = (("api_requests", "ts"),)


LATENCY = Rollup(system.ROLLUP, system.rollup_days, system.rollup_refresh)
ACTIVITY = Rollup(
    usage.ACTIVITY,
    usage.activity_days,
    usage.activity_refresh,
    sources=(("api_requests", "ts"), ("expenses", "createdAt")),
)
ROLLUPS = (LATENCY, ACTIVITY)


def _midnight(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def refresh_rollup(
    runner: Runner,
    user: AuthUser,
    rollup: Rollup,
    *,
    now: dt.datetime,
    force: bool = False,
    wait: bool = False,
) -> Outcome:
    """Bring ``rollup`` up to date if its last refresh in this process is over 5 minutes old.

    An empty rollup is built at once (the page needs it); other work runs in a background thread
    unless ``wait``. Returns what happened; a failure is logged and the pages read the rollup as
    it is.
    """
    with _REFRESH_LOCK:
        done = _REFRESHED.setdefault(runner.store, {})
        if not force and time.monotonic() - done.get(rollup.collection, -math.inf) < ROLLUP_EVERY_S:
            return "skipped"
        done[rollup.collection] = time.monotonic()
    if wait or not runner.store.find(rollup.collection, {}, projection={"_id": 1}, limit=1):
        return _refresh(runner, user, rollup, now)
    args = (runner, user, rollup, now)
    threading.Thread(target=_refresh, args=args, name="rollup-refresh", daemon=True).start()
    return "started"


def build_rollups(
    runner: Runner, user: AuthUser, *, now: dt.datetime | None = None
) -> dict[str, Outcome]:
    """Bring every rollup up to date now, in this thread (after a seed, or from the CLI)."""
    now = now or dt.datetime.now(dt.UTC)
    return {
        r.collection: refresh_rollup(runner, user, r, now=now, force=True, wait=True)
        for r in ROLLUPS
    }


def _recount_from(store: Store, days: pl.DataFrame, now: dt.datetime) -> dt.datetime | None:
    """The day before the rollup's newest; None (rebuild) when it is empty or the day before
    that, which a refresh does not recount, holds another number of requests than the log."""
    if days.height == 0:
        return None
    since = min(days["day"].max(), _midnight(now)) - _DAY
    rolled = days.filter(pl.col("day") == since - _DAY)["requests"].sum()
    logged = store.count_documents("api_requests", {"ts": {"$gte": since - _DAY, "$lt": since}})
    return since if rolled == logged else None


def _first_day(store: Store, rollup: Rollup) -> dt.datetime | None:
    """The UTC midnight of the earliest document of the rollup's sources (None: no documents)."""
    firsts = []
    for collection, field in rollup.sources:
        rows = store.find(
            collection, {field: {"$ne": None}}, projection={field: 1}, sort=[(field, 1)], limit=1
        )
        firsts += [_midnight(row[field]) for row in rows]
    return min(firsts, default=None)


def _chunks(start: dt.datetime, until: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    step = _DAY * ROLLUP_CHUNK_DAYS
    while start < until:
        yield start, min(start + step, until)
        start += step


def _refresh(runner: Runner, user: AuthUser, rollup: Rollup, now: dt.datetime) -> Outcome:
    store, until = runner.store, _midnight(now) + _DAY
    try:
        with _REBUILD_LOCK:
            query = rollup.days(user)
            days = store.aggregate_frame(
                query.collection, query.pipeline, schema=query.schema, comment=query.name
            )
            start = since = _recount_from(store, days, now)
            if since is None:
                store.drop_collection(rollup.collection)
                store.create_index(rollup.collection, [("day", 1)])
                start = _first_day(store, rollup) or until
            for lo, hi in _chunks(start, until):
                query = rollup.recount(user, since=lo, until=hi)
                max_ms = runner.settings.max_time_ms
                store.aggregate(
                    query.collection, query.pipeline, comment=query.name, max_time_ms=max_ms
                )
            if since is None:
                runner.cache.invalidate("global")
            return "refreshed" if since else "rebuilt"
    except Exception:  # a stale rollup must not take the page down
        log.exception("refreshing %s failed", rollup.collection)
        return "failed"


def forget_user(store: Store, user_id: bson.ObjectId, *, max_time_ms: int | None = None) -> int:
    """Delete the user's rows of every rollup keyed by user (a confirmed account deletion), then
    recount the days they were active so the anonymous rows include their (anonymised) requests.

    Call it after the user's requests lost their ``userId`` and their expenses were deleted: the
    recount reads those. Returns how many rollup rows were deleted.
    """
    with _REBUILD_LOCK:  # not between a background refresh's read and its $merge
        rows = store.find(
            ACTIVITY.collection, {"userId": {"$eq": user_id}}, projection={"day": 1}
        )
        if not rows:
            return 0
        deleted = store.delete_many(ACTIVITY.collection, {"userId": {"$eq": user_id}})
        days = [_midnight(row["day"]) for row in rows if row.get("day") is not None]
        if days:
            query = ACTIVITY.recount(_ROLLUP_USER, since=min(days), until=max(days) + _DAY)
            store.aggregate(
                query.collection, query.pipeline, comment=query.name, max_time_ms=max_time_ms
            )
    log.info("deleted %d %s rows of a deleted account", deleted, ACTIVITY.collection)
    return deleted


#: Who recounts after a deletion: the rollup's own queries need the product role.
_ROLLUP_USER = AuthUser(
    id=bson.ObjectId("0" * 24), username="rollups", name="rollups", email=None, roles=("product",)
)
