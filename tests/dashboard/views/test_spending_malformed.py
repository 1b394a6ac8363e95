"""The spending views over malformed expenses: the figures are those of the usable expenses, and
what was left out is counted. Expected values are sums of the valid amounts, by hand."""

from __future__ import annotations

import datetime as dt
import math

import bson
import pytest

from dashboard.cache import MemoryCache
from dashboard.core.identity import AuthUser
from dashboard.core.periods import month_period
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner
from dashboard.store import Store
from dashboard.views import spending
from tests.apptest import RecordingStore
from tests.factories import MISSING, broken_expense, expense, utc

MAY = month_period(dt.date(2026, 5, 1), "UTC")


@pytest.fixture
def user() -> AuthUser:
    return AuthUser(
        id=bson.ObjectId(), username="u", name="U", email=None, roles=("user",), timezone="UTC"
    )


@pytest.fixture
def malformed(runner: Runner, user: AuthUser) -> Runner:
    """Three usable May expenses (10.00 + 5.25 Food, 20.50 Transport) among seven unusable ones."""
    when = utc(2026, 5, 10, 12)
    runner.store.insert_many(
        "expenses",
        [
            expense(user, when, 10.0, "Food", "Lunch"),
            expense(user, utc(2026, 5, 11, 12), 20.5, "Transport", "Train"),
            expense(user, utc(2026, 5, 12, 9), 5.25, "Food", "Coffee"),
            broken_expense(user, when, amount=math.nan),
            broken_expense(user, when, amount=math.inf),
            broken_expense(user, when, amount=1e308),
            broken_expense(user, when, amount=None),
            broken_expense(user, when, category=None, amount=7.0),
            broken_expense(user, when, category=MISSING, amount=7.0),
            broken_expense(user, when, date=None),
        ],
    )
    return runner


def test_kpis_count_only_the_usable_expenses(malformed: Runner, user: AuthUser) -> None:
    kpis = {k.label: k.value for k in spending.kpis(malformed, user, MAY)}
    assert kpis["Total spent"] == pytest.approx(35.75)  # 10.00 + 20.50 + 5.25
    assert kpis["Expenses"] == 3
    assert kpis["Largest expense"] == pytest.approx(20.5)
    assert kpis["Average per day"] == pytest.approx(35.75 / 31)


def test_breakdowns_have_no_missing_category_and_add_up(malformed: Runner, user: AuthUser) -> None:
    totals = spending.category_totals(malformed, user, MAY)
    assert dict(totals.select("category", "total").iter_rows()) == pytest.approx(
        {"Transport": 20.5, "Food": 15.25}
    )
    for frame in (
        spending.daily_spend(malformed, user, MAY),
        spending.weekday_spend(malformed, user, MAY),
        spending.hourly_spend(malformed, user, MAY),
        spending.monthly_trend(malformed, user, MAY),
    ):
        assert frame["total"].sum() == pytest.approx(35.75)
    share = spending.category_share(malformed, user, MAY)
    assert set(share["category"]) == {"Food", "Transport"}


def test_insights_run_on_the_usable_expenses(malformed: Runner, user: AuthUser) -> None:
    coffees = [3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 60.0]
    malformed.store.insert_many(
        "expenses",
        [expense(user, utc(2026, 5, 1 + i, 8), a, "Food") for i, a in enumerate(coffees)],
    )
    found = spending.insights(malformed, user, MAY, today=dt.date(2026, 5, 31))
    # Food: 3.0..3.7, 5.25, 10.00, 60.00 → median 3.50, MAD 0.30; z = 0.6745 (x - 3.5) / 0.3 is
    # above 3.5 for 60.00 (127), 10.00 (14.6) and 5.25 (3.9); NaN, inf and 1e308 are not there.
    assert sorted(found.unusual["amount"]) == [5.25, 10.0, 60.0]


def test_what_was_left_out_is_counted(malformed: Runner, user: AuthUser) -> None:
    left = spending.left_out(malformed, user, MAY)
    assert dict(left.counts) == {"date": 1, "amount": 4, "category": 2, "currency": 0, "owner": 0}
    assert left.notice() == (
        "1 expense without a valid date, 4 expenses with an invalid amount and 2 expenses "
        "without a category were left out."
    )
    assert spending.left_out(malformed, user, MAY, categories=["Transport"]).counts["amount"] == 0


def test_a_user_with_nothing_left_out_costs_one_cheap_check(store: Store, user: AuthUser) -> None:
    """Most users have no unusable expense: then only the one-filter check runs, not the
    per-reason count (ten times its cost); a user with one gets the count."""
    recorder = RecordingStore(store)
    runner = Runner(store=recorder, cache=MemoryCache(), settings=Settings())
    store.insert_many("expenses", [expense(user, utc(2026, 5, 10, 12), 10.0, "Food", "Lunch")])
    assert spending.left_out(runner, user, MAY).total == 0
    assert [comment for _, _, comment in recorder.sent] == ["spending.any_left_out"]
    other = AuthUser(id=bson.ObjectId(), username="o", name="O", email=None, roles=("user",))
    store.insert_many("expenses", [broken_expense(other, utc(2026, 5, 10, 12), amount=math.nan)])
    assert dict(spending.left_out(runner, other, MAY).counts)["amount"] == 1
    assert [comment for _, _, comment in recorder.sent][1:] == [
        "spending.any_left_out",
        "spending.left_out",
    ]
