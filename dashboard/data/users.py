"""The ``users`` collection: the account documents that the login flow, account changes and data
rights read and write, one operation per function.

Values are matched literally (``$eq``), so a username such as ``{"$ne": null}`` is a string. Every
operation runs with the store's time limit. Reads for a page's tables are queries
(:mod:`queries.accounts`); these are the document reads that must never come from a cache (signing
in) and the writes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import bson

from dashboard.store import Store

__all__ = [
    "REVOKED_LOGINS",
    "USERS",
    "by_id",
    "by_username",
    "count",
    "delete",
    "insert",
    "is_revoked",
    "profile",
    "record_login",
    "request_deletion",
    "revoke_login",
    "set_fields",
    "set_fields_by_username",
]

USERS = "users"
#: On a user's document: the expiry (``exp_date``) of each login cookie logged out before it
#: expired; the expiry, to the microsecond, tells one login cookie apart.
REVOKED_LOGINS = "revokedLogins"
_PRIVATE = ("passwordHash",)


def by_username(store: Store, username: str) -> dict[str, Any] | None:
    """The user document with this username (stored lower case; matched literally)."""
    if not isinstance(username, str) or not username.strip():
        return None
    found = store.find(USERS, {"username": {"$eq": username.strip().lower()}}, limit=1)
    return found[0] if found else None


def by_id(store: Store, user_id: bson.ObjectId | str) -> dict[str, Any] | None:
    """The user document with this id (an ``ObjectId`` or its hex string)."""
    found = store.find(USERS, {"_id": {"$eq": bson.ObjectId(user_id)}}, limit=1)
    return found[0] if found else None


def profile(store: Store, user_id: bson.ObjectId) -> list[dict[str, Any]]:
    """The user's document without its password hash, as a one-element list (data download)."""
    docs = store.find(USERS, {"_id": {"$eq": user_id}})
    return [{k: v for k, v in doc.items() if k not in _PRIVATE} for doc in docs]


def count(store: Store) -> int:
    """How many accounts exist."""
    return store.count_documents(USERS, {})


def insert(store: Store, document: Mapping[str, Any]) -> bson.ObjectId:
    """Insert a new account; raises :class:`~dashboard.store.DuplicateKeyError` for a taken
    username or email."""
    return store.insert_many(USERS, [document])[0]


def set_fields(store: Store, user_id: bson.ObjectId, fields: Mapping[str, Any]) -> int:
    """``$set`` ``fields`` on one account; the number of documents changed."""
    return store.update_many(USERS, {"_id": {"$eq": user_id}}, {"$set": dict(fields)})


def set_fields_by_username(store: Store, username: str, fields: Mapping[str, Any]) -> int:
    """``$set`` ``fields`` on the account with this username."""
    return store.update_many(USERS, {"username": {"$eq": username}}, {"$set": dict(fields)})


def record_login(store: Store, username: str) -> None:
    """Stamp ``lastLoginAt`` with the database's clock."""
    store.update_many(
        USERS, {"username": {"$eq": username}}, {"$currentDate": {"lastLoginAt": True}}
    )


def request_deletion(store: Store, user_id: bson.ObjectId) -> None:
    """Stamp ``deletionRequestedAt``: the request an admin confirms."""
    store.update_many(
        USERS, {"_id": {"$eq": user_id}}, {"$currentDate": {"deletionRequestedAt": True}}
    )


def delete(store: Store, user_id: bson.ObjectId) -> int:
    """Remove the account document."""
    return store.delete_many(USERS, {"_id": {"$eq": user_id}})


def revoke_login(store: Store, username: str, expires: float) -> None:
    """Refuse the login cookie that expires at ``expires`` from now on, wherever it still is.

    Logout asks the browser to delete the cookie, but its component runs after the login form
    shows (over a second later under load) and not at all if the tab closes first; until then a
    reload or a new tab sends the cookie, still validly signed. Entries whose cookie has expired
    anyway are dropped, unless another logout changed the list meanwhile (its entry is kept).
    """
    doc = by_username(store, username)
    if doc is None:
        return
    match = {"username": {"$eq": doc["username"]}}
    revoked = list(doc.get(REVOKED_LOGINS) or [])
    kept = [e for e in revoked if isinstance(e, int | float) and e > time.time()]
    if kept != revoked:
        store.update_many(
            USERS, {**match, REVOKED_LOGINS: {"$eq": revoked}}, {"$set": {REVOKED_LOGINS: kept}}
        )
    store.update_many(USERS, match, {"$push": {REVOKED_LOGINS: expires}})


def is_revoked(document: Mapping[str, Any], expires: object) -> bool:
    """Whether the login cookie expiring at ``expires`` was logged out (see :func:`revoke_login`)."""
    return expires in (document.get(REVOKED_LOGINS) or [])
