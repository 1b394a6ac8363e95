"""Burn-rate forecasts checked against arithmetic done by hand (November 2026 has 30 days)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.forecast import (
    FORECAST_SCHEMA,
    BudgetForecast,
    forecast_month,
    forecast_sentence,
    ordinal,
)

NOVEMBER = date(2026, 11, 1)
OCTOBER = date(2026, 10, 1)
DECEMBER = date(2026, 12, 1)
CURRENT_METHOD = (
    "Month-end forecast = spent so far ÷ days elapsed ({} of {}) × days in month "
    "(straight-line burn rate)."
)
PAST_METHOD = "The month is over: the month-end figure is the actual total spent."
FUTURE_METHOD = "The month has not started: nothing is spent yet, so nothing is forecast."


def _spent(*rows: tuple[str, date, float]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"category": pl.String, "day": pl.Date, "total": pl.Float64}, orient="row"
    )


def _budgets(**limits: float) -> pl.DataFrame:
    return pl.DataFrame(
        {"category": list(limits), "limit": list(limits.values())},
        schema={"category": pl.String, "limit": pl.Float64},
    )


def _expected(rows: list[dict[str, object]], method: str) -> pl.DataFrame:
    return pl.DataFrame(
        [{**row, "method": method} for row in rows], schema=FORECAST_SCHEMA, orient="row"
    )


def _money(value: float) -> str:
    return f"${value:,.0f}"


def test_at_risk_passes_on_the_day_the_straight_line_reaches_the_budget() -> None:
    spent = _spent(
        ("Food", date(2026, 11, 1), 50.0),
        ("Food", date(2026, 11, 4), 60.0),
        ("Food", date(2026, 11, 4), 40.0),  # two rows for one day are added up
        ("Food", date(2026, 11, 9), 50.0),
        ("Food", date(2026, 11, 12), 999.0),  # after today: not counted yet
    )
    frame = forecast_month(spent, _budgets(Food=500.0), month=NOVEMBER, today=date(2026, 11, 10))

    # spent = 50 + 60 + 40 + 50 = 200 by the 10th; days elapsed = (Nov 10 - Nov 1) + 1 = 10
    # daily_rate = 200 / 10 = 20; forecast = 20 × 30 = 600 > 500 → at risk
    # cumulative at pace on day d = 20 × d = 500 → d = 25 → passes on Nov 25; share = 200/500 = 0.4
    expected = _expected(
        [
            {
                "category": "Food",
                "budget": 500.0,
                "spent": 200.0,
                "daily_rate": 20.0,
                "forecast": 600.0,
                "share_used": 0.4,
                "passes_on": date(2026, 11, 25),
                "status": "at risk",
            }
        ],
        CURRENT_METHOD.format(10, 30),
    )
    assert_frame_equal(frame, expected)


def test_pace_that_lands_exactly_on_the_budget_is_on_track() -> None:
    spent = _spent(("Food", date(2026, 11, 3), 200.0))
    frame = forecast_month(spent, _budgets(Food=600.0), month=NOVEMBER, today=date(2026, 11, 10))

    # 200 / 10 × 30 = 600, not above 600 → on track, never passes
    row = frame.row(0, named=True)
    assert (row["forecast"], row["status"], row["passes_on"]) == (600.0, "on track", None)


def test_already_over_reports_the_day_the_actual_totals_went_over() -> None:
    spent = _spent(
        ("Food", date(2026, 11, 2), 100.0),  # cumulative 100
        ("Food", date(2026, 11, 8), 150.0),  # cumulative 250: reaches 250 but is not above it
        ("Food", date(2026, 11, 12), 80.0),  # cumulative 330 > 250: over on the 12th
        ("Food", date(2026, 11, 15), 20.0),  # cumulative 350
    )
    frame = forecast_month(spent, _budgets(Food=250.0), month=NOVEMBER, today=date(2026, 11, 20))

    # spent 350 over 20 days → 17.5/day → 17.5 × 30 = 525; share = 350 / 250 = 1.4
    expected = _expected(
        [
            {
                "category": "Food",
                "budget": 250.0,
                "spent": 350.0,
                "daily_rate": 17.5,
                "forecast": 525.0,
                "share_used": 1.4,
                "passes_on": date(2026, 11, 12),
                "status": "over",
            }
        ],
        CURRENT_METHOD.format(20, 30),
    )
    assert_frame_equal(frame, expected)


def test_past_month_forecast_is_the_actual_total() -> None:
    spent = _spent(
        ("Food", date(2026, 10, 5), 100.0),
        ("Food", date(2026, 10, 20), 210.0),
        ("Transport", date(2026, 10, 3), 60.0),
        ("Transport", date(2026, 10, 9), 60.0),  # cumulative 120 > 100 on the 9th
        ("Transport", date(2026, 11, 2), 500.0),  # another month: ignored
    )
    frame = forecast_month(
        spent, _budgets(Food=400.0, Transport=100.0), month=OCTOBER, today=date(2026, 11, 10)
    )

    # October has 31 days and is over: Food 310 → rate 310/31 = 10, forecast 310 (actual), on track
    # Transport 120 → rate 120/31, forecast 120, over since Oct 9; share 1.2
    expected = _expected(
        [
            {
                "category": "Transport",
                "budget": 100.0,
                "spent": 120.0,
                "daily_rate": 120.0 / 31,
                "forecast": 120.0,
                "share_used": 1.2,
                "passes_on": date(2026, 10, 9),
                "status": "over",
            },
            {
                "category": "Food",
                "budget": 400.0,
                "spent": 310.0,
                "daily_rate": 10.0,
                "forecast": 310.0,
                "share_used": 310.0 / 400.0,
                "passes_on": None,
                "status": "on track",
            },
        ],
        PAST_METHOD,
    )
    assert_frame_equal(frame, expected)


def test_future_month_has_nothing_spent() -> None:
    spent = _spent(("Food", date(2026, 12, 24), 80.0))  # entered ahead of time
    frame = forecast_month(spent, _budgets(Food=500.0), month=DECEMBER, today=date(2026, 11, 10))

    expected = _expected(
        [
            {
                "category": "Food",
                "budget": 500.0,
                "spent": 0.0,
                "daily_rate": 0.0,
                "forecast": 0.0,
                "share_used": 0.0,
                "passes_on": None,
                "status": "on track",
            }
        ],
        FUTURE_METHOD,
    )
    assert_frame_equal(frame, expected)


def test_categories_from_either_input_and_no_budget() -> None:
    spent = _spent(
        ("Gifts", date(2026, 11, 5), 90.0),
        ("Food", date(2026, 11, 6), 330.0),
    )
    frame = forecast_month(
        spent, _budgets(Food=300.0, Rent=1200.0), month=NOVEMBER, today=date(2026, 11, 15)
    )

    # 15 days elapsed. Gifts: no budget, 90/15 = 6/day → 180. Food: 330 > 300 → over on the 6th,
    # 22/day → 660. Rent: budgeted, nothing spent → on track at 0.
    expected = _expected(
        [
            {
                "category": "Food",
                "budget": 300.0,
                "spent": 330.0,
                "daily_rate": 22.0,
                "forecast": 660.0,
                "share_used": 1.1,
                "passes_on": date(2026, 11, 6),
                "status": "over",
            },
            {
                "category": "Rent",
                "budget": 1200.0,
                "spent": 0.0,
                "daily_rate": 0.0,
                "forecast": 0.0,
                "share_used": 0.0,
                "passes_on": None,
                "status": "on track",
            },
            {
                "category": "Gifts",
                "budget": None,
                "spent": 90.0,
                "daily_rate": 6.0,
                "forecast": 180.0,
                "share_used": None,
                "passes_on": None,
                "status": "no budget",
            },
        ],
        CURRENT_METHOD.format(15, 30),
    )
    assert_frame_equal(frame, expected)


def test_last_day_of_the_month_forecasts_the_actual_total() -> None:
    spent = _spent(("Food", date(2026, 11, 30), 450.0))
    frame = forecast_month(spent, _budgets(Food=500.0), month=NOVEMBER, today=date(2026, 11, 30))

    # 30 of 30 days elapsed: 450 / 30 = 15/day, forecast = the 450 spent
    row = frame.row(0, named=True)
    assert (row["daily_rate"], row["forecast"], row["status"]) == (15.0, 450.0, "on track")


def test_empty_inputs_give_an_empty_frame_with_the_schema() -> None:
    frame = forecast_month(pl.DataFrame(), pl.DataFrame(), month=NOVEMBER, today=date(2026, 11, 10))

    assert_frame_equal(frame, pl.DataFrame(schema=FORECAST_SCHEMA))


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="spent is missing column"):
        forecast_month(
            pl.DataFrame({"category": ["Food"]}),
            _budgets(),
            month=NOVEMBER,
            today=date(2026, 11, 10),
        )


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (24, "24th"),
        (30, "30th"),
        (31, "31st"),
        (111, "111th"),
        (101, "101st"),
    ],
)
def test_ordinal(number: int, text: str) -> None:
    assert ordinal(number) == text


def test_sentences_for_each_status() -> None:
    spent = _spent(
        ("Food", date(2026, 11, 1), 230.0),
        ("Fun", date(2026, 11, 2), 120.0),
        ("Rent", date(2026, 11, 1), 1200.0),
        ("Gifts", date(2026, 11, 3), 50.0),
    )
    frame = forecast_month(
        spent,
        _budgets(Food=500.0, Fun=100.0, Rent=1500.0),
        month=NOVEMBER,
        today=date(2026, 11, 10),
    )
    sentences = {
        row["category"]: forecast_sentence(row, format_money=_money)
        for row in frame.iter_rows(named=True)
    }

    # Food: 230/10 = 23/day → 690; 500 / 23 = 21.7 → reaches the budget on the 22nd
    # Rent: 1200/10 × 30 = 3600 > 1500 → 1500 / 120 = 12.5 → the 13th
    # Gifts: 50/10 × 30 = 150
    assert sentences == {
        "Fun": "Fun went over its budget on the 2nd: $120 spent of $100.",
        "Rent": "At this pace Rent passes its budget on the 13th.",
        "Food": "At this pace Food passes its budget on the 22nd.",
        "Gifts": "Gifts has no budget: about $150 by month-end at this pace.",
    }


def test_sentence_on_track_and_from_a_dataclass() -> None:
    item = BudgetForecast("Food", 500.0, 206.0, 13.73, 412.0, 0.412, None, "on track")

    assert (
        forecast_sentence(item, format_money=_money)
        == "Food is on track: about $412 of $500 by month-end."
    )


def test_sentence_rejects_an_unknown_status() -> None:
    item = BudgetForecast("Food", 500.0, 0.0, 0.0, 0.0, 0.0, None, "sideways")

    with pytest.raises(ValueError, match="unknown forecast status"):
        forecast_sentence(item, format_money=_money)


def test_from_row_matches_the_frame() -> None:
    spent = _spent(("Food", date(2026, 11, 1), 200.0))
    frame = forecast_month(spent, _budgets(Food=500.0), month=NOVEMBER, today=date(2026, 11, 10))

    assert BudgetForecast.from_row(frame.row(0, named=True)) == BudgetForecast(
        "Food", 500.0, 200.0, 20.0, 600.0, 0.4, date(2026, 11, 25), "at risk"
    )
