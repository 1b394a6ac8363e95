"""Product usage over all users: active users, sign-ups, first expenses, retention, route families.

Every function spans users, so it calls :func:`require_roles` (product, or admin) first and returns
a :class:`Query` cached under the ``"global"`` scope. Days and periods are UTC: the usage page
builds its periods in ``"UTC"``, so :meth:`Period.utc_bounds` are midnights. A user is *active* on
a UTC day when they make an API request (``userId`` not null) or create an expense
(``expenses.createdAt``, soft-deleted ones included: creating one was activity).

Activity is read from the daily rollup :data:`ACTIVITY` (one document per UTC day and user, kept
up to date with ``$merge`` by :func:`activity_refresh`; the upkeep is :mod:`dashboard.rollups`), so
a year reads about a million small documents instead of every request, and each query returns a
small result: change points of the rolling counts, distinct active users, cohort cells, families.

How the rolling counts work (:func:`active_counts`). A user active on day ``a`` counts in the
``w``-day window of every day from ``a`` until ``a + w`` or their next active day, whichever comes
first; these spans never overlap, so the number of distinct users in the window of day ``d`` is
the number of spans started by ``d`` minus those ended by ``d``. The pipeline finds each active
day's next one with ``$shift``, counts span starts and ends per day in a ``$facet``, and running
sums give WAU and MAU on every day where either changes; DAU is the day's starts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from queries.base import Query
from queries.scope import require_roles

__all__ = [
    "ACTIVATION_DAYS",
    "ACTIVITY",
    "LOOKBACK_DAYS",
    "MAU_DAYS",
    "WAU_DAYS",
    "WEEKDAYS",
    "active_counts",
    "active_users",
    "activity_days",
    "activity_refresh",
    "cohort_activity",
    "first_expenses",
    "new_users",
    "route_families",
    "user_segments",
]

#: The trailing windows of WAU and MAU, in days (DAU's is the day itself).
WAU_DAYS, MAU_DAYS = 7, 30
#: Days of activity read before the period, so the first day's 30-day window (MAU) is complete.
LOOKBACK_DAYS = MAU_DAYS - 1
#: A sign-up is activated by an expense created at most this many UTC days after the sign-up day.
ACTIVATION_DAYS = 7

#: The daily activity rollup: ``{_id: {day, userId}, day, userId, requests, expenses, families:
#: [{family, requests}], signedUp}``; anonymous requests are one document per day, userId null.
ACTIVITY = "user_activity_daily"
#: ``$dateTrunc``'s ``startOfWeek`` for ISO weekday 1..7 (``AuthUser.week_start``).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_INSTANT = pl.Datetime("ms", "UTC")
_SIGNED_IN = {"$ne": None}


def _query(
    name: str,
    collection: str,
    pipeline: list[dict[str, Any]],
    schema: dict[str, pl.DataType],
    *,
    family: str = "statistics",
) -> Query:
    return Query(
        name=f"usage.{name}",
        collection=collection,
        pipeline=pipeline,
        schema=schema,
        family=family,
        scope="global",
    )


def _utc_day(field: str) -> dict[str, Any]:
    return {"$dateTrunc": {"date": field, "unit": "day", "timezone": "UTC"}}


def _family(route: str) -> dict[str, Any]:
    """A route's family: its second path segment (``/api/expenses/:id`` → ``expenses``)."""
    return {"$ifNull": [{"$arrayElemAt": [{"$split": [route, "/"]}, 2]}, "other"]}


def activity_refresh(user: AuthUser, *, since: dt.datetime | None, until: dt.datetime) -> Query:
    """Recount the UTC days in ``[since, until)`` (all days before ``until`` without ``since``)
    and ``$merge`` them into :data:`ACTIVITY`, one document per day and user.

    Requests are grouped by route before ``$split`` names their family, so the split runs once
    per day, user and route. Expenses add their creation day; the user's sign-up instant is copied
    in (``signedUp``) so that retention cohorts need no join at read time. Run it with
    ``store.aggregate`` (it returns nothing and must not be cached).
    """
    require_roles(user, "product")
    bounds = {"$lt": until} if since is None else {"$gte": since, "$lt": until}
    expenses = [
        {"$match": {"createdAt": bounds}},
        {"$group": {"_id": {"day": _utc_day("$createdAt"), "userId": "$userId"}, "n": {"$sum": 1}}},
        {"$project": {"requests": {"$literal": 0}, "expenses": "$n", "families": {"$literal": []}}},
    ]
    day_user = {"day": "$_id.day", "userId": "$_id.userId"}
    pipeline = [
        {"$match": {"ts": bounds}},
        {
            "$group": {
                "_id": {"day": _utc_day("$ts"), "userId": "$userId", "route": "$route"},
                "n": {"$sum": 1},
            }
        },
        {"$group": {"_id": {**day_user, "family": _family("$_id.route")}, "n": {"$sum": "$n"}}},
        {
            "$group": {
                "_id": day_user,
                "requests": {"$sum": "$n"},
                "families": {"$push": {"family": "$_id.family", "requests": "$n"}},
            }
        },
        {"$set": {"expenses": 0}},
        {"$unionWith": {"coll": "expenses", "pipeline": expenses}},
        {
            "$group": {
                "_id": "$_id",
                "requests": {"$sum": "$requests"},
                "expenses": {"$sum": "$expenses"},
                "families": {"$push": "$families"},
            }
        },
        {
            "$lookup": {
                "from": "users",
                "localField": "_id.userId",
                "foreignField": "_id",
                "as": "u",
            }
        },
        {
            "$project": {
                "day": "$_id.day",
                "userId": "$_id.userId",
                "requests": 1,
                "expenses": 1,
                "families": {
                    "$reduce": {
                        "input": "$families",
                        "initialValue": [],
                        "in": {"$concatArrays": ["$$value", "$$this"]},
                    }
                },
                "signedUp": {"$arrayElemAt": ["$u.createdAt", 0]},
            }
        },
        {"$merge": {"into": ACTIVITY, "on": "_id", "whenMatched": "replace"}},
    ]
    return _query("activity_refresh", "api_requests", pipeline, None)


