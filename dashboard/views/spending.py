"""Data for the spending pages: KPIs with comparisons, trends, categories, calendars.

Each public function runs queries from :mod:`queries.spending` through the cache and shapes the
results with Polars (local dates, gap filling, moving averages). Pages call these and render.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.left_out import LeftOut
from dashboard.core.periods import Period
from dashboard.core.shaping import (
    change,
    fill_buckets,
    fill_categories,
    fill_range,
    moving_average,
    to_local_date,
)
from dashboard.data.runner import Runner
from queries import spending
from queries.budgets import budgets_between

__all__ = [
    "Kpi",
    "budget_for_period",
    "budget_used",
    "category_detail",
    "category_share",
    "category_totals",
    "compare_periods",
    "daily_spend",
    "hourly_spend",
    "insights",
    "kpis",
    "left_out",
    "left_out_ever",
    "monthly_trend",
    "weekday_spend",
]

WEEKDAY_NUMBERS = {name: i + 1 for i, name in enumerate(spending.WEEKDAYS)}


@dataclass(frozen=True)
class Kpi:
    """One headline number with its change against the previous period and the year before."""

    label: str
    value: float | None
    vs_previous: float | None
    vs_last_year: float | None
    kind: str  # "money", "count" or "share"


def _totals(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str]
) -> dict[str, float]:
    frame = runner.frame(spending.totals(user, period, categories=categories))
    if frame.height == 0:
        return {"total": 0.0, "count": 0, "largest": None}
    row = frame.row(0, named=True)
    return {"total": float(row["total"]), "count": int(row["count"]), "largest": row["largest"]}


def left_out(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> LeftOut:
    """How many of the user's expenses the period's figures leave out as unusable, and why.

    A cheap check comes first: most users have no unusable expense, and then the per-reason count
    is not run."""
    if runner.frame(spending.any_left_out(user)).is_empty():
        return LeftOut({})
    frame = runner.frame(spending.left_out(user, period, categories=categories))
    return LeftOut(frame.row(0, named=True) if frame.height else {})


#: Every day an expense could be dated, to count what a user's whole history leaves out.
_ALL_TIME = (dt.date(1970, 1, 1), dt.date(9998, 12, 31))


def left_out_ever(runner: Runner, user: AuthUser) -> LeftOut:
    """What :func:`left_out` counts over the user's whole history: why a user whose expenses are
    all unusable sees none."""
    return left_out(runner, user, Period(*_ALL_TIME, user.timezone))


def budget_for_period(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str] = ()
) -> float | None:
    """The budget that applies to the period: each month's limits pro-rated by its days inside it."""
    budgets = runner.frame(budgets_between(user, period.start, period.end))
    if categories:
        budgets = budgets.filter(pl.col("category").is_in(list(categories)))
    if budgets.height == 0:
        return None
    total = 0.0
    for month, limit in budgets.group_by("month").agg(pl.col("limit").sum()).iter_rows():
        first = month.date()
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = first.replace(day=days_in_month)
        overlap = (min(last, period.end) - max(first, period.start)).days + 1
        if overlap > 0:
            total += limit * overlap / days_in_month
    return total


def budget_used(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str] = ()
) -> float | None:
    """Share of budget used: spending in the categories that have a budget that month, over
    those budgets pro-rated to the period's days (None without budgets).

    Categories without a budget do not count against the budgets the user did set.
    """
    budget = budget_for_period(runner, user, period, categories)
    if not budget:
        return None
    budgets = runner.frame(budgets_between(user, period.start, period.end))
    budgets = budgets.select(pl.col("month").dt.date(), "category")
    spent = runner.frame(
        spending.by_category_over_time(user, period, unit="month", categories=categories)
    )
    spent = to_local_date(spent, "bucket", user.timezone).rename({"bucket": "month"})
    in_budget = spent.join(budgets, on=["month", "category"], how="semi")
    return float(in_budget["total"].sum()) / budget


