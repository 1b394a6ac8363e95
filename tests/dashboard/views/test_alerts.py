"""Alert evaluation: the spending summary's change against the period before follows the one
comparison rule (no percentage against a period that is mostly before the first expense)."""

from __future__ import annotations

import datetime as dt

import bson
import pytest

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from dashboard.views.alerts import evaluate
from tests.factories import expense, utc

SUMMARY = {"kind": "summary", "params": {"frequency": "weekly"}}
SLOT = dt.datetime(2026, 5, 18, 14, tzinfo=dt.UTC)  # a Monday: the week of 11 to 17 May


@pytest.fixture
def user() -> AuthUser:
    return AuthUser(
        id=bson.ObjectId(), username="u", name="U", email=None, roles=("user",), timezone="UTC"
    )


def _first_line(runner: Runner, user: AuthUser) -> str:
    (firing,) = evaluate(runner, user, SUMMARY, slot=SLOT).firing
    return firing.notice.lines[0]


def test_the_summary_says_why_it_gives_no_change(runner: Runner, user: AuthUser) -> None:
    # The first expense is on 9 May: the week before (4..10 May) has data on 2 of its 7 days.
    # The old line said "(+400% on the period before)" (50 against 10).
    runner.store.insert_many(
        "expenses",
        [expense(user, utc(2026, 5, 9, 12), 10.0), expense(user, utc(2026, 5, 12, 12), 50.0)],
    )
    line = _first_line(runner, user)
    assert "$50.00 spent (no comparison with the period before: only 2 of 7 days have data)" in line
    assert "%" not in line


def test_the_summary_gives_the_change_against_a_covered_period(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 5, 1, 12), 1.0),  # the data starts before the week before
            expense(user, utc(2026, 5, 6, 12), 40.0),
            expense(user, utc(2026, 5, 12, 12), 50.0),
        ],
    )
    assert "$50.00 spent (+25% on the period before)" in _first_line(runner, user)
