"""The audit log: who did what, when (logins, lockouts, role changes, exports, deletions)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dashboard.store import Store

__all__ = ["AUDIT_COLLECTION", "audit"]

AUDIT_COLLECTION = "audit_log"


def audit(
    store: Store,
    event: str,
    *,
    actor: str | None,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Append one event to ``audit_log`` (``at``, ``event``, ``actor``, ``target``, ``details``)."""
    store.insert_many(
        AUDIT_COLLECTION,
        [
            {
                "at": datetime.now(UTC),
                "event": event,
                "actor": actor,
                "target": target,
                "details": dict(details or {}),
            }
        ],
    )
