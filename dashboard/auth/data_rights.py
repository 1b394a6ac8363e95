"""Data rights from the scaling notes: a user downloads all their data and asks for deletion;
an admin confirms it, which removes their expenses, budgets and identifying fields (audited)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import bson

from dashboard.auth.accounts import USERS
from dashboard.cache import Cache
from dashboard.core.csv_safe import neutralise
from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.data.audit_log import AUDIT_COLLECTION, audit
from dashboard.store import Store

__all__ = [
    "confirm_deletion",
    "export_csv_zip",
    "export_json",
    "export_user_data",
    "pending_deletions",
    "request_deletion",
]

_PRIVATE = ("passwordHash",)


def export_user_data(store: Store, user: AuthUser) -> dict[str, list[dict[str, Any]]]:
    """Every document that is the user's: profile, expenses (soft-deleted too), budgets, API log."""
    profile = store.find(USERS, {"_id": {"$eq": user.id}})
    for doc in profile:
        for field in _PRIVATE:
            doc.pop(field, None)
    owned = {"userId": {"$eq": user.id}}
    data = {
        "profile": profile,
        "expenses": store.find("expenses", owned, sort=[("date", 1)]),
        "budgets": store.find("budgets", owned, sort=[("month", 1)]),
        "api_requests": store.find("api_requests", owned, sort=[("ts", 1)]),
    }
    audit(store, "data.exported", actor=user.username, target=user.username,
          details={k: len(v) for k, v in data.items()})  # fmt: skip
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, bson.ObjectId):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def export_json(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """The export as one JSON document (ids as strings, dates as ISO 8601 with offset)."""
    return json.dumps(_plain(data), indent=2, ensure_ascii=False).encode()


def _csv_cell(value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    return neutralise(value) if isinstance(value, str) else value


def export_csv_zip(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """The export as a ZIP with one UTF-8 CSV per collection."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, docs in data.items():
            fields: list[str] = []
            for doc in docs:
                fields.extend(k for k in doc if k not in fields)
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=fields or ["_id"], extrasaction="ignore")
            writer.writeheader()
            for doc in docs:
                writer.writerow({k: _csv_cell(v) for k, v in doc.items()})
            archive.writestr(f"{name}.csv", text.getvalue())
    return buffer.getvalue()


def request_deletion(store: Store, user: AuthUser) -> None:
    """Ask for the account's deletion; an admin confirms it."""
    store.update_many(
        USERS, {"_id": {"$eq": user.id}}, {"$currentDate": {"deletionRequestedAt": True}}
    )
    audit(store, "deletion.requested", actor=user.username, target=user.username)


def pending_deletions(store: Store, actor: AuthUser) -> list[dict[str, Any]]:
    if "admin" not in actor.roles:
        raise PermissionDenied("only an admin can see deletion requests")
    return store.find(
        USERS,
        {"deletionRequestedAt": {"$ne": None}},
        projection={"username": 1, "name": 1, "email": 1, "deletionRequestedAt": 1},
        sort=[("deletionRequestedAt", 1)],
    )


def _pseudonym(user_id: bson.ObjectId) -> str:
    return "deleted-user-" + hashlib.sha256(user_id.binary).hexdigest()[:12]


def confirm_deletion(
    store: Store, cache: Cache, actor: AuthUser, user_id: bson.ObjectId
) -> dict[str, int]:
    """Delete the user's expenses, budgets and account; anonymise their API log and audit trail."""
    if "admin" not in actor.roles:
        raise PermissionDenied("only an admin can delete accounts")
    found = store.find(USERS, {"_id": {"$eq": user_id}}, limit=1)
    if not found:
        msg = f"no user with id {user_id}"
        raise ValueError(msg)
    target = found[0]
    if target["_id"] == actor.id:
        msg = "you cannot delete your own account"
        raise ValueError(msg)
    username = target["username"]
    owned = {"userId": {"$eq": user_id}}
    counts = {
        "expenses": store.delete_many("expenses", owned),
        "budgets": store.delete_many("budgets", owned),
        "api_requests": store.update_many("api_requests", owned, {"$set": {"userId": None}}),
    }
    alias = _pseudonym(user_id)
    for field in ("actor", "target"):
        store.update_many(AUDIT_COLLECTION, {field: {"$eq": username}}, {"$set": {field: alias}})
    store.delete_many(USERS, {"_id": {"$eq": user_id}})
    audit(store, "account.deleted", actor=actor.username, target=username,
          details={**counts, "userId": str(user_id), "pseudonym": alias})  # fmt: skip
    cache.invalidate(f"user:{user_id}")
    cache.invalidate("global")
    return counts
