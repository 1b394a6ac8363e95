"""The admin pages' account tables: finding users and the pending deletion requests.

Both are ``live`` queries (never cached: an admin's change must show at once) over every account,
so each starts with :func:`require_admin`. Search text is matched literally: it is escaped before
it becomes a case-insensitive ``$regex``, so ``.*`` finds a dot followed by a star.
"""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from queries.base import GLOBAL, Query
from queries.scope import require_admin

__all__ = ["ACCOUNT_SCHEMA", "count_users", "deletion_requests", "search_users"]

#: One account as the admin page lists it (``id`` is the hex ``_id``).
ACCOUNT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "username": pl.String(),
    "name": pl.String(),
    "email": pl.String(),
    "roles": pl.List(pl.String()),
    "disabled": pl.Boolean(),
}


def _accounts(name: str, pipeline: list[dict[str, Any]], schema: dict[str, Any]) -> Query:
    return Query(
        name=f"accounts.{name}",
        collection="users",
        pipeline=pipeline,
        schema=schema,
        family="live",
        scope=GLOBAL,
    )


def _search(text: str) -> dict[str, Any]:
    if not text.strip():
        return {"$match": {}}
    pattern = re.escape(text.strip())
    fields = ("username", "name", "email")
    return {"$match": {"$or": [{f: {"$regex": pattern, "$options": "i"}} for f in fields]}}


def search_users(admin: AuthUser, text: str = "", *, limit: int = 200, skip: int = 0) -> Query:
    """Accounts whose username, name or email contains ``text`` (literally), by username: the
    ``limit`` after the first ``skip`` (one page)."""
    require_admin(admin, "manage accounts")
    pipeline = [
        _search(text),
        {"$sort": {"username": 1, "_id": 1}},
        {"$skip": max(0, int(skip))},
        {"$limit": int(limit)},
        {
            "$project": {
                "_id": 0,
                "id": "$_id",
                "username": 1,
                "name": {"$ifNull": ["$name", ""]},
                "email": {"$ifNull": ["$email", ""]},
                "roles": {"$ifNull": ["$roles", []]},
                "disabled": {"$eq": ["$disabled", True]},
            }
        },
    ]
    return _accounts("search_users", pipeline, ACCOUNT_SCHEMA)


def count_users(admin: AuthUser, text: str = "") -> Query:
    """How many accounts :func:`search_users` matches in all (one row, ``n``; none if zero)."""
    require_admin(admin, "manage accounts")
    return _accounts("count_users", [_search(text), {"$count": "n"}], {"n": pl.Int64})


def deletion_requests(admin: AuthUser) -> Query:
    """Accounts whose owner asked for deletion, oldest request first."""
    require_admin(admin, "see deletion requests")
    pipeline = [
        {"$match": {"deletionRequestedAt": {"$ne": None}}},
        {"$sort": {"deletionRequestedAt": 1}},
        {
            "$project": {
                "_id": 0,
                "id": "$_id",
                "username": 1,
                "requested_at": "$deletionRequestedAt",
            }
        },
    ]
    schema = {"id": pl.String, "username": pl.String, "requested_at": pl.Datetime("ms", "UTC")}
    return _accounts("deletion_requests", pipeline, schema)
