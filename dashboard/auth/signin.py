"""The checks of a login around its password check, with no Streamlit: whether the account
changed while its password was being checked, and upgrading an old password hash.

A login reads the account, checks the password (bcrypt, about 0.2 s), then signs the session in.
A password change, temporary password, disabling or "log out everywhere" that lands during the
check must win: :func:`changed_meanwhile` re-reads the account and the login fails when its hash
or session version moved, and the login cookie carries the version of the document that was
checked, never a later one. :func:`upgrade_hash` then replaces a plain-bcrypt or cheaper hash by
one of the current scheme (see :mod:`dashboard.auth.passwords`), so known users' checks cost what
the unknown-username check costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dashboard.auth import passwords
from dashboard.data import users
from dashboard.store import Store

__all__ = ["changed_meanwhile", "upgrade_hash"]


def changed_meanwhile(store: Store, doc: Mapping[str, Any]) -> bool:
    """Whether the account ``doc`` was read from is gone, or its password hash or session
    version is no longer the one in ``doc``."""
    now = users.by_id(store, doc["_id"])
    return (
        now is None
        or now.get("passwordHash") != doc.get("passwordHash")
        or users.session_version(now) != users.session_version(doc)
    )


def upgrade_hash(store: Store, doc: Mapping[str, Any], password: str) -> bool:
    """After a successful login with ``password``: store a hash of the current scheme and cost
    in place of ``doc``'s older or cheaper one (unless it changed meanwhile). True when replaced."""
    stored = doc.get("passwordHash")
    if not isinstance(stored, str) or not passwords.needs_rehash(stored):
        return False
    new = passwords.hash_password(password)
    return users.replace_password_hash(store, doc["_id"], old=stored, new=new)
