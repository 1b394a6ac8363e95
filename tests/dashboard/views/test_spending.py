"""dashboard/spending.py on hand-built data: pro-rated budgets, gap filling, week starts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.data.runner import Runner
from dashboard.views import spending
from tests.factories import expense, utc


@pytest.fixture
def user() -> AuthUser:
    import bson

    return AuthUser(
        id=bson.ObjectId(), username="u", name="U", email=None, roles=("user",), timezone="UTC"
    )


def test_budget_is_pro_rated_by_the_days_of_each_month_inside_the_period(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "budgets",
        [
            {"userId": user.id, "month": utc(2026, 1, 1), "category": "Food", "limit": 310.0},
            {"userId": user.id, "month": utc(2026, 2, 1), "category": "Food", "limit": 280.0},
        ],
    )
    # 22 Jan .. 7 Feb: 10 of January's 31 days and 7 of February's 28 days.
    period = Period(dt.date(2026, 1, 22), dt.date(2026, 2, 7))
    assert spending.budget_for_period(runner, user, period) == pytest.approx(
        310 * 10 / 31 + 280 * 7 / 28
    )
    assert spending.budget_for_period(runner, user, period, categories=["Rent"]) is None


def test_monthly_trend_fills_empty_months_and_averages_three(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 1, 10), 30.0),
            expense(user, utc(2026, 3, 10), 90.0),
            expense(user, utc(2026, 4, 2), 60.0),
        ],
    )
    trend = spending.monthly_trend(runner, user, Period(dt.date(2026, 1, 1), dt.date(2026, 4, 30)))
    assert trend["month"].to_list() == [dt.date(2026, m, 1) for m in (1, 2, 3, 4)]
    assert trend["total"].to_list() == [30.0, 0.0, 90.0, 60.0]
    # Trailing 3-month means: none until March, then (30+0+90)/3 and (0+90+60)/3.
    assert trend["moving_avg"].to_list() == [None, None, 40.0, 50.0]


def test_weekly_buckets_start_on_the_users_day(runner: Runner, user: AuthUser) -> None:
    runner.store.insert_many(
        "expenses", [expense(user, utc(2026, 3, d, 12), 1.0, "Food") for d in range(1, 29)]
    )
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))  # 90 days: weekly buckets
    sunday_user = dataclasses.replace(user, week_start=7)
    detail = spending.category_detail(runner, sunday_user, period, "Food")
    assert detail.unit == "week"
    assert {d.isoweekday() for d in detail.trend["bucket"]} == {7}
    assert detail.trend["total"].sum() == 28.0
    monday = spending.category_detail(runner, user, period, "Food")
    assert {d.isoweekday() for d in monday.trend["bucket"]} == {1}


def test_weekday_and_hour_frames_are_complete(runner: Runner, user: AuthUser) -> None:
    runner.store.insert_many(
        "expenses", [expense(user, utc(2026, 3, 4, 13), 5.0)]
    )  # a Wednesday, 13:00
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    weekdays = spending.weekday_spend(runner, user, period)
    assert weekdays["weekday"].to_list() == list(range(1, 8))
    assert weekdays["total"].to_list() == [0, 0, 5.0, 0, 0, 0, 0]
    hours = spending.hourly_spend(runner, user, period)
    assert hours.height == 24
    assert hours.filter(hours["hour"] == 13)["total"].to_list() == [5.0]


def test_budget_used_counts_only_categories_with_a_budget(runner: Runner, user: AuthUser) -> None:
    runner.store.insert_many(
        "budgets",
        [{"userId": user.id, "month": utc(2026, 3, 1), "category": "Food", "limit": 200.0}],
    )
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 3, 5), 50.0, "Food"),
            expense(user, utc(2026, 3, 6), 1000.0, "Housing"),  # no budget: does not count
        ],
    )
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert spending.budget_used(runner, user, period) == pytest.approx(50 / 200)
    assert (
        spending.budget_used(runner, user, Period(dt.date(2026, 4, 1), dt.date(2026, 4, 30)))
        is None
    )


def test_monthly_trend_marks_the_running_and_the_cut_months_partial(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses", [expense(user, utc(2026, 11, 20), 40.0), expense(user, utc(2026, 12, 2), 5.0)]
    )
    # 15 Oct .. 31 Dec, seen on 5 Dec: October starts before the period, December is not over
    # (complete data up to 4 Dec); November is whole.
    period = Period(dt.date(2026, 10, 15), dt.date(2026, 12, 31))
    trend = spending.monthly_trend(runner, user, period, today=dt.date(2026, 12, 5))
    assert trend.select("month", "partial").rows() == [
        (dt.date(2026, 10, 1), True),
        (dt.date(2026, 11, 1), False),
        (dt.date(2026, 12, 1), True),
    ]
    # The same months seen in January: only the cut October stays partial.
    later = spending.monthly_trend(runner, user, period, today=dt.date(2027, 1, 3))
    assert later["partial"].to_list() == [True, False, False]


def test_category_share_marks_today_and_after_partial(runner: Runner, user: AuthUser) -> None:
    runner.store.insert_many("expenses", [expense(user, utc(2026, 12, 1, 12), 5.0, "Food")])
    period = Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))  # 31 days: daily buckets
    share = spending.category_share(runner, user, period, today=dt.date(2026, 12, 5))
    assert spending.share_unit(period) == "day"
    flags = dict(share.select("bucket", "partial").unique().rows())
    # complete up to yesterday (4 Dec); today and the rest of December are partial
    assert [day.day for day, flag in sorted(flags.items()) if not flag] == [1, 2, 3, 4]
    assert all(flags[dt.date(2026, 12, d)] for d in range(5, 32))
