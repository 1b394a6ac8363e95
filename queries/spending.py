"""One user's spending: totals, categories, time buckets, weekdays and hours, transactions.

Every function takes the signed-in :class:`AuthUser` and a :class:`Period` and returns a
:class:`Query` whose first stage is :func:`own_expenses` (the user's own, not soft-deleted
expenses, in the period's UTC bounds) joined with :func:`~queries.validity.valid_expense` (an
expense with a missing, NaN, infinite or huge amount, or no category, currency or date, is left
out; :func:`left_out` counts those). Grouping by day, week or month happens inside the pipeline in
the user's time zone (``$dateTrunc`` with ``timezone`` and ``startOfWeek``), so a late-evening
expense in Los Angeles counts on its local day, and weeks and months follow DST.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from queries.base import Query
from queries.scope import literal, literal_in, own_expenses
from queries.validity import (
    ANY_SCHEMA,
    COUNT_SCHEMA,
    any_pipeline,
    count_pipeline,
    valid_expense,
)

__all__ = [
    "WEEKDAYS",
    "Unit",
    "any_left_out",
    "by_category",
    "by_category_over_time",
    "by_hour",
    "by_weekday",
    "categories",
    "expense_rows",
    "first_day",
    "left_out",
    "over_time",
    "top_descriptions",
    "totals",
]

Unit = Literal["day", "week", "month"]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_BUCKET = pl.Datetime("ms", "UTC")


def _first_stage(
    user: AuthUser, period: Period, categories: Sequence[str] = (), **more: Any
) -> dict[str, Any]:
    lo, hi = period.utc_bounds()
    conditions: dict[str, Any] = {"date": {"$gte": lo, "$lt": hi}}
    if categories:
        conditions["category"] = literal_in(categories)
    return own_expenses(user, **conditions, **more, **valid_expense())


def _query(
    name: str, user: AuthUser, pipeline: list[dict[str, Any]], schema: dict[str, Any]
) -> Query:
    return Query(
        name=f"spending.{name}",
        collection="expenses",
        pipeline=pipeline,
        schema=schema,
        scope=user.scope,
    )


def totals(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """Total spent, number of expenses and the largest expense in the period (no row if none)."""
    pipeline = [
        _first_stage(user, period, categories),
        {
            "$group": {
                "_id": None,
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
                "largest": {"$max": "$amount"},
            }
        },
        {"$project": {"_id": 0}},
    ]
    schema = {"total": pl.Float64, "count": pl.Int64, "largest": pl.Float64}
    return _query("totals", user, pipeline, schema)


def by_category(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """Total and count per category, largest first."""
    pipeline = [
        _first_stage(user, period, categories),
        {"$group": {"_id": "$category", "total": {"$sum": "$amount"}, "count": {"$sum": 1}}},
        {"$project": {"_id": 0, "category": "$_id", "total": 1, "count": 1}},
        {"$sort": {"total": -1, "category": 1}},
    ]
    return _query(
        "by_category",
        user,
        pipeline,
        {"category": pl.String, "total": pl.Float64, "count": pl.Int64},
    )


def _trunc(user: AuthUser, unit: Unit, week_start: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"date": "$date", "unit": unit, "timezone": user.timezone}
    if unit == "week":
        spec["startOfWeek"] = week_start
    return {"$dateTrunc": spec}


def over_time(
    user: AuthUser,
    period: Period,
    *,
    unit: Unit,
    categories: Sequence[str] = (),
    week_start: str = "monday",
) -> Query:
    """Total per local day, week or month (``bucket`` = the bucket's first instant, in UTC)."""
    pipeline = [
        _first_stage(user, period, categories),
        {
            "$group": {
                "_id": _trunc(user, unit, week_start),
                "total": {"$sum": "$amount"},
                "count": {"$sum": 1},
            }
        },
        {"$project": {"_id": 0, "bucket": "$_id", "total": 1, "count": 1}},
        {"$sort": {"bucket": 1}},
    ]
    schema = {"bucket": _BUCKET, "total": pl.Float64, "count": pl.Int64}
    return _query(f"over_time.{unit}", user, pipeline, schema)


def by_category_over_time(
    user: AuthUser,
    period: Period,
    *,
    unit: Unit,
    categories: Sequence[str] = (),
    week_start: str = "monday",
) -> Query:
    """Total per category and local day, week or month."""
    pipeline = [
        _first_stage(user, period, categories),
        {
            "$group": {
                "_id": {"bucket": _trunc(user, unit, week_start), "category": "$category"},
                "total": {"$sum": "$amount"},
            }
        },
        {"$project": {"_id": 0, "bucket": "$_id.bucket", "category": "$_id.category", "total": 1}},
        {"$sort": {"bucket": 1, "category": 1}},
    ]
    schema = {"bucket": _BUCKET, "category": pl.String, "total": pl.Float64}
    return _query(f"by_category_over_time.{unit}", user, pipeline, schema)


def _by_local_part(
    user: AuthUser, period: Period, categories: Sequence[str], *, operator: str, column: str
) -> Query:
    """Total per value of a date part (``$isoDayOfWeek``, ``$hour``) in the user's time zone."""
    part = {operator: {"date": "$date", "timezone": user.timezone}}
    pipeline = [
        _first_stage(user, period, categories),
        {"$group": {"_id": part, "total": {"$sum": "$amount"}, "count": {"$sum": 1}}},
        {"$project": {"_id": 0, column: "$_id", "total": 1, "count": 1}},
        {"$sort": {column: 1}},
    ]
    schema = {column: pl.Int8, "total": pl.Float64, "count": pl.Int64}
    return _query(f"by_{column}", user, pipeline, schema)


def by_weekday(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """Total per local ISO weekday (1 = Monday … 7 = Sunday)."""
    return _by_local_part(user, period, categories, operator="$isoDayOfWeek", column="weekday")


def by_hour(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """Total per local hour of day (0–23)."""
    return _by_local_part(user, period, categories, operator="$hour", column="hour")


def top_descriptions(user: AuthUser, period: Period, *, category: str, limit: int = 10) -> Query:
    """The descriptions the user spent most on in one category."""
    pipeline = [
        _first_stage(user, period, (), category=literal(category)),
        {"$group": {"_id": "$description", "total": {"$sum": "$amount"}, "count": {"$sum": 1}}},
        {"$sort": {"total": -1, "_id": 1}},
        {"$limit": int(limit)},
        {"$project": {"_id": 0, "description": "$_id", "total": 1, "count": 1}},
    ]
    return _query(
        "top_descriptions",
        user,
        pipeline,
        {"description": pl.String, "total": pl.Float64, "count": pl.Int64},
    )


def expense_rows(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """The period's expenses, one row each (for the insights detectors)."""
    pipeline = [
        _first_stage(user, period, categories),
        {"$sort": {"date": 1}},
        {
            "$project": {
                "_id": 0,
                "id": {"$toString": "$_id"},
                "date": 1,
                "category": 1,
                "description": 1,
                "amount": 1,
            }
        },
    ]
    schema = {
        "id": pl.String,
        "date": _BUCKET,
        "category": pl.String,
        "description": pl.String,
        "amount": pl.Float64,
    }
    return _query("expense_rows", user, pipeline, schema)


def categories(user: AuthUser) -> Query:
    """Every category the user has spent in, for the filters."""
    pipeline = [
        own_expenses(user, **valid_expense()),
        {"$group": {"_id": "$category"}},
        {"$sort": {"_id": 1}},
        {"$project": {"_id": 0, "category": "$_id"}},
    ]
    return replace(_query("categories", user, pipeline, {"category": pl.String}), family="profile")


def first_day(user: AuthUser) -> Query:
    """The local day (``first``, its first instant in UTC) of the user's earliest usable expense;
    no row without one. Comparisons say "no data before …" for periods before it."""
    pipeline = [
        own_expenses(user, **valid_expense()),
        {"$group": {"_id": None, "first": {"$min": "$date"}}},
        {
            "$project": {
                "_id": 0,
                "first": {
                    "$dateTrunc": {"date": "$first", "unit": "day", "timezone": user.timezone}
                },
            }
        },
        {"$match": {"first": {"$ne": None}}},
    ]
    return replace(_query("first_day", user, pipeline, {"first": _BUCKET}), family="profile")


def any_left_out(user: AuthUser) -> Query:
    """One row if any of the user's expenses is left out as unusable, whatever the period; none
    otherwise (then :func:`left_out` need not run)."""
    return _query("any_left_out", user, any_pipeline(own_expenses(user)), dict(ANY_SCHEMA))


def left_out(user: AuthUser, period: Period, *, categories: Sequence[str] = ()) -> Query:
    """How many of the user's expenses the period's figures leave out, per reason (one row).

    Expenses without a valid date are counted whatever the period (they belong to none);
    ``categories`` narrows the count as it narrows the figures.
    """
    lo, hi = period.utc_bounds()
    also = {"category": literal_in(categories)} if categories else {}
    pipeline = count_pipeline(own_expenses(user), {"date": {"$gte": lo, "$lt": hi}}, also=also)
    return _query("left_out", user, pipeline, dict(COUNT_SCHEMA))