def kpis(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> list[Kpi]:
    """Total, average per day, count, largest expense and share of budget used, with comparisons."""
    periods = {"now": period, "prev": period.previous(), "year": period.year_before()}
    figures: dict[str, dict[str, float | None]] = {}
    for name, p in periods.items():
        t = _totals(runner, user, p, categories)
        figures[name] = {
            "total": t["total"],
            "per_day": t["total"] / p.days,
            "count": float(t["count"]),
            "largest": t["largest"],
            "budget": budget_used(runner, user, p, categories),
        }
    labels = {
        "total": ("Total spent", "money"),
        "per_day": ("Average per day", "money"),
        "count": ("Expenses", "count"),
        "largest": ("Largest expense", "money"),
        "budget": ("Budget used", "share"),
    }
    return [
        Kpi(
            label=label,
            value=figures["now"][key],
            vs_previous=change(figures["now"][key], figures["prev"][key]),
            vs_last_year=change(figures["now"][key], figures["year"][key]),
            kind=kind,
        )
        for key, (label, kind) in labels.items()
    ]


def _local_buckets(frame: pl.DataFrame, user: AuthUser) -> pl.DataFrame:
    return to_local_date(frame, "bucket", user.timezone)


def monthly_trend(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``month, total, budget, moving_avg`` for every month of the period (empty months are 0)."""
    spent = _local_buckets(
        runner.frame(spending.over_time(user, period, unit="month", categories=categories)), user
    )
    filled = fill_buckets(
        spent.select("bucket", "total"), start=period.start, end=period.end, unit="month"
    )
    budgets = runner.frame(budgets_between(user, period.start, period.end))
    if categories:
        budgets = budgets.filter(pl.col("category").is_in(list(categories)))
    monthly_budget = budgets.group_by(pl.col("month").dt.date().alias("bucket")).agg(
        pl.col("limit").sum().alias("budget")
    )
    trend = filled.join(monthly_budget, on="bucket", how="left", coalesce=True).sort("bucket")
    trend = moving_average(trend, "total", window=3)
    return trend.rename({"bucket": "month"}).select("month", "total", "budget", "moving_avg")


def category_totals(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``category, total, count``, largest first."""
    return runner.frame(spending.by_category(user, period, categories=categories))


def daily_spend(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``day, total`` for every local day of the period (0 on days without spending)."""
    spent = _local_buckets(
        runner.frame(spending.over_time(user, period, unit="day", categories=categories)), user
    )
    filled = fill_buckets(
        spent.select("bucket", "total"), start=period.start, end=period.end, unit="day"
    )
    return filled.rename({"bucket": "day"})


def weekday_spend(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``weekday (1 = Monday), total, count`` for all seven days."""
    frame = runner.frame(spending.by_weekday(user, period, categories=categories))
    return fill_range(frame, "weekday", range(1, 8))


def hourly_spend(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``hour (local, 0–23), total, count`` for all 24 hours."""
    frame = runner.frame(spending.by_hour(user, period, categories=categories))
    return fill_range(frame, "hour", range(24))


def _unit_for(period: Period) -> spending.Unit:
    """Days for up to ~6 weeks, weeks up to ~4 months, months beyond: readable bar counts."""
    return "day" if period.days <= 45 else ("week" if period.days <= 120 else "month")


def category_share(
    runner: Runner, user: AuthUser, period: Period, *, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """Long ``bucket, category, total`` over the period, every pair present, for a share chart."""
    unit = _unit_for(period)
    frame = runner.frame(
        spending.by_category_over_time(
            user, period, unit=unit, categories=categories, week_start=user.week_start_name
        )
    )
    frame = _local_buckets(frame, user)
    names = sorted(set(frame["category"].to_list()))
    return fill_categories(
        frame,
        start=period.start,
        end=period.end,
        unit=unit,
        categories=names,
        week_start=user.week_start,
    )


@dataclass(frozen=True)
class CategoryDetail:
    trend: pl.DataFrame  # bucket, total
    top: pl.DataFrame  # description, total, count
    total: float
    unit: str


def category_detail(
    runner: Runner, user: AuthUser, period: Period, category: str
) -> CategoryDetail:
    """One category over the period: its trend and its top descriptions."""
    unit = _unit_for(period)
    trend = runner.frame(
        spending.over_time(
            user, period, unit=unit, categories=[category], week_start=user.week_start_name
        )
    )
    trend = fill_buckets(
        _local_buckets(trend, user).select("bucket", "total"),
        start=period.start,
        end=period.end,
        unit=unit,
        week_start=user.week_start,
    )
    top = runner.frame(spending.top_descriptions(user, period, category=category))
    return CategoryDetail(trend=trend, top=top, total=float(trend["total"].sum()), unit=unit)


def compare_periods(
    runner: Runner,
    user: AuthUser,
    current: Period,
    other: Period,
    *,
    categories: Sequence[str] = (),
) -> pl.DataFrame:
    """``category, current, previous`` totals for two periods side by side."""
    a = category_totals(runner, user, current, categories=categories).select(
        "category", pl.col("total").alias("current")
    )
    b = category_totals(runner, user, other, categories=categories).select(
        "category", pl.col("total").alias("previous")
    )
    joined = a.join(b, on="category", how="full", coalesce=True)
    return joined.with_columns(
        pl.col("current").fill_null(0.0), pl.col("previous").fill_null(0.0)
    ).sort("current", "category", descending=[True, False])


def period_days(period: Period) -> list[dt.date]:
    return [period.start + dt.timedelta(days=i) for i in range(period.days)]


@dataclass(frozen=True)
class Insights:
    recurring: pl.DataFrame
    unusual: pl.DataFrame


def insights(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    today: dt.date,
    categories: Sequence[str] = (),
) -> Insights:
    """Recurring expenses and unusually large ones in the period, each with a one-line reason."""
    from dashboard.core.insights import recurring_expenses, unusual_expenses

    rows = runner.frame(spending.expense_rows(user, period, categories=categories))
    rows = rows.with_columns(pl.col("date").dt.convert_time_zone(user.timezone))
    return Insights(
        recurring=recurring_expenses(rows, today=today, currency=user.currency),
        unusual=unusual_expenses(rows, currency=user.currency),
    )
