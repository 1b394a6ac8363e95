"""The audit log's event names, for the admin page's filter (``live``: never cached).

The entries themselves are free-form documents, read by :func:`dashboard.data.audit_log.entries`.
"""

from __future__ import annotations

import polars as pl

from dashboard.core.identity import AuthUser
from queries.base import GLOBAL, Query
from queries.scope import require_admin

__all__ = ["audit_events"]


def audit_events(admin: AuthUser) -> Query:
    """The distinct event names in the log, alphabetically."""
    require_admin(admin, "read the audit log")
    pipeline = [
        {"$match": {"event": {"$type": "string"}}},
        {"$group": {"_id": "$event"}},
        {"$project": {"_id": 0, "event": "$_id"}},
        {"$sort": {"event": 1}},
    ]
    return Query(
        name="audit.events",
        collection="audit_log",
        pipeline=pipeline,
        schema={"event": pl.String},
        family="live",
        scope=GLOBAL,
    )