def activity_days(user: AuthUser) -> Query:
    """How many requests :data:`ACTIVITY` holds per UTC day, oldest first (to find what is stale)."""
    require_roles(user, "product")
    pipeline = [
        {"$group": {"_id": "$day", "requests": {"$sum": "$requests"}}},
        {"$project": {"_id": 0, "day": "$_id", "requests": 1}},
        {"$sort": {"day": 1}},
    ]
    schema = {"day": _INSTANT, "requests": pl.Int64}
    return _query("activity_days", ACTIVITY, pipeline, schema)


def _days_match(lo: dt.datetime, hi: dt.datetime, **more: Any) -> dict[str, Any]:
    return {"$match": {"day": {"$gte": lo, "$lt": hi}, "userId": _SIGNED_IN, **more}}


def _count_by(key: Any) -> list[dict[str, Any]]:
    return [{"$group": {"_id": key, "n": {"$sum": 1}}}]


def _tagged(facet: str, **counts: Any) -> dict[str, Any]:
    steps = {"starts": 0, "wau_ends": 0, "mau_ends": 0, **counts}
    return {"$map": {"input": f"${facet}", "in": {"day": "$$this._id", **steps}}}


def active_counts(user: AuthUser, period: Period) -> Query:
    """``day, dau, wau, mau`` on every UTC day where a span starts or ends, from 29 days before
    the period to 30 days after its last activity (see the module docstring). On a day without a
    row, DAU is 0 and WAU and MAU are those of the last row before it."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    lo -= dt.timedelta(days=LOOKBACK_DAYS)

    def span_end(days: int) -> dict[str, Any]:
        end = {"$dateAdd": {"startDate": "$day", "unit": "day", "amount": days}}
        return {"$min": [end, "$next"]}

    next_day = {"$shift": {"output": "$day", "by": 1}}
    spans = {"starts": _count_by("$day"), "wau": _count_by(span_end(WAU_DAYS))}
    running = {"documents": ["unbounded", "current"]}
    pipeline = [
        _days_match(lo, hi),
        {
            "$setWindowFields": {
                "partitionBy": "$userId",
                "sortBy": {"day": 1},
                "output": {"next": next_day},
            }
        },
        {"$facet": {**spans, "mau": _count_by(span_end(MAU_DAYS))}},
        {
            "$project": {
                "steps": {
                    "$concatArrays": [
                        _tagged("starts", starts="$$this.n"),
                        _tagged("wau", wau_ends="$$this.n"),
                        _tagged("mau", mau_ends="$$this.n"),
                    ]
                }
            }
        },
        {"$unwind": "$steps"},
        {
            "$group": {
                "_id": "$steps.day",
                "dau": {"$sum": "$steps.starts"},
                "wau": {"$sum": {"$subtract": ["$steps.starts", "$steps.wau_ends"]}},
                "mau": {"$sum": {"$subtract": ["$steps.starts", "$steps.mau_ends"]}},
            }
        },
        {
            "$setWindowFields": {
                "sortBy": {"_id": 1},
                "output": {
                    "wau": {"$sum": "$wau", "window": running},
                    "mau": {"$sum": "$mau", "window": running},
                },
            }
        },
        {"$project": {"_id": 0, "day": "$_id", "dau": 1, "wau": 1, "mau": 1}},
        {"$sort": {"day": 1}},
    ]
    schema = {"day": _INSTANT, "dau": pl.Int64, "wau": pl.Int64, "mau": pl.Int64}
    return _query("active_counts", ACTIVITY, pipeline, schema)


def active_users(user: AuthUser, period: Period) -> Query:
    """The distinct users active in the period (``userId``), for counts and segments."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    pipeline = [
        _days_match(lo, hi),
        {"$group": {"_id": "$userId"}},
        {"$project": {"_id": 0, "userId": "$_id"}},
        {"$sort": {"userId": 1}},
    ]
    return _query("active_users", ACTIVITY, pipeline, {"userId": pl.String})


