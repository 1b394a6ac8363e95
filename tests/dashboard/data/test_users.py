"""The users collection's named reads and writes: literal matching, one account at a time."""

from __future__ import annotations

import time

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


def test_emails_are_stored_lower_case_and_found_whatever_their_case(store: Store) -> None:
    ana = users.insert(store, {"username": "ana", "email": " Ana@Example.ORG "})
    assert users.by_id(store, ana)["email"] == "ana@example.org"
    users.set_fields(store, ana, {"email": "Ana.New@Example.org"})
    assert users.by_id(store, ana)["email"] == "ana.new@example.org"
    users.set_fields_by_username(store, "ana", {"email": "ANA@EXAMPLE.ORG"})
    assert users.by_id(store, ana)["email"] == "ana@example.org"
    # The tracker may have stored mixed case itself: found all the same.
    store.insert_many("users", [{"username": "bo", "email": "Bo.B@Example.org"}])
    assert users.by_email(store, "bo.b@example.ORG")["username"] == "bo"
    # The address is matched as text, not as a pattern: "." is a dot, ".*" finds nothing.
    assert users.by_email(store, "boxb@example.org") is None
    assert users.by_email(store, ".*") is None
    assert users.by_email(store, {"$ne": None}) is None  # type: ignore[arg-type]


def test_session_versions_start_at_0_and_only_go_up(store: Store) -> None:
    ana = users.insert(store, {"username": "ana"})
    assert users.session_version(users.by_id(store, ana)) == 0
    users.end_sessions(store, ana)
    users.end_sessions(store, ana)
    assert users.session_version(users.by_id(store, ana)) == 2
    assert users.session_version({"sessionVersion": "2"}) == -1  # matches no cookie


def test_a_revoked_token_is_remembered_until_it_expires_anyway(store: Store) -> None:
    ana = users.insert(store, {"username": "ana"})
    users.revoke_token(store, ana, "old", time.time() - 1)
    users.revoke_token(store, ana, "live", time.time() + 3600)
    users.revoke_token(store, ana, "newer", time.time() + 7200)
    doc = users.by_id(store, ana)
    assert users.is_token_revoked(doc, "live") and users.is_token_revoked(doc, "newer")
    assert not users.is_token_revoked(doc, "old")  # dropped: its cookie has expired
    assert not users.is_token_revoked(doc, "other")


def test_a_password_hash_is_replaced_only_while_it_is_still_the_one_read(store: Store) -> None:
    """The login rehashes a legacy hash; a password change that landed meanwhile wins."""
    ana = users.insert(store, {"username": "ana", "passwordHash": "old", "sessionVersion": 3})
    assert users.replace_password_hash(store, ana, old="old", new="rehashed") is True
    assert users.by_id(store, ana)["passwordHash"] == "rehashed"
    assert users.session_version(users.by_id(store, ana)) == 3  # no session ends
    users.set_fields(store, ana, {"passwordHash": "changed"})
    assert users.replace_password_hash(store, ana, old="rehashed", new="again") is False
    assert users.by_id(store, ana)["passwordHash"] == "changed"
