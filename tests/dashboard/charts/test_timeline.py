"""Time charts: the monthly trend, the calendar heatmap, spending by weekday and by hour."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.charts import (
    calendar_heatmap,
    hour_bars,
    monthly_trend,
    weekday_bars,
)
from tests.dashboard.charts.frames import (
    D,
    march_days_frame,
    monthly_frame,
    weekdays_frame,
)


def test_monthly_trend_traces() -> None:
    fig = monthly_trend(monthly_frame(), currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "All spending"),
        ("scatter", "Budget"),
        ("scatter", "3-month average"),
    ]
    months = (D(2025, 1, 1), D(2025, 2, 1), D(2025, 3, 1))
    spent, budget, average = fig.data
    assert spent.x == months
    assert spent.y == (100.0, 250.5, 80.0)
    assert budget.x == months
    assert budget.y == (200.0, None, 200.0)  # null → gap, not zero
    assert budget.connectgaps is False
    assert average.y == (None, None, 143.5)
    assert average.line.dash == "dash"
    assert budget.line.dash is None


def test_monthly_trend_currency_formats() -> None:
    fig = monthly_trend(monthly_frame(), currency="EUR")
    assert fig.layout.yaxis.tickprefix == "€"
    assert fig.layout.yaxis.tickformat == ",.2f"
    assert fig.layout.yaxis.hoverformat == ",.2f"
    assert fig.data[0].hovertemplate == "%{x|%b %Y}<br>All spending: €%{y:,.2f}<extra></extra>"
    assert "€%{y:,.2f}" in fig.data[1].hovertemplate
    jpy = monthly_trend(monthly_frame(), currency="JPY")
    assert jpy.layout.yaxis.tickformat == ",.0f"
    assert "¥%{y:,.0f}" in jpy.data[0].hovertemplate


def test_monthly_trend_skips_all_null_series() -> None:
    frame = monthly_frame().with_columns(budget=None, moving_avg=None)
    fig = monthly_trend(frame, currency="USD")
    assert [t.name for t in fig.data] == ["All spending"]


def test_monthly_trend_sets_the_budget_against_spending_in_budgeted_categories() -> None:
    # The budget covers some categories only: it is drawn with the spending in those categories
    # (its comparable series), and all spending keeps its own, differently named series.
    # monthly_frame's rows are March, January, February (unsorted on purpose).
    frame = monthly_frame().with_columns(budgeted=pl.Series([60.0, 150.0, None]))
    fig = monthly_trend(frame, currency="USD")
    assert [(t.type, t.name) for t in fig.data] == [
        ("bar", "All spending"),
        ("scatter", "Spent in budgeted categories"),
        ("scatter", "Budget"),
        ("scatter", "3-month average"),
    ]
    budgeted = fig.data[1]
    assert budgeted.y == (150.0, None, 60.0)  # January, February (no budget: gap), March
    assert budgeted.line.color != fig.data[2].line.color
    assert "Spent in budgeted categories" in budgeted.hovertemplate
    # Without budgets there is nothing to compare it with: no budgeted series either.
    none = monthly_trend(frame.with_columns(budget=None), currency="USD")
    assert "Spent in budgeted categories" not in [t.name for t in none.data]


def test_calendar_heatmap_monday_start() -> None:
    # 2025-03-01 is a Saturday. Weeks start on Mondays: Feb 24, Mar 3, 10, 17, 24, 31.
    fig = calendar_heatmap(march_days_frame(), currency="USD", week_start=1)
    (heat,) = fig.data
    assert heat.type == "heatmap"
    assert heat.y == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert heat.x == (
        D(2025, 2, 24),
        D(2025, 3, 3),
        D(2025, 3, 10),
        D(2025, 3, 17),
        D(2025, 3, 24),
        D(2025, 3, 31),
    )
    z = heat.z  # z[row = weekday][column = week]; totals equal the day of the month
    assert z[0][0] is None  # Mon Feb 24: outside the frame
    assert z[4][0] is None  # Fri Feb 28
    assert z[5][0] == 1.0  # Sat Mar 1
    assert z[6][0] == 2.0  # Sun Mar 2
    assert z[0][1] == 3.0  # Mon Mar 3
    assert z[4][3] == 21.0  # Fri Mar 21
    assert z[0][5] == 31.0  # Mon Mar 31
    assert z[1][5] is None  # Tue Apr 1
    assert sum(value is not None for row in z for value in row) == 31
    assert heat.customdata[5][0] == "Sat 1 Mar 2025"
    assert heat.hovertemplate == "%{customdata}<br>$%{z:,.2f}<extra></extra>"
    assert heat.colorbar.tickprefix == "$"
    assert fig.layout.yaxis.autorange == "reversed"  # week_start row on top


def test_calendar_heatmap_sunday_start() -> None:
    # Weeks start on Sundays: Feb 23, Mar 2, 9, 16, 23, 30.
    fig = calendar_heatmap(march_days_frame(), currency="USD", week_start=7)
    (heat,) = fig.data
    assert heat.y == ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
    assert heat.x[0] == D(2025, 2, 23)
    assert heat.x[-1] == D(2025, 3, 30)
    assert len(heat.x) == 6
    z = heat.z
    assert z[6][0] == 1.0  # Sat Mar 1: last row of the first week
    assert z[0][0] is None  # Sun Feb 23
    assert z[0][1] == 2.0  # Sun Mar 2
    assert z[0][5] == 30.0  # Sun Mar 30
    assert z[1][5] == 31.0  # Mon Mar 31
    assert z[2][5] is None


@pytest.mark.parametrize("week_start", [0, 8, -1])
def test_week_start_is_validated(week_start: int) -> None:
    with pytest.raises(ValueError, match="week_start"):
        calendar_heatmap(march_days_frame(), currency="USD", week_start=week_start)
    with pytest.raises(ValueError, match="week_start"):
        weekday_bars(weekdays_frame(), currency="USD", week_start=week_start)


def test_weekday_bars_monday_start() -> None:
    fig = weekday_bars(weekdays_frame(), currency="GBP")
    (bars,) = fig.data
    assert bars.x == ("Mon", "Wed", "Sat", "Sun")
    assert bars.y == (10.0, 30.0, 60.0, 70.0)
    assert fig.layout.xaxis.categoryarray == ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert fig.layout.yaxis.tickprefix == "£"
    assert "£%{y:,.2f}" in bars.hovertemplate


def test_weekday_bars_sunday_start() -> None:
    fig = weekday_bars(weekdays_frame(), currency="USD", week_start=7)
    (bars,) = fig.data
    assert bars.x == ("Sun", "Mon", "Wed", "Sat")
    assert bars.y == (70.0, 10.0, 30.0, 60.0)
    assert fig.layout.xaxis.categoryarray[0] == "Sun"
    saturday = weekday_bars(weekdays_frame(), currency="USD", week_start=6)
    assert saturday.data[0].x == ("Sat", "Sun", "Mon", "Wed")


def test_weekday_bars_rejects_non_iso_weekday() -> None:
    frame = pl.DataFrame({"weekday": pl.Series([0], dtype=pl.Int8), "total": [1.0]})
    with pytest.raises(ValueError, match=r"1\.\.7 \(ISO\)"):
        weekday_bars(frame, currency="USD")


def test_hour_bars() -> None:
    frame = pl.DataFrame(
        {"hour": pl.Series([23, 0, 12], dtype=pl.Int8), "total": [5.0, 1.0, 1234.5]}
    )
    fig = hour_bars(frame, currency="JPY")
    (bars,) = fig.data
    assert bars.x == (0, 12, 23)
    assert bars.y == (1.0, 1234.5, 5.0)
    assert bars.customdata == ("00:00–01:00", "12:00–13:00", "23:00–00:00")
    assert fig.layout.xaxis.tickvals == tuple(range(24))
    assert fig.layout.xaxis.ticktext[0] == "00"
    assert fig.layout.xaxis.ticktext[-1] == "23"
    assert tuple(fig.layout.xaxis.range) == (-0.5, 23.5)
    assert fig.layout.yaxis.tickprefix == "¥"
    assert fig.layout.yaxis.tickformat == ",.0f"
    assert "¥%{y:,.0f}" in bars.hovertemplate
