"""The one rule for a usable expense, shared by every spending and finance query, and the pipelines
that count and list the expenses it leaves out.

An expense is used only when

- ``date`` is a BSON date (``$type: "date"``) in :data:`~dashboard.core.left_out.DATE_RANGE`;
- ``amount`` is a number in ``[-AMOUNT_LIMIT, AMOUNT_LIMIT]`` (``$gte`` / ``$lte``);
- ``category`` and ``currency`` are non-empty strings (``$gt: ""``);
- ``userId`` is an ObjectId (an expense without an owner would be a spender of its own in finance);
- and none of them is an array (``$not: {$type: "array"}``).

These are query-language conditions, so MongoDB and the embedded engine decide them the same way,
by the manual's comparison rules ("Comparison/Sort Order" and the comparison query operators): a
range condition only matches values of the same type bracket, so ``{$gte: -1e12, $lte: 1e12}``
never matches null, a missing field, a string, an object, NaN (which sorts below every number) or
±infinity, and ``{$gt: ""}`` matches only strings with at least one character. ``$type: "number"``
alone would not do for amounts (it matches NaN and infinities); it is there too, as a guard for
engines that get type bracketing wrong (mongomock compares an object with a number). A condition
on a field also matches an array holding a matching element (``[5]`` matches ``$gte: 0``), which
``$sum`` would then ignore and ``$multiply`` refuse, hence the array exclusion.

:func:`valid_expense` is merged into a query's first ``$match`` (so the ``{userId, date}`` index
and ``$text`` still work); :func:`count_pipeline` counts, and :func:`rows_pipeline` lists, what it
leaves out, each expense once under its first problem in :data:`~dashboard.core.left_out.REASONS`
order, with the same conditions negated by ``$nor``, so the rule and its count cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.core.left_out import AMOUNT_LIMIT, DATE_RANGE, REASONS

__all__ = ["ANY_SCHEMA", "CONDITIONS", "COUNT_SCHEMA", "ROW_SCHEMA", "any_pipeline",
           "count_pipeline", "rows_pipeline", "valid_budget", "valid_expense"]  # fmt: skip

#: Each reason's condition for a usable value (the expense is usable when all hold).
_NOT_ARRAY = {"$not": {"$type": "array"}}
CONDITIONS: dict[str, dict[str, Any]] = {
    "date": {"date": {"$type": "date", "$gte": DATE_RANGE[0], "$lt": DATE_RANGE[1], **_NOT_ARRAY}},
    "amount": {
        "amount": {"$type": "number", "$gte": -AMOUNT_LIMIT, "$lte": AMOUNT_LIMIT, **_NOT_ARRAY}
    },
    "category": {"category": {"$type": "string", "$gt": "", **_NOT_ARRAY}},
    "currency": {"currency": {"$type": "string", "$gt": "", **_NOT_ARRAY}},
    "owner": {"userId": {"$type": "objectId"}},
}
#: One row (or none): whether any expense is left out, whatever the period.
ANY_SCHEMA: dict[str, pl.DataType] = {"n": pl.Int64()}
#: One row: how many expenses were left out per reason.
COUNT_SCHEMA: dict[str, pl.DataType] = {reason: pl.Int64() for reason in REASONS}
#: One left-out expense: ids, the raw values as text (``"NaN"``, ``"Infinity"``), and why.
ROW_SCHEMA: dict[str, pl.DataType] = {
    "reason": pl.String(),
    "expense_id": pl.String(),
    "user_id": pl.String(),
    "date": pl.Datetime("ms", "UTC"),
    "category": pl.String(),
    "amount": pl.String(),
    "currency": pl.String(),
    "description": pl.String(),
}


def valid_expense() -> dict[str, Any]:
    """The rule as one ``$and`` condition, to join a query's first ``$match``."""
    return {"$and": [dict(condition) for condition in CONDITIONS.values()]}


def valid_budget() -> dict[str, Any]:
    """The same rule for a budget: a ``limit`` from 0 to :data:`AMOUNT_LIMIT` and a category.

    Budgets are written by Spendlens (:func:`dashboard.views.budgets.save_budget` checks them) but
    live in the tracker's database, so a NaN or ``1e308`` limit is left out like an expense's.
    """
    limit = {"limit": {"$type": "number", "$gte": 0, "$lte": AMOUNT_LIMIT, **_NOT_ARRAY}}
    return {"$and": [limit, dict(CONDITIONS["category"])]}


def _left_out_matches(
    period_match: Mapping[str, Any], also: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per reason, the ``$match`` of the expenses left out for it (and for no earlier reason).

    An expense without a valid date belongs to no period, so that reason ignores ``period_match``.
    """
    matches: dict[str, dict[str, Any]] = {}
    passed: list[dict[str, Any]] = []
    for reason, condition in CONDITIONS.items():
        scope = [dict(also)] if also else []
        if reason != "date":
            scope.append(dict(period_match))
        matches[reason] = {"$and": [*scope, *passed, {"$nor": [dict(condition)]}]}
        passed.append(dict(condition))
    return matches


def any_pipeline(first: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``first``, then one row ``{n: 1}`` if any of its documents is left out, else no row.

    One filter over the slice (about a millisecond for a user): nearly always there is nothing to
    count, and then the per-reason count (a ``$facet`` of five matches, ten times the cost) need
    not run.
    """
    return [dict(first), {"$match": {"$nor": [valid_expense()]}}, {"$limit": 1}, {"$count": "n"}]


def count_pipeline(
    first: Mapping[str, Any],
    period_match: Mapping[str, Any],
    *,
    also: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """``first`` (whose documents: a user's, everyone's live ones), then one row of counts.

    ``period_match`` is the period's date condition; ``also`` conditions (a category filter)
    apply to every reason.
    """
    facets = {
        reason: [{"$match": match}, {"$count": "n"}]
        for reason, match in _left_out_matches(period_match, also or {}).items()
    }
    counts = {r: {"$ifNull": [{"$arrayElemAt": [f"${r}.n", 0]}, 0]} for r in REASONS}
    return [dict(first), {"$facet": facets}, {"$project": counts}]


def _text(field: str) -> dict[str, Any]:
    """A raw field as text whatever its type (null when missing or null)."""
    return {"$convert": {"input": f"${field}", "to": "string", "onError": "(unreadable)",
                         "onNull": None}}  # fmt: skip


def rows_pipeline(
    first: Mapping[str, Any], period_match: Mapping[str, Any], *, limit: int
) -> list[dict[str, Any]]:
    """``first``, then the left-out expenses, at most ``limit`` per reason, as :data:`ROW_SCHEMA`.

    Values are shown as stored (as text), so a reader sees what was wrong: ``NaN``, ``1e+308``;
    ``date`` is null for the expenses left out for their date.
    """
    facets = {
        reason: [
            {"$match": match},
            {"$sort": {"_id": 1}},
            {"$limit": int(limit)},
            {
                "$project": {
                    "_id": 0,
                    "reason": {"$literal": reason},
                    "expense_id": {"$toString": "$_id"},
                    "user_id": _text("userId"),
                    "date": {"$literal": None} if reason == "date" else "$date",
                    "category": _text("category"),
                    "amount": _text("amount"),
                    "currency": _text("currency"),
                    "description": _text("description"),
                }
            },
        ]
        for reason, match in _left_out_matches(period_match, {}).items()
    }
    return [
        dict(first),
        {"$facet": facets},
        {"$project": {"rows": {"$concatArrays": [f"${r}" for r in REASONS]}}},
        {"$unwind": "$rows"},
        {"$replaceRoot": {"newRoot": "$rows"}},
    ]
