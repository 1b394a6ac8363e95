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

from dashboard.cache import Cache
from dashboard.core.csv_safe import neutralise
from dashboard.core.identity import AuthUser, user_scope
from dashboard.data import audit_log, owned, rollups, subscriptions, users
from dashboard.data.audit_log import audit
from dashboard.store import Store
from queries.base import GLOBAL
from queries.scope import require_admin

__all__ = [
    "confirm_deletion",
    "export_csv_zip",
    "export_json",
    "export_user_data",
    "request_deletion",
]


def export_user_data(store: Store, user: AuthUser) -> dict[str, list[dict[str, Any]]]:
    """Every document that is the user's: profile, expenses (soft-deleted too), budgets, API log."""
    data = {"profile": users.profile(store, user.id), **owned.documents(store, user.id)}
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
    users.request_deletion(store, user.id)
    audit(store, "deletion.requested", actor=user.username, target=user.username)


def _pseudonym(user_id: bson.ObjectId) -> str:
    return "deleted-user-" + hashlib.sha256(user_id.binary).hexdigest()[:12]


def confirm_deletion(
    store: Store, cache: Cache, actor: AuthUser, user_id: bson.ObjectId | str
) -> dict[str, int]:
    """Delete the user's expenses, budgets, activity rollup rows and account; anonymise their API
    log and audit trail (their username becomes a pseudonym everywhere, the deletion's own entry
    included)."""
    require_admin(actor, "delete accounts")
    target = users.by_id(store, user_id)
    if target is None:
        msg = f"no user with id {user_id}"
        raise ValueError(msg)
    user_id = target["_id"]
    if user_id == actor.id:
        msg = "you cannot delete your own account"
        raise ValueError(msg)
    username = target["username"]
    counts = {
        "expenses": owned.delete_expenses(store, user_id),
        "budgets": owned.delete_budgets(store, user_id),
        "api_requests": owned.anonymise_requests(store, user_id),
        "subscriptions": subscriptions.delete_for_user(store, user_id),
    }
    # After the requests are anonymised and the expenses gone: the recount of the user's days
    # reads them.
    counts[rollups.ACTIVITY.collection] = rollups.forget_user(store, user_id)
    alias = _pseudonym(user_id)
    audit_log.rename_user(store, username, alias)
    users.delete(store, user_id)
    # Only the pseudonym: neither the username nor the id (from which anyone with an old backup
    # could tell who it was) is written by the deletion.
    audit(store, "account.deleted", actor=actor.username, target=alias, details=counts)
    cache.invalidate(user_scope(user_id))
    cache.invalidate(GLOBAL)
    return counts
