"""The indexes Spendlens needs, from the scaling notes plus what the dashboards query by.

``python -m dashboard indexes`` creates them; creating an index that exists is a no-op, so the
command is safe to run on every deploy. The app itself ensures the unique ones at start-up, once per
process (:func:`ensure_unique_indexes`): registration and budget saves rely on them to refuse a
duplicate, and a store loaded without them (an interrupted seed, a restore) would accept one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dashboard.store.base import Store
from dashboard.store.errors import OperationFailure

__all__ = ["INDEXES", "UNIQUE_INDEXES", "IndexSpec", "ensure_indexes", "ensure_unique_indexes"]

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
    # Jobs and alerts: the scheduler's query, the outbox per subscription, a user's history.
    IndexSpec("jobs", [("userId", 1), ("createdAt", -1)]),
    IndexSpec("subscriptions", [("active", 1), ("nextRunAt", 1)]),
    IndexSpec("deliveries", [("subscriptionId", 1), ("status", 1)]),
    # Spendlens' own page times: kept 30 days (the alerts read the last two days at most).
    IndexSpec("page_load_minutely", [("minute", 1)], {"expireAfterSeconds": THIRTY_DAYS}),
)


def ensure_indexes(store: Store) -> list[str]:
    """Create every index in :data:`INDEXES` (idempotent); return their names."""
    return [store.create_index(spec.collection, spec.keys, **spec.options) for spec in INDEXES]

#: The indexes whose uniqueness the app relies on (usernames, emails, one budget per category).
UNIQUE_INDEXES: tuple[IndexSpec, ...] = tuple(s for s in INDEXES if s.options.get("unique"))


def ensure_unique_indexes(store: Store) -> list[str]:
    """Create every index of :data:`UNIQUE_INDEXES` that is missing; return a message per index
    that could not be created (e.g. duplicates already stored, or no permission), so the caller can
    log it and keep serving.

    Cheap when they exist (a no-op per index). A lost connection still raises
    :class:`~dashboard.store.errors.DatabaseUnavailable`.
    """
    problems: list[str] = []
    for spec in UNIQUE_INDEXES:
        try:
            store.create_index(spec.collection, spec.keys, **spec.options)
        except OperationFailure as exc:  # DuplicateKeyError is one too
            keys = ", ".join(field for field, _ in spec.keys)
            problems.append(f"unique index on {spec.collection} ({keys}) is missing: {exc}")
    return problems
