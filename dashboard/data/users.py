"""The ``users`` collection: the account documents that the login flow, account changes and data
rights read and write, one operation per function.

Values are matched literally (``$eq``), so a username such as ``{"$ne": null}`` is a string. Every
operation runs with the store's time limit. Reads for a page's tables are queries
(:mod:`queries.accounts`); these are the document reads that must never come from a cache (signing
in) and the writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import bson

from dashboard.store import Store

__all__ = [
    "REVOKED_TOKENS",
    "SESSION_VERSION",
    "USERS",
    "by_email",
    "by_id",
    "by_username",
    "count",
    "delete",
    "end_sessions",
    "insert",
    "is_token_revoked",
    "profile",
    "record_login",
    "replace_password_hash",
    "request_deletion",
    "revoke_token",
    "session_version",
    "set_fields",
    "set_fields_by_username",
]

USERS = "users"
#: On a user's document: a counter that every "end all sessions" event increments (missing = 0);
#: a login cookie carries the version it was issued under.
SESSION_VERSION = "sessionVersion"
#: On a user's document: ``{jti, exp}`` of each login cookie logged out before it expired.
REVOKED_TOKENS = "revokedTokens"
_PRIVATE = ("passwordHash",)


def _lower_email(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with the email address lower-cased: emails are unique whatever their case."""
    out = dict(fields)
    if isinstance(out.get("email"), str):
        out["email"] = out["email"].strip().lower()
    return out


def by_username(store: Store, username: str) -> dict[str, Any] | None:
    """The user document with this username (stored lower case; matched literally)."""
    if not isinstance(username, str) or not username.strip():
        return None
    found = store.find(USERS, {"username": {"$eq": username.strip().lower()}}, limit=1)
    return found[0] if found else None


def by_email(store: Store, email: str) -> dict[str, Any] | None:
    """The user document with this email address, whatever its case (stored or given).

    Emails are stored lower case, but the tracker's own documents may not be: the match is a
    case-insensitive regular expression of the escaped address, so the value stays data.
    """
    if not isinstance(email, str) or not email.strip():
        return None
    pattern = f"^{re.escape(email.strip())}$"
    found = store.find(USERS, {"email": {"$regex": pattern, "$options": "i"}}, limit=1)
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
    return store.insert_many(USERS, [_lower_email(document)])[0]


def set_fields(store: Store, user_id: bson.ObjectId, fields: Mapping[str, Any]) -> int:
    """``$set`` ``fields`` on one account; the number of documents changed."""
    return store.update_many(USERS, {"_id": {"$eq": user_id}}, {"$set": _lower_email(fields)})


def set_fields_by_username(store: Store, username: str, fields: Mapping[str, Any]) -> int:
    """``$set`` ``fields`` on the account with this username."""
    return store.update_many(USERS, {"username": {"$eq": username}}, {"$set": _lower_email(fields)})


def replace_password_hash(store: Store, user_id: bson.ObjectId, *, old: str, new: str) -> bool:
    """Replace the account's password hash ``old`` by ``new`` (the same password, hashed anew)
    unless it changed meanwhile (a password change wins); True when replaced. The session version
    stays: the password did not change."""
    match = {"_id": {"$eq": user_id}, "passwordHash": {"$eq": old}}
    return store.update_many(USERS, match, {"$set": {"passwordHash": new}}) == 1


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


def session_version(document: Mapping[str, Any]) -> int:
    """The account's session version: login cookies and signed-in sessions made under another
    version are no longer valid (missing = 0)."""
    version = document.get(SESSION_VERSION, 0)
    return version if isinstance(version, int) and not isinstance(version, bool) else -1


def end_sessions(store: Store, user_id: bson.ObjectId) -> None:
    """End every login cookie and signed-in session of this account (bumps its session version):
    a password change, a temporary password, disabling, "log out everywhere"."""
    store.update_many(USERS, {"_id": {"$eq": user_id}}, {"$inc": {SESSION_VERSION: 1}})


def revoke_token(store: Store, user_id: bson.ObjectId, token_id: str, expires: float) -> None:
    """Refuse the one login cookie ``token_id`` (logged out) until it expires anyway.

    Logout asks the browser to delete the cookie, but its component runs after the login form
    shows and not at all if the tab closes first; until then a reload or a copy of the cookie
    would still sign in. Entries of cookies that have expired anyway are dropped, unless another
    logout changed the list meanwhile (its entry is kept).
    """
    doc = by_id(store, user_id)
    if doc is None:
        return
    match = {"_id": {"$eq": user_id}}
    revoked = list(doc.get(REVOKED_TOKENS) or [])
    kept = [
        e
        for e in revoked
        if isinstance(e, Mapping)
        and isinstance(e.get("exp"), int | float)
        and e["exp"] > time.time()
    ]
    if kept != revoked:
        store.update_many(
            USERS, {**match, REVOKED_TOKENS: {"$eq": revoked}}, {"$set": {REVOKED_TOKENS: kept}}
        )
    store.update_many(USERS, match, {"$push": {REVOKED_TOKENS: {"jti": token_id, "exp": expires}}})


def is_token_revoked(document: Mapping[str, Any], token_id: str) -> bool:
    """Whether the login cookie ``token_id`` was logged out (see :func:`revoke_token`)."""
    return any(
        isinstance(e, Mapping) and e.get("jti") == token_id
        for e in document.get(REVOKED_TOKENS) or []
    )
