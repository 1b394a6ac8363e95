"""The admin pages' account queries, run on the embedded engine over hand-built users."""

from __future__ import annotations

import datetime as dt

import bson
import pytest

from dashboard.core.identity import PermissionDenied
from dashboard.data.runner import Runner
from queries.accounts import deletion_requests, search_users
from tests.factories import ADMIN, PRODUCT, utc

IDS = [bson.ObjectId(f"6600000000000000000000{i:02d}") for i in range(4)]
USERS = [
    {"_id": IDS[0], "username": "zoe", "name": "Zoë A.", "email": "zoe@example.com",
     "roles": ["user"], "passwordHash": "x"},
    {"_id": IDS[1], "username": "a.b", "name": "Ab", "roles": ["finance", "user"],
     "disabled": True, "deletionRequestedAt": utc(2026, 3, 2, 9)},
    {"_id": IDS[2], "username": "axb", "email": None, "roles": None,
     "deletionRequestedAt": utc(2026, 3, 1, 8)},
    {"_id": IDS[3], "username": "carl", "name": "Carl .*", "roles": ["admin"]},
]  # fmt: skip


@pytest.fixture
def seeded(runner: Runner) -> Runner:
    runner.store.insert_many("users", USERS)
    return runner


def test_search_matches_text_literally_in_username_name_or_email(seeded: Runner) -> None:
    found = seeded.frame(search_users(ADMIN, "a.b"))
    assert found["username"].to_list() == ["a.b"]  # not "axb": the dot is a dot
    assert seeded.frame(search_users(ADMIN, ".*"))["username"].to_list() == ["carl"]
    assert seeded.frame(search_users(ADMIN, "EXAMPLE.COM"))["username"].to_list() == ["zoe"]


def test_every_account_is_listed_by_username_without_secrets(seeded: Runner) -> None:
    found = seeded.frame(search_users(ADMIN))
    assert found.columns == ["id", "username", "name", "email", "roles", "disabled"]
    assert found.rows() == [
        (str(IDS[1]), "a.b", "Ab", "", ["finance", "user"], True),
        (str(IDS[2]), "axb", "", "", [], False),
        (str(IDS[3]), "carl", "Carl .*", "", ["admin"], False),
        (str(IDS[0]), "zoe", "Zoë A.", "zoe@example.com", ["user"], False),
    ]


def test_deletion_requests_oldest_first(seeded: Runner) -> None:
    pending = seeded.frame(deletion_requests(ADMIN))
    assert pending.rows() == [
        (str(IDS[2]), "axb", dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)),
        (str(IDS[1]), "a.b", dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)),
    ]


def test_only_admins_and_never_from_the_cache(seeded: Runner) -> None:
    for query in (search_users, deletion_requests):
        with pytest.raises(PermissionDenied, match="only an admin"):
            query(PRODUCT)
        assert query(ADMIN).family == "live"
    seeded.frame(search_users(ADMIN))
    seeded.store.insert_many("users", [{"username": "new", "roles": ["user"]}])
    assert "new" in seeded.frame(search_users(ADMIN))["username"].to_list()
