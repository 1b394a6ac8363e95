"""Burn-rate forecast of one user's month-end spend per category, against their budgets.

The method is deliberately simple so the dashboard can explain it in one line: the spend so far
divided by the days elapsed is the daily rate, and the rate times the days in the month is the
month-end forecast (a straight line). A past month's forecast is its actual total; a month that has
not started has spent nothing.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

__all__ = [
    "FORECAST_SCHEMA",
    "STATUSES",
    "BudgetForecast",
    "forecast_month",
    "forecast_sentence",
    "ordinal",
]

#: Every status, most urgent first (the order :func:`forecast_month` sorts by).
STATUSES = ("over", "at risk", "on track", "no budget")

FORECAST_SCHEMA: dict[str, pl.DataType] = {
    "category": pl.String(),
    "budget": pl.Float64(),
    "spent": pl.Float64(),
    "daily_rate": pl.Float64(),
    "forecast": pl.Float64(),
    "share_used": pl.Float64(),
    "passes_on": pl.Date(),
    "status": pl.String(),
    "method": pl.String(),
}

_SPENT_SCHEMA: dict[str, pl.DataType] = {
    "category": pl.String(),
    "day": pl.Date(),
    "total": pl.Float64(),
}
_BUDGET_SCHEMA: dict[str, pl.DataType] = {"category": pl.String(), "limit": pl.Float64()}

# Guards ceil() against float noise such as 25.000000000000004 days.
_EPSILON = 1e-9


@dataclass(frozen=True)
class BudgetForecast:
    """One row of :func:`forecast_month` as a typed value."""

    category: str
    budget: float | None
    spent: float
    daily_rate: float
    forecast: float
    share_used: float | None
    passes_on: date | None
    status: str  # "over" | "on track" | "at risk" | "no budget"

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> BudgetForecast:
        """Build from a named row (``frame.iter_rows(named=True)``); extra keys are ignored."""
        return cls(
            category=row["category"],
            budget=row["budget"],
            spent=row["spent"],
            daily_rate=row["daily_rate"],
            forecast=row["forecast"],
            share_used=row["share_used"],
            passes_on=row["passes_on"],
            status=row["status"],
        )


def forecast_month(
    spent: pl.DataFrame, budgets: pl.DataFrame, *, month: date, today: date
) -> pl.DataFrame:
    """Forecast each category's month-end spend and when it passes its budget.

    Parameters
    ----------
    spent
        ``category: String, day: Date, total: Float64``: one user's daily spend per category
        (local dates; days without spend absent; several rows for one day are added up). Rows
        outside ``month`` or after ``today`` are not counted.
    budgets
        ``category: String, limit: Float64``; if a category appears twice the last row wins.
    month
        Any day of the month to forecast.
    today
        The user's local date.

    Returns
    -------
    pl.DataFrame
        One row per category in either input (:data:`FORECAST_SCHEMA`), most urgent first (status
        in :data:`STATUSES` order, then spent descending, then category). ``passes_on`` is the day
        the actual cumulative spend first went *above* the budget when already over, else the day
        the straight-line projection *reaches* the budget if that happens this month, else null.
        ``share_used`` is null without a positive budget. ``method`` explains the arithmetic.

    Examples
    --------
    Budget 500, 200 spent by the 10th of a 30-day month: 20/day, 600 by month-end, passes on the
    25th (20 × 25 = 500).

    >>> spent = pl.DataFrame({"category": ["Food"], "day": [date(2026, 11, 4)], "total": [200.0]})
    >>> budgets = pl.DataFrame({"category": ["Food"], "limit": [500.0]})
    >>> frame = forecast_month(spent, budgets, month=date(2026, 11, 1), today=date(2026, 11, 10))
    >>> row = frame.row(0, named=True)
    >>> row["daily_rate"], row["forecast"], row["passes_on"], row["status"]
    (20.0, 600.0, datetime.date(2026, 11, 25), 'at risk')
    """
    start = month.replace(day=1)
    days_in_month = calendar.monthrange(start.year, start.month)[1]
    end = start.replace(day=days_in_month)
    elapsed = min(max((today - start).days + 1, 1), days_in_month)
    cutoff = min(today, end)

    daily_all = _conform(spent, _SPENT_SCHEMA, "spent").filter(pl.col("category").is_not_null())
    limits = (
        _conform(budgets, _BUDGET_SCHEMA, "budgets")
        .filter(pl.col("category").is_not_null())
        .unique(subset="category", keep="last", maintain_order=True)
        .rename({"limit": "budget"})
    )
    daily = (
        daily_all.filter(pl.col("day").is_between(start, cutoff), pl.col("total").is_not_null())
        .group_by("category", "day")
        .agg(pl.col("total").sum())
    )
    totals = daily.group_by("category").agg(
        spent=pl.col("total").sum(), last_day=pl.col("day").max()
    )
    went_over = (
        daily.join(limits, on="category")
        .sort("category", "day")
        .with_columns(cumulative=pl.col("total").cum_sum().over("category"))
        .filter(pl.col("cumulative") > pl.col("budget"))
        .group_by("category")
        .agg(went_over=pl.col("day").min())
    )
    categories = pl.concat([daily_all.select("category"), limits.select("category")]).unique()

    budget, spent_ = pl.col("budget"), pl.col("spent")
    rate = spent_ / elapsed
    # The last day counted is the whole month: the "forecast" is the actual total, exactly.
    forecast = spent_ if elapsed == days_in_month else rate * days_in_month
    status = (
        pl.when(budget.is_null())
        .then(pl.lit("no budget"))
        .when(spent_ > budget)
        .then(pl.lit("over"))
        .when(pl.col("forecast") > budget)
        .then(pl.lit("at risk"))
        .otherwise(pl.lit("on track"))
    )
    # Projected cumulative spend on day d is rate × d, so it reaches the budget on ceil(budget/rate).
    reach_day = (
        pl.when(pl.col("daily_rate") > 0)
        .then(budget / pl.col("daily_rate") - _EPSILON)
        .ceil()
        .clip(elapsed, days_in_month)
        .cast(pl.Int64)
    )
    passes_on = (
        pl.when(pl.col("status") == "over")
        .then(pl.coalesce("went_over", "last_day"))
        .when(pl.col("status") == "at risk")
        .then(pl.lit(start) + pl.duration(days=reach_day - 1))
        .otherwise(None)
    )
    rank = pl.col("status").replace_strict(list(STATUSES), list(range(len(STATUSES))))

    return (
        categories.join(totals, on="category", how="left")
        .join(limits, on="category", how="left")
        .join(went_over, on="category", how="left")
        .with_columns(spent_.fill_null(0.0))
        .with_columns(daily_rate=rate, forecast=forecast)
        .with_columns(status=status)
        .with_columns(
            share_used=pl.when(budget > 0).then(spent_ / budget),
            passes_on=passes_on,
            method=pl.lit(_method(today, start, end, elapsed, days_in_month)),
        )
        .sort(rank, spent_, "category", descending=[False, True, False])
        .select(pl.col(name).cast(dtype) for name, dtype in FORECAST_SCHEMA.items())
        .collect()
    )


def forecast_sentence(
    row: BudgetForecast | Mapping[str, Any], *, format_money: Callable[[float], str]
) -> str:
    """One plain-English line for a forecast row; ``format_money`` renders amounts (currency is yours).

    >>> money = lambda value: f"${value:,.0f}"
    >>> forecast_sentence(
    ...     BudgetForecast("Food", 500.0, 200.0, 20.0, 600.0, 0.4, date(2026, 11, 23), "at risk"),
    ...     format_money=money,
    ... )
    'At this pace Food passes its budget on the 23rd.'
    >>> forecast_sentence(
    ...     BudgetForecast("Food", 500.0, 206.0, 13.73, 412.0, 0.41, None, "on track"),
    ...     format_money=money,
    ... )
    'Food is on track: about $412 of $500 by month-end.'
    """
    item = row if isinstance(row, BudgetForecast) else BudgetForecast.from_row(row)
    name = item.category
    if item.status == "no budget":
        return (
            f"{name} has no budget: about {format_money(item.forecast)} by month-end at this pace."
        )
    assert item.budget is not None  # every other status has a budget
    budget = format_money(item.budget)
    if item.status == "over":
        since = f" on the {ordinal(item.passes_on.day)}" if item.passes_on else ""
        return f"{name} went over its budget{since}: {format_money(item.spent)} spent of {budget}."
    if item.status == "at risk":
        when = f"on the {ordinal(item.passes_on.day)}" if item.passes_on else "before month-end"
        return f"At this pace {name} passes its budget {when}."
    if item.status == "on track":
        return f"{name} is on track: about {format_money(item.forecast)} of {budget} by month-end."
    raise ValueError(f"unknown forecast status {item.status!r}; expected one of {STATUSES}")


def ordinal(number: int) -> str:
    """``1`` → ``"1st"``, ``12`` → ``"12th"``, ``23`` → ``"23rd"`` (English ordinal suffixes).

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '31st']
    """
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _method(today: date, start: date, end: date, elapsed: int, days_in_month: int) -> str:
    """The one-line explanation shown under the forecast table."""
    if today > end:
        return "The month is over: the month-end figure is the actual total spent."
    if today < start:
        return "The month has not started: nothing is spent yet, so nothing is forecast."
    return (
        "Month-end forecast = spent so far ÷ days elapsed "
        f"({elapsed} of {days_in_month}) × days in month (straight-line burn rate)."
    )


def _conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], name: str) -> pl.LazyFrame:
    """The frame's documented columns with their documented types; an empty frame may lack them."""
    missing = [column for column in schema if column not in frame.columns]
    if missing:
        if frame.height:
            raise ValueError(f"{name} is missing column(s) {', '.join(missing)}")
        return pl.LazyFrame(schema=dict(schema))
    return frame.lazy().select(pl.col(column).cast(dtype) for column, dtype in schema.items())
