"""The users collection's named reads and writes: literal matching, one account at a time."""

from __future__ import annotations

import bson
import pytest

from dashboard.data import users
from dashboard.store import DuplicateKeyError, Store


def test_lookups_match_literally_and_ignore_case_of_the_input(store: Store) -> None:
    store.create_index("users", [("username", 1)], unique=True)
    ana = users.insert(store, {"username": "ana", "passwordHash": "h", "roles": ["user"]})
    users.insert(store, {"username": "bo"})
    assert users.by_username(store, " ANA ")["_id"] == ana
    assert users.by_username(store, {"$ne": None}) is None  # type: ignore[arg-type]
    assert users.by_username(store, "") is None
    assert users.by_id(store, str(ana))["username"] == "ana"
    assert users.profile(store, ana) == [{"_id": ana, "username": "ana", "roles": ["user"]}]
    assert users.count(store) == 2
    with pytest.raises(DuplicateKeyError):
        users.insert(store, {"username": "ana"})


def test_writes_touch_one_account(store: Store) -> None:
    ana = users.insert(store, {"username": "ana"})
    bo = users.insert(store, {"username": "bo"})
    assert users.set_fields(store, ana, {"disabled": True}) == 1
    users.record_login(store, "ana")
    users.request_deletion(store, ana)
    doc = users.by_id(store, ana)
    assert doc["disabled"] is True
    assert doc["lastLoginAt"].tzinfo is not None and doc["deletionRequestedAt"] is not None
    assert set(users.by_id(store, bo)) == {"_id", "username"}
    assert users.delete(store, ana) == 1
    assert users.by_id(store, ana) is None
    assert users.by_id(store, bson.ObjectId()) is None
