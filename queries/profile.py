"""Questions about one user's own data, and the inventory of everyone's (admin, product, finance)."""

from __future__ import annotations

import polars as pl

from dashboard.core.identity import AuthUser
from queries.base import Query
from queries.scope import own_expenses, require_roles
from queries.validity import valid_expense

__all__ = ["data_inventory", "my_summary"]

_SUMMARY_SCHEMA = {
    "expenses": pl.Int64,
    "total": pl.Float64,
    "first": pl.Datetime("ms", "UTC"),
    "last": pl.Datetime("ms", "UTC"),
}


def my_summary(user: AuthUser) -> Query:
    """How many expenses the user has, their total, and the first and last expense dates (usable
    expenses only: see :mod:`queries.validity`)."""
    return Query(
        name="profile.my_summary",
        collection="expenses",
        pipeline=[
            own_expenses(user, **valid_expense()),
            {
                "$group": {
                    "_id": None,
                    "expenses": {"$sum": 1},
                    "total": {"$sum": "$amount"},
                    "first": {"$min": "$date"},
                    "last": {"$max": "$date"},
                }
            },
            {"$project": {"_id": 0}},
        ],
        schema=_SUMMARY_SCHEMA,
        family="profile",
        scope=user.scope,
    )


def data_inventory(user: AuthUser, collection: str) -> Query:
    """How many documents a collection holds (spans users: product, finance or admin)."""
    require_roles(user, "product", "finance", "admin")
    return Query(
        name="profile.data_inventory",
        collection=collection,
        pipeline=[{"$count": "n"}],
        schema={"n": pl.Int64},
        family="recent",
        scope="global",
    )
