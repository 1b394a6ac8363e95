"""Reading the audit log (admin only)."""

from __future__ import annotations

import json

import polars as pl

from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.data.audit_log import AUDIT_COLLECTION
from dashboard.store import Store
from queries.scope import literal

__all__ = ["audit_events", "read_audit_log"]

_SCHEMA = {
    "at": pl.Datetime("ms", "UTC"),
    "event": pl.String,
    "actor": pl.String,
    "target": pl.String,
    "details": pl.String,
}


def _require_admin(actor: AuthUser) -> None:
    if "admin" not in actor.roles:
        raise PermissionDenied("only an admin can read the audit log")


def audit_events(store: Store, actor: AuthUser) -> list[str]:
    """The distinct event names in the log, for the filter."""
    _require_admin(actor)
    rows = store.aggregate(AUDIT_COLLECTION, [{"$group": {"_id": "$event"}}, {"$sort": {"_id": 1}}])
    return [r["_id"] for r in rows if r["_id"]]


def read_audit_log(
    store: Store,
    actor: AuthUser,
    *,
    event: str | None = None,
    username: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """The newest ``limit`` entries, optionally for one event and one user (matched literally)."""
    _require_admin(actor)
    query: dict = {}
    if event:
        query["event"] = literal(event)
    if username:
        query["$or"] = [
            {"actor": literal(username.strip().lower())},
            {"target": literal(username.strip().lower())},
        ]
    docs = store.find(AUDIT_COLLECTION, query, sort=[("at", -1)], limit=limit)
    rows = [
        {
            "at": d.get("at"),
            "event": d.get("event"),
            "actor": d.get("actor"),
            "target": d.get("target"),
            "details": json.dumps(d.get("details") or {}, default=str),
        }
        for d in docs
    ]
    return pl.DataFrame(rows, schema=_SCHEMA) if rows else pl.DataFrame(schema=_SCHEMA)
