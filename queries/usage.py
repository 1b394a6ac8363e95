"""Product usage over all users: activity, sign-ups, first expenses, API route families, segments.

Every function spans users, so it calls :func:`require_roles` (product, or admin) first and returns
a :class:`Query` cached under the ``"global"`` scope. Days and periods are UTC: the period's local
days are taken in its own zone by :meth:`Period.utc_bounds`, and the usage page builds its periods
in ``"UTC"``. A user is *active* on a UTC day when they make an API request (``userId`` not null)
or create an expense (``expenses.createdAt``, soft-deleted ones included: creating one was
activity). Rolling counts, joins and cohorts are computed from these results in
:mod:`dashboard.usage`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dashboard.auth.models import AuthUser
from dashboard.periods import Period
from queries.base import Query
from queries.scope import require_roles

__all__ = [
    "ACTIVATION_DAYS",
    "LOOKBACK_DAYS",
    "active_days",
    "first_expenses",
    "new_users",
    "route_families",
    "user_segments",
]

#: Days of activity read before the period, so the first day's 30-day window (MAU) is complete.
LOOKBACK_DAYS = 29
#: A sign-up is activated by an expense created at most this many UTC days after the sign-up day.
ACTIVATION_DAYS = 7

_INSTANT = pl.Datetime("ms", "UTC")


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


def active_days(user: AuthUser, period: Period) -> Query:
    """Distinct ``(day, userId)`` pairs of activity, from 29 days before the period to its end.

    ``day`` is the UTC midnight of the day. Each collection is reduced to its distinct pairs before
    the union, so only those cross ``$unionWith``; the last ``$group`` merges the two sets.
    """
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    lo -= dt.timedelta(days=LOOKBACK_DAYS)
    expenses = [
        {"$match": {"createdAt": {"$gte": lo, "$lt": hi}}},
        {"$group": {"_id": {"day": _utc_day("$createdAt"), "userId": "$userId"}}},
    ]
    pipeline = [
        {"$match": {"ts": {"$gte": lo, "$lt": hi}, "userId": {"$ne": None}}},
        {"$group": {"_id": {"day": _utc_day("$ts"), "userId": "$userId"}}},
        {"$unionWith": {"coll": "expenses", "pipeline": expenses}},
        {"$group": {"_id": "$_id"}},
        {"$project": {"_id": 0, "day": "$_id.day", "userId": "$_id.userId"}},
    ]
    schema = {"day": _INSTANT, "userId": pl.String}
    return _query("active_days", "api_requests", pipeline, schema)


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
    (logins and health checks are anonymous: a family can have requests and no users). Grouping by
    route and user first keeps ``$split`` off the raw requests. Most requests first.
    """
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    family = {"$ifNull": [{"$arrayElemAt": [{"$split": ["$_id.route", "/"]}, 2]}, "other"]}
    anonymous = {"$eq": [{"$ifNull": ["$_id.userId", None]}, None]}
    pipeline = [
        {"$match": {"ts": {"$gte": lo, "$lt": hi}}},
        {"$group": {"_id": {"route": "$route", "userId": "$userId"}, "requests": {"$sum": 1}}},
        {
            "$group": {
                "_id": {"family": family, "userId": "$_id.userId"},
                "requests": {"$sum": "$requests"},
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
    return _query("route_families", "api_requests", pipeline, schema)


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
