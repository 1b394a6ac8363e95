"""Finance queries over every user's expenses: period totals, breakdowns, export rows.

Each function calls :func:`require_roles` with ``"finance"`` first (admins pass too) and returns a
``scope="global"`` :class:`Query`. A period is a :class:`~dashboard.periods.Period` in the reporting
time zone; the first ``$match`` uses its UTC bounds. Live expenses have ``deletedAt: null``; the
soft-deleted ones are a separate query, for reconciliation. Every query keeps only usable expenses
(:func:`~queries.validity.valid_expense`: a number within ±1e12, a category, a currency, a date);
:func:`left_out` counts and :func:`excluded_expenses` lists the live ones it leaves out, for the
report's reconciliation. A soft-deleted expense that is also unusable is in neither list: it is
out of every total twice over.

Money is summed as whole cents: ``{$round: [{$multiply: ["$amount", 100]}, 0]}`` per expense, a
``$sum`` of those whole numbers (exact: every partial sum stays below 2**53 cents, about 90 trillion),
then ``$toLong`` on the few grouped results. So totals reconcile to the cent whatever the float
amounts do (``0.1 + 0.2``). ``$toLong`` is applied after grouping, not per expense: per expense it
made the embedded engine's group ten times slower (0.87 s instead of 0.08 s for a demo month).
:mod:`dashboard.reports` turns cents into ``Decimal`` amounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from queries.base import Query
from queries.scope import require_roles
from queries.validity import COUNT_SCHEMA, ROW_SCHEMA, count_pipeline, rows_pipeline, valid_expense

__all__ = [
    "CENTS",
    "EXPORT_SCHEMA",
    "deleted_expenses",
    "excluded_expenses",
    "export_rows",
    "first_expense",
    "hourly_counts",
    "left_out",
    "spender_count",
    "top_spenders",
    "totals_by_category",
    "totals_by_currency",
    "totals_by_month",
    "usernames",
]

#: One expense's amount in whole cents (amounts have two decimals), as a whole-valued double.
CENTS: dict[str, Any] = {"$round": [{"$multiply": ["$amount", 100]}, 0]}
_LONG_CENTS = {"$toLong": "$cents"}
_UTC_MS = pl.Datetime("ms", "UTC")

#: The columns of one exported expense, as :func:`export_rows` returns them.
EXPORT_SCHEMA: dict[str, pl.DataType] = {
    "expense_id": pl.String(),
    "user_id": pl.String(),
    "date": _UTC_MS,
    "category": pl.String(),
    "cents": pl.Int64(),
    "currency": pl.String(),
    "description": pl.String(),
}


def _match(
    period: Period, *, deleted: bool = False, window: tuple[dt.datetime, dt.datetime] | None = None
) -> dict[str, Any]:
    lo, hi = period.utc_bounds()
    if window is not None:
        lo, hi = max(lo, window[0]), min(hi, window[1])
    return {
        "$match": {
            "date": {"$gte": lo, "$lt": hi},
            "deletedAt": {"$ne": None} if deleted else None,
            **valid_expense(),
        }
    }


def _query(name: str, pipeline: list[dict[str, Any]], schema: dict[str, Any], **kw: Any) -> Query:
    return Query(
        name=f"finance.{name}",
        collection=kw.pop("collection", "expenses"),
        pipeline=pipeline,
        schema=schema,
        scope="global",
        **kw,
    )


def totals_by_currency(user: AuthUser, period: Period) -> Query:
    """Per currency: total cents, number of expenses, largest expense (cents), distinct spenders."""
    require_roles(user, "finance")
    pipeline = [
        _match(period),
        {
            "$group": {
                "_id": {"userId": "$userId", "currency": "$currency"},
                "cents": {"$sum": CENTS},
                "count": {"$sum": 1},
                "largest": {"$max": CENTS},
            }
        },
        {
            "$group": {
                "_id": "$_id.currency",
                "cents": {"$sum": "$cents"},
                "count": {"$sum": "$count"},
                "largest": {"$max": "$largest"},
                "spenders": {"$sum": 1},
            }
        },
        {"$project": {"_id": 0, "currency": "$_id", "cents": _LONG_CENTS, "count": 1,
                      "largest": {"$toLong": "$largest"}, "spenders": 1}},
        {"$sort": {"currency": 1}},
    ]  # fmt: skip
    schema = {
        "currency": pl.String,
        "cents": pl.Int64,
        "count": pl.Int64,
        "largest": pl.Int64,
        "spenders": pl.Int64,
    }
    return _query("totals_by_currency", pipeline, schema)


def totals_by_category(user: AuthUser, period: Period) -> Query:
    """Per category and currency: total cents and number of expenses."""
    require_roles(user, "finance")
    pipeline = [
        _match(period),
        {
            "$group": {
                "_id": {"category": "$category", "currency": "$currency"},
                "cents": {"$sum": CENTS},
                "count": {"$sum": 1},
            }
        },
        {"$project": {"_id": 0, "category": "$_id.category", "currency": "$_id.currency",
                      "cents": _LONG_CENTS, "count": 1}},
        {"$sort": {"currency": 1, "cents": -1, "category": 1}},
    ]  # fmt: skip
    schema = {"category": pl.String, "currency": pl.String, "cents": pl.Int64, "count": pl.Int64}
    return _query("totals_by_category", pipeline, schema)


def totals_by_month(user: AuthUser, period: Period) -> Query:
    """Per local month (in the period's zone) and currency: total cents and number of expenses.

    ``month`` is the month's first instant in UTC.
    """
    require_roles(user, "finance")
    month = {"$dateTrunc": {"date": "$date", "unit": "month", "timezone": period.tz}}
    pipeline = [
        _match(period),
        {
            "$group": {
                "_id": {"month": month, "currency": "$currency"},
                "cents": {"$sum": CENTS},
                "count": {"$sum": 1},
            }
        },
        {"$project": {"_id": 0, "month": "$_id.month", "currency": "$_id.currency",
                      "cents": _LONG_CENTS, "count": 1}},
        {"$sort": {"month": 1, "currency": 1}},
    ]  # fmt: skip
    schema = {"month": _UTC_MS, "currency": pl.String, "cents": pl.Int64, "count": pl.Int64}
    return _query("totals_by_month", pipeline, schema)


def top_spenders(user: AuthUser, period: Period, *, limit: int = 10) -> Query:
    """The ``limit`` users who spent most in each currency (``place`` 1 = most)."""
    require_roles(user, "finance")
    pipeline = [
        _match(period),
        {
            "$group": {
                "_id": {"userId": "$userId", "currency": "$currency"},
                "cents": {"$sum": CENTS},
                "count": {"$sum": 1},
            }
        },
        {"$project": {"_id": 0, "user_id": {"$toString": "$_id.userId"},
                      "currency": "$_id.currency", "cents": _LONG_CENTS, "count": 1}},
        {
            "$setWindowFields": {
                "partitionBy": "$currency",
                "sortBy": {"cents": -1, "user_id": 1},
                "output": {"place": {"$documentNumber": {}}},
            }
        },
        {"$match": {"place": {"$lte": int(limit)}}},
        {"$sort": {"currency": 1, "place": 1}},
    ]  # fmt: skip
    schema = {
        "currency": pl.String,
        "place": pl.Int64,
        "user_id": pl.String,
        "cents": pl.Int64,
        "count": pl.Int64,
    }
    return _query("top_spenders", pipeline, schema)


def spender_count(user: AuthUser, period: Period) -> Query:
    """How many distinct users spent in the period (one row, ``spenders``; none if nobody)."""
    require_roles(user, "finance")
    pipeline = [_match(period), {"$group": {"_id": "$userId"}}, {"$count": "spenders"}]
    return _query("spender_count", pipeline, {"spenders": pl.Int64})


def deleted_expenses(user: AuthUser, period: Period) -> Query:
    """The period's soft-deleted expenses, one row each, by date (excluded from every total)."""
    require_roles(user, "finance")
    pipeline = [
        _match(period, deleted=True),
        {"$sort": {"date": 1, "_id": 1}},
        {
            "$project": {
                "_id": 0,
                "expense_id": {"$toString": "$_id"},
                "user_id": {"$toString": "$userId"},
                "date": 1,
                "deleted_at": "$deletedAt",
                "category": 1,
                "cents": CENTS,
                "currency": 1,
                "description": 1,
            }
        },
    ]
    schema = {
        "expense_id": pl.String,
        "user_id": pl.String,
        "date": _UTC_MS,
        "deleted_at": _UTC_MS,
        "category": pl.String,
        "cents": pl.Int64,
        "currency": pl.String,
        "description": pl.String,
    }
    return _query("deleted_expenses", pipeline, schema)


def hourly_counts(user: AuthUser, period: Period) -> Query:
    """Live expenses per UTC hour of the period: the plan for exporting its rows in chunks."""
    require_roles(user, "finance")
    hour = {"$dateTrunc": {"date": "$date", "unit": "hour"}}
    pipeline = [
        _match(period),
        {"$group": {"_id": hour, "count": {"$sum": 1}}},
        {"$project": {"_id": 0, "hour": "$_id", "count": 1}},
        {"$sort": {"hour": 1}},
    ]
    return _query("hourly_counts", pipeline, {"hour": _UTC_MS, "count": pl.Int64})


def export_rows(
    user: AuthUser, period: Period, *, window: tuple[dt.datetime, dt.datetime] | None = None
) -> Query:
    """The period's live expenses (within ``window``, UTC ``[start, end)``), by date then id.

    Ids come back as hex strings and amounts as whole ``cents``; see :data:`EXPORT_SCHEMA`.
    """
    require_roles(user, "finance")
    pipeline = [
        _match(period, window=window),
        {"$sort": {"date": 1, "_id": 1}},
        {
            "$project": {
                "_id": 0,
                "expense_id": {"$toString": "$_id"},
                "user_id": {"$toString": "$userId"},
                "date": 1,
                "category": 1,
                "cents": CENTS,
                "currency": 1,
                "description": 1,
            }
        },
    ]
    return _query("export_rows", pipeline, dict(EXPORT_SCHEMA), family="recent")


def _live_in(period: Period) -> tuple[dict[str, Any], dict[str, Any]]:
    lo, hi = period.utc_bounds()
    return {"$match": {"deletedAt": None}}, {"date": {"$gte": lo, "$lt": hi}}


def left_out(user: AuthUser, period: Period) -> Query:
    """How many live expenses of all users the period's figures leave out, per reason (one row).

    Expenses without a valid date are counted in every period's report: they belong to none.
    """
    require_roles(user, "finance")
    first, in_period = _live_in(period)
    return _query("left_out", count_pipeline(first, in_period), dict(COUNT_SCHEMA))


def excluded_expenses(user: AuthUser, period: Period, *, limit: int = 1000) -> Query:
    """The live expenses :func:`left_out` counts, at most ``limit`` per reason, with their raw
    values as text (``"NaN"``, ``"Infinity"``) and the ``reason``."""
    require_roles(user, "finance")
    first, in_period = _live_in(period)
    return _query(
        "excluded_expenses", rows_pipeline(first, in_period, limit=limit), dict(ROW_SCHEMA)
    )


def first_expense(user: AuthUser) -> Query:
    """The date of the first live, usable expense of any user (one row, none without data), the
    day the finance comparisons' data starts."""
    require_roles(user, "finance")
    pipeline = [
        {"$match": {"deletedAt": None, **valid_expense()}},
        {"$group": {"_id": None, "first": {"$min": "$date"}}},
        {"$project": {"_id": 0, "first": 1}},
    ]
    return _query("first_expense", pipeline, {"first": _UTC_MS})


def usernames(user: AuthUser) -> Query:
    """Every user's id (hex) and username, to name users in reports and exports."""
    require_roles(user, "finance")
    pipeline = [
        {"$project": {"_id": 0, "user_id": {"$toString": "$_id"}, "username": 1}},
        {"$sort": {"user_id": 1}},
    ]
    return _query(
        "usernames",
        pipeline,
        {"user_id": pl.String, "username": pl.String},
        collection="users",
        family="profile",
    )
