"""Writes to the ``budgets`` collection (reads are queries: :mod:`queries.budgets`)."""

from __future__ import annotations

import datetime as dt

import bson

from dashboard.store import Store
from queries.scope import literal

__all__ = ["BUDGETS", "set_limit"]

BUDGETS = "budgets"


def set_limit(
    store: Store, user_id: bson.ObjectId, *, month: dt.date, category: str, limit: float
) -> None:
    """Create or change the user's limit for ``category`` in ``month`` (its first instant, UTC)."""
    first = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=dt.UTC)
    store.update_many(
        BUDGETS,
        {"userId": user_id, "month": first, "category": literal(category)},
        {"$set": {"limit": limit}, "$currentDate": {"updatedAt": True}},
        upsert=True,
    )
