"""Everything one user owns in ``expenses``, ``budgets`` and ``api_requests``: the downloads and
the deletion of the scaling notes' data rights, one operation per function and collection.

Streaming reads: they return every document of the user as stored (soft-deleted expenses too), so
they bypass the result cache. Every operation runs with the store's time limit.
"""

from __future__ import annotations

from typing import Any

import bson

from dashboard.store import Store

__all__ = [
    "OWNED", "anonymise_requests", "delete_budgets", "delete_expenses", "documents", "owned_by",
]  # fmt: skip

#: Collection → the field each document is sorted by in a download.
OWNED = {"expenses": "date", "budgets": "month", "api_requests": "ts"}


def owned_by(user_id: bson.ObjectId) -> dict[str, Any]:
    """The filter of one user's documents: ``userId`` equal to the id (never an operator)."""
    return {"userId": {"$eq": user_id}}


def documents(store: Store, user_id: bson.ObjectId) -> dict[str, list[dict[str, Any]]]:
    """Every document the user owns in each of :data:`OWNED`, oldest first."""
    return {
        name: store.find(name, owned_by(user_id), sort=[(field, 1)]) for name, field in OWNED.items()
    }


def delete_expenses(store: Store, user_id: bson.ObjectId) -> int:
    """Remove all the user's expenses (soft-deleted ones too)."""
    return store.delete_many("expenses", owned_by(user_id))


def delete_budgets(store: Store, user_id: bson.ObjectId) -> int:
    """Remove all the user's budgets."""
    return store.delete_many("budgets", owned_by(user_id))


def anonymise_requests(store: Store, user_id: bson.ObjectId) -> int:
    """Keep the user's API requests for the product figures, without their id."""
    return store.update_many("api_requests", owned_by(user_id), {"$set": {"userId": None}})
