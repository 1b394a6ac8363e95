"""The ``audit_log`` collection: who did what, when (logins, lockouts, role changes, exports,
deletions). Appending, renaming a deleted user, and reading entries for the admin page.

Entries are read here, not as a query, because their ``details`` are free-form documents that a
typed frame cannot hold; the admin page shows them as JSON text, newest first and never cached.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.store import Store
from queries.scope import literal, require_admin

__all__ = ["AUDIT_COLLECTION", "ENTRY_SCHEMA", "audit", "entries", "exists", "rename_user"]

AUDIT_COLLECTION = "audit_log"
#: The columns of :func:`entries`.
ENTRY_SCHEMA = {
    "at": pl.Datetime("ms", "UTC"),
    "event": pl.String,
    "actor": pl.String,
    "target": pl.String,
    "details": pl.String,
}


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


def exists(store: Store, event: str, *, target: str) -> bool:
    """Whether ``event`` about ``target`` was recorded (a step repeated after a crash audits once)."""
    query = {"event": {"$eq": event}, "target": {"$eq": target}}
    return store.count_documents(AUDIT_COLLECTION, query) > 0


def rename_user(store: Store, username: str, alias: str) -> None:
    """Replace ``username`` by ``alias`` as actor and target (an account's deletion)."""
    for field in ("actor", "target"):
        store.update_many(AUDIT_COLLECTION, {field: {"$eq": username}}, {"$set": {field: alias}})


def entries(
    store: Store,
    admin: AuthUser,
    *,
    event: str | None = None,
    username: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """The newest ``limit`` entries, optionally of one event and one user (as actor or target),
    matched literally; ``details`` as JSON text. Admins only."""
    require_admin(admin, "read the audit log")
    query: dict[str, Any] = {}
    if event:
        query["event"] = literal(event)
    if username:
        name = literal(username.strip().lower())
        query["$or"] = [{"actor": name}, {"target": name}]
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
    return pl.DataFrame(rows, schema=ENTRY_SCHEMA)
