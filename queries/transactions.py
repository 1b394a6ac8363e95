"""One user's transactions table: searched (text index), filtered, sorted and paged on the server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from queries.base import Query
from queries.scope import literal_in, own_expenses
from queries.validity import valid_expense

__all__ = ["SORTABLE", "TransactionFilter", "transactions_page", "transactions_totals"]

#: Column → field; the only sorts a URL or widget can ask for.
SORTABLE = {
    "date": "date",
    "amount": "amount",
    "category": "category",
    "description": "description",
}
ROW_SCHEMA = {
    "id": pl.String,
    "date": pl.Datetime("ms", "UTC"),
    "category": pl.String,
    "description": pl.String,
    "amount": pl.Float64,
    "currency": pl.String,
}


@dataclass(frozen=True)
class TransactionFilter:
    period: Period
    categories: tuple[str, ...] = ()
    search: str = ""
    min_amount: float | None = None
    max_amount: float | None = None


def _first_stage(user: AuthUser, f: TransactionFilter) -> dict[str, Any]:
    lo, hi = f.period.utc_bounds()
    conditions: dict[str, Any] = {"date": {"$gte": lo, "$lt": hi}}
    if f.categories:
        conditions["category"] = literal_in(f.categories)
    amount: dict[str, float] = {}
    if f.min_amount is not None:
        amount["$gte"] = float(f.min_amount)
    if f.max_amount is not None:
        amount["$lte"] = float(f.max_amount)
    if amount:
        conditions["amount"] = amount
    if f.search.strip():
        # $search is a plain string: terms, "phrases" and -negations are data for the text index.
        conditions["$text"] = {"$search": str(f.search.strip())[:200]}
    return own_expenses(user, **conditions, **valid_expense())


def transactions_page(
    user: AuthUser,
    f: TransactionFilter,
    *,
    sort_by: str = "date",
    descending: bool = True,
    page: int = 1,
    page_size: int = 50,
) -> Query:
    """One page of the filtered transactions, sorted on the server (``_id`` breaks ties)."""
    if sort_by not in SORTABLE:
        msg = f"cannot sort by {sort_by!r}; choose one of {', '.join(SORTABLE)}"
        raise ValueError(msg)
    direction = -1 if descending else 1
    pipeline: list[dict[str, Any]] = [
        _first_stage(user, f),
        {"$sort": {SORTABLE[sort_by]: direction, "_id": direction}},
        {"$skip": max(0, (int(page) - 1) * int(page_size))},
        {"$limit": int(page_size)},
        {
            "$project": {
                "_id": 0,
                "id": {"$toString": "$_id"},
                "date": 1,
                "category": 1,
                "description": 1,
                "amount": 1,
                "currency": 1,
            }
        },
    ]
    return Query(
        name="transactions.page",
        collection="expenses",
        pipeline=pipeline,
        schema=ROW_SCHEMA,
        family="recent",
        scope=user.scope,
    )


def transactions_totals(user: AuthUser, f: TransactionFilter) -> Query:
    """Per currency, how many transactions match and their total in whole cents (every matching
    row, not one page: for the pager and the table's total)."""
    cents = {"$round": [{"$multiply": ["$amount", 100]}, 0]}
    pipeline = [
        _first_stage(user, f),
        {"$group": {"_id": "$currency", "n": {"$sum": 1}, "cents": {"$sum": cents}}},
        {"$project": {"_id": 0, "currency": "$_id", "n": 1, "cents": {"$toLong": "$cents"}}},
        {"$sort": {"n": -1, "currency": 1}},
    ]
    return Query(
        name="transactions.totals",
        collection="expenses",
        pipeline=pipeline,
        schema={"currency": pl.String, "n": pl.Int64, "cents": pl.Int64},
        family="recent",
        scope=user.scope,
    )


def transactions_all(
    user: AuthUser, f: TransactionFilter, *, sort_by: str = "date", descending: bool = True
) -> Query:
    """Every matching transaction in view order (the CSV export of the current view)."""
    page = transactions_page(user, f, sort_by=sort_by, descending=descending, page=1, page_size=1)
    pipeline = [stage for stage in page.pipeline if "$skip" not in stage and "$limit" not in stage]
    return Query(name="transactions.export", collection="expenses", pipeline=pipeline, schema=ROW_SCHEMA,
                 family="recent", scope=user.scope)  # fmt: skip


__all__ += ["ROW_SCHEMA", "transactions_all"]
