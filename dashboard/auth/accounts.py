"""Accounts and their rules: credentials for the authenticator, registration, admin changes.

Credentials live only in ``users`` (``passwordHash``, see :mod:`dashboard.auth.passwords` for the
policy and the scheme); every change goes through :mod:`dashboard.data.users` and is audited.
Everything that ends a password or an account's access (password change, temporary password,
disabling, "log out everywhere") also ends the account's sessions (its session version).
"""

from __future__ import annotations

import re
import secrets
import string
import unicodedata
from datetime import UTC, datetime
from typing import Any

import bson

from dashboard.auth import passwords
from dashboard.cache import Cache
from dashboard.core.identity import ROLES, AuthUser
from dashboard.core.periods import check_zone
from dashboard.data import users
from dashboard.data.audit_log import audit
from dashboard.store import DuplicateKeyError, Store
from queries.base import GLOBAL
from queries.scope import require_admin

__all__ = [
    "EMAIL_MAX",
    "NAME_MAX",
    "USERNAME_MAX",
    "USERNAME_RULE",
    "AccountError",
    "change_password",
    "check_email",
    "check_name",
    "check_new_password",
    "check_username",
    "end_all_sessions",
    "hash_password",
    "issue_temporary_password",
    "register_account",
    "set_disabled",
    "set_roles",
    "update_details",
    "update_preferences",
]


class AccountError(ValueError):
    """An account operation that cannot be done as asked; the message says why."""


#: Longest values an anonymous visitor may send (login and registration forms check them too).
USERNAME_MAX = 64
NAME_MAX = 100
EMAIL_MAX = 254
#: A registered username's length, and the rule as the form states it.
USERNAME_MIN, USERNAME_NEW_MAX = 3, 32
USERNAME_RULE = (
    f"{USERNAME_MIN}–{USERNAME_NEW_MAX} characters: letters, digits, dots, hyphens, underscores; "
    "starting with a letter or digit. Capitals are stored in lower case."
)
_USERNAME_CHAR = re.compile(r"[a-z0-9._-]")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def hash_password(password: str) -> str:
    """The stored hash of a new password (see :mod:`dashboard.auth.passwords`)."""
    return passwords.hash_password(password)


def check_new_password(password: str, repeat: str, *, username: str) -> None:
    """The one policy for every new password: raise :class:`AccountError` saying what is wrong."""
    if password != repeat:
        msg = "the two passwords differ: type the same password twice"
        raise AccountError(msg)
    try:
        passwords.check_policy(password, username=username)
    except passwords.PasswordRejected as exc:
        raise AccountError(str(exc)) from None


def _shown(char: str) -> str:
    return "spaces" if char == " " else repr(char) if char.isprintable() else f"U+{ord(char):04X}"


def check_username(username: str) -> str:
    """A new username, lower-cased: raise :class:`AccountError` naming the rule it breaks."""
    value = username.strip().lower() if isinstance(username, str) else ""
    if not value:
        msg = f"username: enter {USERNAME_MIN} to {USERNAME_NEW_MAX} characters"
        raise AccountError(msg)
    if len(value) < USERNAME_MIN:
        msg = f"username: at least {USERNAME_MIN} characters, got {len(value)}"
        raise AccountError(msg)
    if len(value) > USERNAME_NEW_MAX:
        msg = f"username: at most {USERNAME_NEW_MAX} characters, got {len(value):,}"
        raise AccountError(msg)
    bad = list(dict.fromkeys(c for c in value if not _USERNAME_CHAR.fullmatch(c)))
    if bad:
        shown = ", ".join(_shown(c) for c in bad[:5]) + (" …" if len(bad) > 5 else "")
        msg = (
            "username: only letters a-z, digits, dots, hyphens and underscores; "
            f"not allowed: {shown}"
        )
        raise AccountError(msg)
    if not value[0].isalnum():
        msg = f"username: start with a letter or digit, not {value[0]!r}"
        raise AccountError(msg)
    return value


def check_name(name: str, *, label: str = "name") -> str:
    """A person's name as given (surrounding spaces dropped): 1 to 100 characters, no control
    characters."""
    value = name.strip() if isinstance(name, str) else ""
    if not value:
        msg = f"{label}: enter a value"
        raise AccountError(msg)
    if len(value) > NAME_MAX:
        msg = f"{label}: at most {NAME_MAX} characters, got {len(value):,}"
        raise AccountError(msg)
    if any(unicodedata.category(c).startswith("C") for c in value):
        msg = f"{label}: only printable characters, please"
        raise AccountError(msg)
    return value


