"""Budget page data: the months a user can budget (computed by hand across a year boundary), the
one "budget used" figure, the month the page opens on, and its sentences."""

from __future__ import annotations

import datetime as dt

import bson
import pytest

from dashboard.core.identity import AuthUser
from dashboard.views.budgets import budget_months

D = dt.date


@pytest.fixture
def user() -> AuthUser:
    return AuthUser(
        id=bson.ObjectId(), username="u", name="U", email=None, roles=("user",), timezone="UTC"
    )


def test_the_months_to_budget_start_with_this_one_and_cross_the_year() -> None:
    assert budget_months(D(2026, 2, 14), 4) == [
        D(2026, 2, 1),
        D(2026, 1, 1),
        D(2025, 12, 1),
        D(2025, 11, 1),
    ]
    assert len(budget_months(D(2026, 12, 31))) == 12
    assert budget_months(D(2026, 12, 31))[-1] == D(2026, 1, 1)


def test_budgeted_rows_and_months_over_budget() -> None:
    import polars as pl

    from dashboard.views.budgets import budgeted, months_over

    status = pl.DataFrame({"category": ["Food", "Fun"], "budget": [100.0, None]})
    assert budgeted(status)["category"].to_list() == ["Food"]
    history = pl.DataFrame({"status": ["over", "under", "over"]})
    assert months_over(history) == 2


# -- one budget definition (#17 item 2) and months with or without data (item 4) ---------------


def _budget(user, month: dt.datetime, category: str, limit: float) -> dict:
    return {"userId": user.id, "month": month, "category": category, "limit": limit}


def test_budget_used_agrees_on_the_kpi_the_trend_and_the_budgets_page(runner, user) -> None:
    from dashboard.core.periods import Period
    from dashboard.views import spending
    from dashboard.views.budgets import budget_use
    from tests.factories import expense, utc

    runner.store.insert_many(
        "budgets",
        [
            _budget(user, utc(2026, 10, 1), "Food", 300.0),
            _budget(user, utc(2026, 10, 1), "Travel", 200.0),
            _budget(user, utc(2026, 12, 1), "Food", 310.0),
        ],
    )
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 10, 3, 12), 150.0, "Food"),
            expense(user, utc(2026, 10, 9, 12), 30.0, "Food"),
            expense(user, utc(2026, 10, 20, 12), 50.0, "Travel"),
            expense(user, utc(2026, 10, 21, 12), 400.0, "Fun"),  # no budget: does not count
            expense(user, utc(2026, 12, 2, 12), 20.0, "Food"),
        ],
    )
    today = D(2026, 12, 5)

    def kpi(period: Period) -> float:
        (used,) = [k.value for k in spending.kpis(runner, user, period) if k.label == "Budget used"]
        return used

    # October, closed: (150 + 30 + 50) / (300 + 200) = 46 %. The old trend set all 630 spent
    # against the 500 budget (126 %) while the KPI said 46 %.
    october = Period(D(2026, 10, 1), D(2026, 10, 31), kind="month")
    trend = spending.monthly_trend(runner, user, Period(D(2026, 8, 1), D(2026, 10, 31)))
    last = trend.row(-1, named=True)
    assert last["total"] == 630.0  # all spending stays visible, as its own series
    assert (last["budgeted"], last["budget"]) == (230.0, 500.0)
    assert kpi(october) == pytest.approx(0.46)
    assert last["budgeted"] / last["budget"] == pytest.approx(0.46)
    use = budget_use(runner, user, month=D(2026, 10, 1), today=today)
    assert (use.spent, use.budget, use.share) == (230.0, 500.0, pytest.approx(0.46))

    # December up to the 5th: the budget is pro-rated to 5 of 31 days, 310 × 5 / 31 = 50;
    # 20 / 50 = 40 % on all three.
    this_month = Period(D(2026, 12, 1), today)
    trend = spending.monthly_trend(runner, user, this_month)
    last = trend.row(-1, named=True)
    assert (last["budgeted"], last["budget"]) == (20.0, pytest.approx(50.0))
    assert kpi(this_month) == pytest.approx(0.4)
    use = budget_use(runner, user, month=D(2026, 12, 1), today=today)
    assert (use.share, use.days, use.days_in_month) == (pytest.approx(0.4), 5, 31)


def test_the_page_opens_on_the_latest_month_with_expenses(runner, user) -> None:
    from dashboard.views.budgets import latest_month_with_data
    from tests.factories import expense, utc

    today = D(2026, 12, 5)
    assert latest_month_with_data(runner, user, today=today) == D(2026, 12, 1)  # none: this one
    runner.cache.invalidate(user.scope)
    runner.store.insert_many(
        "expenses",
        [
            expense(user, utc(2026, 5, 3, 12), 10.0),
            expense(user, utc(2026, 9, 30, 12), 10.0),
            expense(user, utc(2026, 10, 1, 12), 10.0, deleted=utc(2026, 10, 2)),  # deleted
        ],
    )
    assert latest_month_with_data(runner, user, today=today) == D(2026, 9, 1)


def test_closed_months_speak_in_the_past_tense_and_empty_ones_say_so() -> None:
    from dashboard.views.budgets import is_closed, status_sentence

    def money(value: float) -> str:
        return f"${value:,.2f}"

    under = {"category": "Groceries", "budget": 550.0, "spent": 412.3, "forecast": 412.3,
             "daily_rate": 13.3, "share_used": 0.75, "passes_on": None, "status": "on track"}  # fmt: skip
    over = under | {"spent": 600.0, "passes_on": D(2026, 10, 23), "status": "over"}
    nothing = under | {"spent": 0.0, "forecast": 0.0, "daily_rate": 0.0, "share_used": 0.0}
    assert is_closed(D(2026, 11, 1), D(2026, 12, 1))
    assert not is_closed(D(2026, 12, 1), D(2026, 12, 31))
    closed = status_sentence(under, closed=True, format_money=money)
    assert closed == "Groceries stayed within budget: $412.30 of $550.00."
    assert status_sentence(over, closed=True, format_money=money) == (
        "Groceries went over its budget on the 23rd: $600.00 spent of $550.00."
    )
    # The old line for an empty month: "Groceries is on track: about $0.00 of $550.00 by month-end."
    empty = status_sentence(nothing, closed=False, format_money=money)
    assert empty == "Groceries: nothing spent yet of its $550.00 budget."
    running = status_sentence(under, closed=False, format_money=money)
    assert running.endswith("by month-end.")
