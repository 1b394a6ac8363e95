"""Accounts and their rules: credentials for the authenticator, registration, admin changes.

Credentials live only in ``users`` (bcrypt hashes in ``passwordHash``); the authenticator gets a
credentials dict built from the documents it needs and every change it makes is written back
through :mod:`dashboard.data.users`. Every change is audited.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import bcrypt
import bson

from dashboard.cache import Cache
from dashboard.core.identity import ROLES, AuthUser
from dashboard.core.periods import check_zone
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import DuplicateKeyError, Store
from queries.base import GLOBAL
from queries.scope import require_admin

__all__ = [
    "AccountError",
    "credentials_for",
    "hash_password",
    "issue_temporary_password",
    "register_account",
    "save_credentials",
    "set_disabled",
    "set_roles",
    "update_preferences",
]


class AccountError(ValueError):
    """An account operation that cannot be done as asked; the message says why."""


def hash_password(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def credentials_for(documents: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The authenticator's credentials dict for these users (only those who can log in)."""
    usernames: dict[str, Any] = {}
    for doc in documents:
        if not doc.get("passwordHash") or doc.get("disabled"):
            continue
        first, _, last = str(doc.get("name") or doc["username"]).partition(" ")
        usernames[doc["username"]] = {
            "email": doc.get("email") or "",
            "first_name": first,
            "last_name": last,
            "password": doc["passwordHash"],
            "roles": list(doc.get("roles") or []),
        }
    return {"usernames": usernames}


def save_credentials(
    store: Store, before: Mapping[str, Any], after: Mapping[str, Any], *, actor: str | None
) -> list[str]:
    """Write what the authenticator changed (names, emails, password hashes) back to ``users``."""
    changed: list[str] = []
    old_users = before.get("usernames", {})
    for username, entry in after.get("usernames", {}).items():
        old = old_users.get(username)
        if old is None:
            continue
        update: dict[str, Any] = {}
        name = f"{entry.get('first_name', '')} {entry.get('last_name', '')}".strip()
        old_name = f"{old.get('first_name', '')} {old.get('last_name', '')}".strip()
        if name != old_name:
            update["name"] = name
        if entry.get("email") != old.get("email"):
            update["email"] = entry.get("email")
        if entry.get("password") != old.get("password"):
            update["passwordHash"] = entry["password"]
            update["mustChangePassword"] = False
        if update:
            try:
                users.set_fields_by_username(store, username, update)
            except DuplicateKeyError as exc:
                msg = "that email address belongs to another account"
                raise AccountError(msg) from exc
            audit(
                store,
                "account.updated",
                actor=actor,
                target=username,
                details={"fields": sorted(update)},
            )
            changed.append(username)
    return changed


_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


def register_account(
    store: Store, *, username: str, name: str, email: str, password_hash: str
) -> dict[str, Any]:
    """Create a self-registered account with the ``user`` role."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        msg = "usernames are 3 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
        raise AccountError(msg)
    now = datetime.now(UTC)
    doc = {
        "username": username,
        "name": name.strip() or username,
        "email": email.strip().lower(),
        "passwordHash": password_hash,
        "mustChangePassword": False,
        "roles": ["user"],
        "timezone": "UTC",
        "currency": "USD",
        "createdAt": now,
        "lastActiveAt": now,
        "disabled": False,
    }
    try:
        doc["_id"] = users.insert(store, doc)
    except DuplicateKeyError as exc:
        msg = "that username or email address is already registered"
        raise AccountError(msg) from exc
    audit(store, "account.registered", actor=username, target=username)
    return doc


def _target(store: Store, user_id: bson.ObjectId | str) -> dict[str, Any]:
    found = users.by_id(store, user_id)
    if found is None:
        msg = f"no user with id {user_id}"
        raise AccountError(msg)
    return found


def set_roles(
    store: Store, actor: AuthUser, user_id: bson.ObjectId | str, roles: list[str]
) -> None:
    """Give a user exactly ``roles`` (takes effect on their next page run)."""
    require_admin(actor, "manage accounts")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        msg = f"roles must be a non-empty subset of {', '.join(ROLES)}; got {roles}"
        raise AccountError(msg)
    target = _target(store, user_id)
    if target["_id"] == actor.id and "admin" not in roles:
        msg = "you cannot remove your own admin role"
        raise AccountError(msg)
    users.set_fields(store, target["_id"], {"roles": sorted(set(roles))})
    audit(
        store,
        "role.changed",
        actor=actor.username,
        target=target["username"],
        details={"from": list(target.get("roles") or []), "to": sorted(set(roles))},
    )


def set_disabled(
    store: Store,
    actor: AuthUser,
    user_id: bson.ObjectId | str,
    *,
    disabled: bool,
    cache: Cache | None = None,
) -> None:
    """Disable or enable an account; a disabled user is signed out on their next page run, and
    the staff pages' user counts (the ``global`` cache scope) are recomputed."""
    require_admin(actor, "manage accounts")
    target = _target(store, user_id)
    if target["_id"] == actor.id and disabled:
        msg = "you cannot disable your own account"
        raise AccountError(msg)
    users.set_fields(store, target["_id"], {"disabled": disabled})
    audit(
        store,
        "account.disabled" if disabled else "account.enabled",
        actor=actor.username,
        target=target["username"],
    )
    if cache is not None:
        cache.invalidate(GLOBAL)


def _temporary_password() -> str:
    """A random password that satisfies the authenticator's rules (8-20 chars, all classes)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(13))
        password = f"{body}-{secrets.choice(string.digits)}{secrets.choice('!@#$%*')}"
        if any(c.islower() for c in body) and any(c.isupper() for c in body):
            return password


def issue_temporary_password(store: Store, actor: AuthUser, user_id: bson.ObjectId | str) -> str:
    """Set a random temporary password (shown once to the admin); it must be changed at login."""
    require_admin(actor, "manage accounts")
    target = _target(store, user_id)
    password = _temporary_password()
    users.set_fields(
        store, target["_id"], {"passwordHash": hash_password(password), "mustChangePassword": True}
    )
    audit(store, "password.reset_issued", actor=actor.username, target=target["username"])
    return password


def update_preferences(
    store: Store,
    user: AuthUser,
    *,
    timezone: str,
    week_start: int,
    cache: Cache | None = None,
) -> None:
    """Change the user's time zone and first day of the week; the dashboards group by them, so
    the user's cached results are recomputed."""
    try:
        check_zone(timezone)
    except ValueError as exc:
        msg = f"time zone: {exc}"
        raise AccountError(msg) from None
    if not isinstance(week_start, int) or not 1 <= week_start <= 7:
        msg = f"week start: expected 1 (Monday) to 7 (Sunday), got {week_start!r}"
        raise AccountError(msg)
    users.set_fields(store, user.id, {"timezone": timezone, "weekStart": week_start})
    audit(store, "account.preferences", actor=user.username, target=user.username,
          details={"timezone": timezone, "weekStart": week_start})  # fmt: skip
    if cache is not None:
        cache.invalidate(user.scope)
