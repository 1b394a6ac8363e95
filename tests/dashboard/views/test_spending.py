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

D = dt.date


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


# -- comparisons against periods without data (#17 item 1) -------------------------------------


def test_data_start_is_the_local_day_of_the_first_usable_expense(
    runner: Runner, la_user: AuthUser
) -> None:
    import math

    from tests.factories import broken_expense

    assert spending.data_start(runner, la_user) is None
    runner.cache.invalidate(la_user.scope)  # as every write through Spendlens does
    runner.store.insert_many(
        "expenses",
        [
            broken_expense(la_user, utc(2025, 6, 1, 12), amount=math.nan),  # unusable: ignored
            expense(la_user, utc(2025, 12, 1, 7), 5.0, deleted=utc(2025, 12, 2)),  # deleted
            expense(la_user, utc(2026, 1, 1, 3), 20.0),  # 31 Dec 2025, 19:00 in Los Angeles
            expense(la_user, utc(2026, 2, 1, 12), 30.0),
        ],
    )
    assert spending.data_start(runner, la_user) == dt.date(2025, 12, 31)


def test_kpis_say_why_there_is_no_change_instead_of_a_huge_percentage(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 2, 25, 12), 10.0),  # the first expense: 4 days before March
            expense(user, utc(2026, 3, 10, 12), 400.0),
        ],
    )
    runner.store.insert_many(
        "budgets",
        [
            {"userId": user.id, "month": utc(2026, 2, 1), "category": "Food", "limit": 280.0},
            {"userId": user.id, "month": utc(2026, 3, 1), "category": "Food", "limit": 310.0},
        ],
    )
    # 1..31 March as a range of days: the period before is 29 Jan .. 28 Feb (31 days), with
    # data on 4 of them. The old KPI said +3,900 % (400 against 10).
    got = {k.label: k for k in spending.kpis(runner, user, Period(D(2026, 3, 1), D(2026, 3, 31)))}
    total = got["Total spent"]
    assert total.value == 410.0 - 10.0
    assert total.vs_previous.change is None
    assert total.vs_previous.text() == "only 4 of 31 days have data"
    assert total.vs_previous.delta() is None
    # March 2025 lies wholly before the data.
    assert total.vs_last_year.text() == "no data before Feb 2026"
    assert got["Budget used"].vs_previous.text() == "only 4 of 31 days have data"


def test_kpis_give_a_change_and_shares_change_in_points(runner: Runner, user: AuthUser) -> None:
    runner.store.insert_many(
        "expenses",
        [expense(user, utc(2026, 1, 5, 12), 100.0), expense(user, utc(2026, 2, 5, 12), 150.0)],
    )
    runner.store.insert_many(
        "budgets",
        [
            {"userId": user.id, "month": utc(2026, 1, 1), "category": "Food", "limit": 200.0},
            {"userId": user.id, "month": utc(2026, 2, 1), "category": "Food", "limit": 200.0},
        ],
    )
    # February against January: the data starts on 5 Jan, so January is covered for 27 of its
    # 31 days, at least half: the change is given, marked partial.
    feb = Period(D(2026, 2, 1), D(2026, 2, 28), kind="month")
    got = {k.label: k for k in spending.kpis(runner, user, feb)}
    total = got["Total spent"].vs_previous
    assert total.change == pytest.approx(0.5)  # 150 against 100
    assert total.partial
    assert total.text() == "+50% (partial period)"
    budget = got["Budget used"]
    assert budget.value == pytest.approx(150 / 200)
    assert budget.vs_previous.change == pytest.approx(150 / 200 - 100 / 200)  # points, not ratio
    assert budget.vs_previous.delta() == "+25.0 pts"


def test_compare_periods_gives_each_category_the_comparison_text(
    runner: Runner, user: AuthUser
) -> None:
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 1, 10, 12), 80.0, "Food"),
            expense(user, utc(2026, 2, 10, 12), 100.0, "Food"),
            expense(user, utc(2026, 2, 11, 12), 40.0, "Travel"),
        ],
    )
    feb = Period(D(2026, 2, 1), D(2026, 2, 28), kind="month")
    jan = feb.previous()
    frame = spending.compare_periods(runner, user, feb, jan)
    texts = dict(zip(frame["category"], frame["change"]))
    # January is covered from the 10th: 22 of 31 days, the change is marked partial.
    assert texts == {"Food": "+25% (partial period)", "Travel": "nothing in the previous period"}
    year = spending.compare_periods(runner, user, feb, feb.year_before(), against="last_year")
    assert set(year["change"]) == {"no data before Jan 2026"}


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
