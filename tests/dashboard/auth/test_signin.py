"""The login's checks around its password check: a changed account, an upgraded hash."""

from __future__ import annotations

import bcrypt

from dashboard.auth import passwords, signin
from dashboard.data import users
from dashboard.store import Store


def test_a_changed_hash_or_session_version_or_a_deleted_account_counts_as_changed(
    store: Store,
) -> None:
    ana = users.insert(store, {"username": "ana", "passwordHash": "h1"})
    read = users.by_id(store, ana)
    assert not signin.changed_meanwhile(store, read)
    users.end_sessions(store, ana)
    assert signin.changed_meanwhile(store, read)
    read = users.by_id(store, ana)
    users.set_fields(store, ana, {"passwordHash": "h2"})
    assert signin.changed_meanwhile(store, read)
    read = users.by_id(store, ana)
    users.set_fields(store, ana, {"lastLoginAt": 1})  # other fields do not matter
    assert not signin.changed_meanwhile(store, read)
    users.delete(store, ana)
    assert signin.changed_meanwhile(store, read)


def test_only_an_older_or_cheaper_hash_is_upgraded_and_a_change_meanwhile_wins(
    store: Store,
) -> None:
    legacy = bcrypt.hashpw(b"an old password", bcrypt.gensalt(rounds=4)).decode()
    ana = users.insert(store, {"username": "ana", "passwordHash": legacy})
    assert signin.upgrade_hash(store, users.by_id(store, ana), "an old password")
    upgraded = users.by_id(store, ana)["passwordHash"]
    assert upgraded.startswith("sha256-bcrypt$$2b$12$")
    assert passwords.verify_password("an old password", upgraded)
    assert not signin.upgrade_hash(store, users.by_id(store, ana), "an old password")
    bo = users.insert(store, {"username": "bo", "passwordHash": legacy})
    read = users.by_id(store, bo)
    users.set_fields(store, bo, {"passwordHash": "changed by a password change"})
    assert not signin.upgrade_hash(store, read, "an old password")
    assert users.by_id(store, bo)["passwordHash"] == "changed by a password change"
