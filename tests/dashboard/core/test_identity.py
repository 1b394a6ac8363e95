"""The signed-in user's type: roles, and stored profile values refused where they enter."""

from __future__ import annotations

import bson
import pytest

from dashboard.core.identity import AuthUser

DOC = {"_id": bson.ObjectId(), "username": "ana", "roles": ["user", "bogus"]}


def test_a_clean_profile_has_no_problems() -> None:
    user = AuthUser.from_document({**DOC, "timezone": "Asia/Tokyo", "weekStart": 7})
    assert (user.timezone, user.week_start, user.week_start_name) == ("Asia/Tokyo", 7, "sunday")
    assert user.roles == ("user",)
    assert user.problems == ()
    assert user.scope == f"user:{DOC['_id']}"


@pytest.mark.parametrize(
    ("fields", "timezone", "week_start", "problem"),
    [
        ({"timezone": "Mars/Base"}, "UTC", 1, "time zone 'Mars/Base'"),
        ({"timezone": 3}, "UTC", 1, "time zone 3"),
        ({"weekStart": 9}, "UTC", 1, "first day of the week (9)"),
        ({"weekStart": True}, "UTC", 1, "first day of the week (True)"),
        ({"weekStart": "2"}, "UTC", 1, "first day of the week ('2')"),
    ],
)
def test_unusable_profile_values_fall_back_with_a_notice(
    fields: dict, timezone: str, week_start: int, problem: str
) -> None:
    user = AuthUser.from_document({**DOC, **fields})
    assert (user.timezone, user.week_start) == (timezone, week_start)
    assert len(user.problems) == 1
    assert problem in user.problems[0]
    assert "Account page" in user.problems[0]


def test_missing_values_are_the_defaults_without_a_notice() -> None:
    user = AuthUser.from_document({**DOC, "timezone": None})
    assert (user.timezone, user.week_start, user.problems) == ("UTC", 1, ())


def test_admin_holds_every_role() -> None:
    admin = AuthUser.from_document({**DOC, "roles": ["admin"]})
    assert admin.has_role("finance") and admin.has_role("product")
    assert not AuthUser.from_document(DOC).has_role("finance")