def cohort_activity(user: AuthUser, period: Period, *, week_start: int = 1) -> Query:
    """``cohort, week, active``: for the users who signed up in the period, grouped by sign-up week
    (``cohort``, its first day), how many were active in each week (``week``, its first day) of
    the period. Weeks start on ISO weekday ``week_start`` (1 = Monday), in UTC."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()

    def week(field: str) -> dict[str, Any]:
        start = WEEKDAYS[week_start - 1]
        return {
            "$dateTrunc": {"date": field, "unit": "week", "timezone": "UTC", "startOfWeek": start}
        }

    key = {"userId": "$userId", "cohort": week("$signedUp"), "week": week("$day")}
    cell = {"cohort": "$_id.cohort", "week": "$_id.week"}
    pipeline = [
        _days_match(lo, hi, signedUp={"$gte": lo, "$lt": hi}),
        {"$group": {"_id": key}},
        {"$group": {"_id": cell, "active": {"$sum": 1}}},
        {"$project": {"_id": 0, "cohort": "$_id.cohort", "week": "$_id.week", "active": 1}},
        {"$sort": {"cohort": 1, "week": 1}},
    ]
    schema = {"cohort": _INSTANT, "week": _INSTANT, "active": pl.Int64}
    return _query("cohort_activity", ACTIVITY, pipeline, schema)


def new_users(user: AuthUser, period: Period) -> Query:
    """The users who signed up in the period, with their sign-up instant, earliest first."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    pipeline = [
        {"$match": {"createdAt": {"$gte": lo, "$lt": hi}}},
        {"$project": {"_id": 0, "userId": "$_id", "signedUpAt": "$createdAt"}},
        {"$sort": {"signedUpAt": 1, "userId": 1}},
    ]
    schema = {"userId": pl.String, "signedUpAt": _INSTANT}
    return _query("new_users", "users", pipeline, schema)


def first_expenses(user: AuthUser, period: Period) -> Query:
    """Each user's first expense created from the period's start until 7 days after its end.

    That covers the activation window of everyone who signed up in the period; the join with
    :func:`new_users` happens in Polars.
    """
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    hi += dt.timedelta(days=ACTIVATION_DAYS)
    pipeline = [
        {"$match": {"createdAt": {"$gte": lo, "$lt": hi}}},
        {"$group": {"_id": "$userId", "firstExpenseAt": {"$min": "$createdAt"}}},
        {"$project": {"_id": 0, "userId": "$_id", "firstExpenseAt": 1}},
    ]
    schema = {"userId": pl.String, "firstExpenseAt": _INSTANT}
    return _query("first_expenses", "expenses", pipeline, schema)


def route_families(user: AuthUser, period: Period) -> Query:
    """Requests and distinct signed-in users per route family (a route's second path segment).

    ``/api/expenses/:id`` and ``/api/expenses/stats`` are family ``expenses``, ``/api/auth/login``
    is ``auth``; a route without a second segment is ``other``. Every request in the period counts
    (logins and health checks are anonymous: a family can have requests and no users). Read from
    the families that :data:`ACTIVITY` keeps per day and user. Most requests first.
    """
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    anonymous = {"$eq": [{"$ifNull": ["$_id.userId", None]}, None]}
    pipeline = [
        {"$match": {"day": {"$gte": lo, "$lt": hi}}},
        {"$unwind": "$families"},
        {
            "$group": {
                "_id": {"family": "$families.family", "userId": "$userId"},
                "requests": {"$sum": "$families.requests"},
            }
        },
        {
            "$group": {
                "_id": "$_id.family",
                "requests": {"$sum": "$requests"},
                "users": {"$sum": {"$cond": [anonymous, 0, 1]}},
            }
        },
        {"$project": {"_id": 0, "family": "$_id", "requests": 1, "users": 1}},
        {"$sort": {"requests": -1, "family": 1}},
    ]
    schema = {"family": pl.String, "requests": pl.Int64, "users": pl.Int64}
    return _query("route_families", ACTIVITY, pipeline, schema)


def user_segments(user: AuthUser) -> Query:
    """Every user's currency and region (the first part of their IANA zone: ``Europe``, ``UTC``)."""
    require_roles(user, "product")
    zone = {"$ifNull": ["$timezone", "UTC"]}
    pipeline = [
        {
            "$project": {
                "_id": 0,
                "userId": "$_id",
                "currency": {"$ifNull": ["$currency", "Unknown"]},
                "region": {"$arrayElemAt": [{"$split": [zone, "/"]}, 0]},
            }
        },
    ]
    schema = {"userId": pl.String, "currency": pl.String, "region": pl.String}
    return _query("user_segments", "users", pipeline, schema, family="profile")