def check_email(email: str) -> str:
    """An email address, lower-cased (emails are unique whatever their case)."""
    value = email.strip().lower() if isinstance(email, str) else ""
    if len(value) > EMAIL_MAX:
        msg = f"email: at most {EMAIL_MAX} characters, got {len(value):,}"
        raise AccountError(msg)
    if not _EMAIL.match(value):
        msg = "email: enter an address such as name@example.org"
        raise AccountError(msg)
    return value


def _email_taken(store: Store, email: str, *, by: bson.ObjectId | None) -> bool:
    other = users.by_email(store, email)
    return other is not None and other["_id"] != by


def change_password(store: Store, user: AuthUser, *, current: str, new: str, repeat: str) -> None:
    """Change ``user``'s own password after checking the current one; every earlier login cookie
    and other signed-in session of the account ends (the caller re-issues this session's)."""
    doc = users.by_id(store, user.id)
    if doc is None or not passwords.verify_password(current, doc.get("passwordHash")):
        msg = "the current password is not right"
        raise AccountError(msg)
    check_new_password(new, repeat, username=user.username)
    users.set_fields(
        store, user.id, {"passwordHash": hash_password(new), "mustChangePassword": False}
    )
    users.end_sessions(store, user.id)
    audit(store, "password.changed", actor=user.username, target=user.username)


def update_details(store: Store, user: AuthUser, *, field: str, value: str) -> None:
    """Change ``user``'s first name, last name or email address."""
    doc = users.by_id(store, user.id)
    if doc is None:
        msg = "your account no longer exists"
        raise AccountError(msg)
    first, _, last = str(doc.get("name") or doc["username"]).partition(" ")
    if field == "email":
        email = check_email(value)
        if _email_taken(store, email, by=user.id):
            msg = "that email address belongs to another account"
            raise AccountError(msg)
        update = {"email": email}
    elif field in ("first_name", "last_name"):
        given = check_name(value, label=field.replace("_", " "))
        first, last = (given, last) if field == "first_name" else (first, given)
        update = {"name": check_name(f"{first} {last}", label="name")}
    else:
        msg = f"unknown field {field!r}: expected first_name, last_name or email"
        raise AccountError(msg)
    try:
        users.set_fields(store, user.id, update)
    except DuplicateKeyError as exc:
        msg = "that email address belongs to another account"
        raise AccountError(msg) from exc
    audit(store, "account.updated", actor=user.username, target=user.username,
          details={"fields": sorted(update)})  # fmt: skip


def register_account(
    store: Store, *, username: str, name: str, email: str, password: str, repeat: str
) -> dict[str, Any]:
    """Create a self-registered account with the ``user`` role (every field checked here too:
    the form's limits can be bypassed)."""
    username = check_username(username)
    name = check_name(name)
    email = check_email(email)
    check_new_password(password, repeat, username=username)
    if users.by_username(store, username) is not None or _email_taken(store, email, by=None):
        msg = "that username or email address is already registered"
        raise AccountError(msg)
    now = datetime.now(UTC)
    doc = {
        "username": username,
        "name": name,
        "email": email,
        "passwordHash": hash_password(password),
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


def end_all_sessions(store: Store, user: AuthUser) -> None:
    """ "Log out everywhere": every login cookie and signed-in session of ``user`` ends."""
    users.end_sessions(store, user.id)
    audit(store, "logout.everywhere", actor=user.username, target=user.username)


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
    if disabled:
        users.end_sessions(store, target["_id"])
    audit(
        store,
        "account.disabled" if disabled else "account.enabled",
        actor=actor.username,
        target=target["username"],
    )
    if cache is not None:
        cache.invalidate(GLOBAL)


def _temporary_password() -> str:
    """A random password of the password policy (16 characters, about 95 bits)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        if not passwords.is_common(password):
            return password


def issue_temporary_password(store: Store, actor: AuthUser, user_id: bson.ObjectId | str) -> str:
    """Set a random temporary password (shown once to the admin); it must be changed at login."""
    require_admin(actor, "manage accounts")
    target = _target(store, user_id)
    password = _temporary_password()
    users.set_fields(
        store, target["_id"], {"passwordHash": hash_password(password), "mustChangePassword": True}
    )
    users.end_sessions(store, target["_id"])  # the old password's sessions end with it
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
