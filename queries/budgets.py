"""One user's budgets: limits per category and month (months are first instants, UTC)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from dashboard.core.identity import AuthUser
from queries.base import Query
from queries.scope import own_documents
from queries.validity import valid_budget

__all__ = ["budgets_between"]


def budgets_between(user: AuthUser, first_month: dt.date, last_month: dt.date) -> Query:
    """The user's budgets for the months ``first_month``..``last_month`` (first days); a budget
    with an unusable limit or category is left out (:func:`~queries.validity.valid_budget`)."""
    lo = dt.datetime.combine(first_month.replace(day=1), dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(last_month.replace(day=1), dt.time(), tzinfo=dt.UTC)
    pipeline = [
        own_documents(user, month={"$gte": lo, "$lte": hi}, **valid_budget()),
        {"$project": {"_id": 0, "month": 1, "category": 1, "limit": 1}},
        {"$sort": {"month": 1, "category": 1}},
    ]
    schema = {"month": pl.Datetime("ms", "UTC"), "category": pl.String, "limit": pl.Float64}
    return Query(
        name="budgets.between",
        collection="budgets",
        pipeline=pipeline,
        schema=schema,
        family="profile",
        scope=user.scope,
    )
