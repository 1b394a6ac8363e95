"""The indexes Spendlens needs, from the scaling notes plus what the dashboards query by.

``python -m dashboard indexes`` creates them; creating an index that exists is a no-op, so the
command is safe to run on every deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.store.base import Store

__all__ = ["INDEXES", "IndexSpec", "ensure_indexes"]

THIRTY_DAYS = 30 * 24 * 3600


@dataclass(frozen=True)
class IndexSpec:
    collection: str
    keys: list[tuple[str, int | str]]
    options: dict[str, Any] = field(default_factory=dict)


INDEXES: tuple[IndexSpec, ...] = (
    # Scaling notes: current and production indexes on expenses. The first one also orders the
    # embedded engine's frame, so a user's rows are one contiguous slice.
    IndexSpec("expenses", [("userId", 1), ("date", -1)]),
    IndexSpec("expenses", [("userId", 1), ("category", 1)]),
    IndexSpec("expenses", [("userId", 1), ("date", -1), ("category", 1)]),
    IndexSpec("expenses", [("description", "text")]),
    IndexSpec("expenses", [("deletedAt", 1)], {"expireAfterSeconds": THIRTY_DAYS}),
    # The dashboards: the API request log by time and by route over time.
    IndexSpec("api_requests", [("ts", 1)]),
    IndexSpec("api_requests", [("route", 1), ("ts", 1)]),
    IndexSpec("users", [("email", 1)], {"unique": True}),
    IndexSpec("users", [("username", 1)], {"unique": True}),
    IndexSpec("budgets", [("userId", 1), ("month", 1), ("category", 1)], {"unique": True}),
    IndexSpec("audit_log", [("at", -1)]),
)


def ensure_indexes(store: Store) -> list[str]:
    """Create every index in :data:`INDEXES` (idempotent); return their names."""
    return [store.create_index(spec.collection, spec.keys, **spec.options) for spec in INDEXES]
