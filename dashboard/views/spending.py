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

from dashboard.core.compare import Comparison, Reference, compare
from dashboard.core.identity import AuthUser
from dashboard.core.left_out import LeftOut
from dashboard.core.partial import last_complete_day, mark_partial
from dashboard.core.periods import Period
from dashboard.core.shaping import (
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
    "BUDGET_RULE",
    "Kpi",
    "budget_by_month",
    "budget_for_period",
    "budget_used",
    "category_detail",
    "category_share",
    "category_totals",
    "compare_periods",
    "daily_spend",
    "data_start",
    "hourly_spend",
    "insights",
    "kpis",
    "left_out",
    "left_out_ever",
    "monthly_trend",
    "share_unit",
    "weekday_spend",
]

WEEKDAY_NUMBERS = {name: i + 1 for i, name in enumerate(spending.WEEKDAYS)}


#: What "Budget used" means, wherever it is shown (Overview KPI and trend, Budgets page).
BUDGET_RULE = (
    "Budget used = spending in the categories that have a budget that month ÷ those budgets, "
    "each month's budget pro-rated to the days of the period; other categories do not count."
)


@dataclass(frozen=True)
class Kpi:
    """One headline number with its comparison against the previous period and the year before."""

    label: str
    value: float | None
    vs_previous: Comparison
    vs_last_year: Comparison
    kind: str  # "money", "count" or "share"


def data_start(runner: Runner, user: AuthUser) -> dt.date | None:
    """The local day of the user's first usable expense (None without any)."""
    frame = runner.frame(spending.first_day(user))
    if frame.is_empty():
        return None
    return to_local_date(frame, "first", user.timezone)["first"][0]


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


_BUDGET_MONTHS = {"month": pl.Date, "budget": pl.Float64, "budgeted": pl.Float64}


def budget_by_month(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str] = ()
) -> pl.DataFrame:
    """``month, budget, budgeted`` for each month of the period with a budget: the month's limits
    pro-rated to its days inside the period, and the spending in the categories they cover."""
    budgets = runner.frame(budgets_between(user, period.start, period.end))
    if categories:
        budgets = budgets.filter(pl.col("category").is_in(list(categories)))
    if budgets.height == 0:
        return pl.DataFrame(schema=_BUDGET_MONTHS)
    budgets = budgets.select(pl.col("month").dt.date(), "category", "limit")
    spent = runner.frame(
        spending.by_category_over_time(user, period, unit="month", categories=categories)
    )
    spent = to_local_date(spent, "bucket", user.timezone).rename({"bucket": "month"})
    joined = budgets.join(
        spent.select("month", "category", "total"), on=["month", "category"], how="left"
    )
    months = joined.group_by("month").agg(
        pl.col("limit").sum().alias("budget"),
        pl.col("total").fill_null(0.0).sum().alias("budgeted"),
    )
    share = []
    for first in months["month"]:
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = first.replace(day=days_in_month)
        overlap = (min(last, period.end) - max(first, period.start)).days + 1
        share.append(max(overlap, 0) / days_in_month)
    months = months.with_columns(pl.col("budget") * pl.Series(share, dtype=pl.Float64))
    return months.filter(pl.col("budget") > 0).sort("month").select(list(_BUDGET_MONTHS))


def budget_for_period(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str] = ()
) -> float | None:
    """The budget that applies to the period: each month's limits pro-rated by its days inside it."""
    months = budget_by_month(runner, user, period, categories)
    return float(months["budget"].sum()) if months.height else None


def budget_used(
    runner: Runner, user: AuthUser, period: Period, categories: Sequence[str] = ()
) -> float | None:
    """Share of budget used (:data:`BUDGET_RULE`): spending in the categories that have a budget
    that month, over those budgets pro-rated to the period's days (None without budgets)."""
    months = budget_by_month(runner, user, period, categories)
    budget = float(months["budget"].sum())
    return float(months["budgeted"].sum()) / budget if budget else None


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
    first = data_start(runner, user)

    def against(key: str, name: str) -> Comparison:
        p = periods[name]
        return compare(
            figures["now"][key],
            figures[name][key],
            start=p.start,
            end=p.end,
            data_start=first,
            against="previous" if name == "prev" else "last_year",
            points=key == "budget",
        )

    return [
        Kpi(
            label=label,
            value=figures["now"][key],
            vs_previous=against(key, "prev"),
            vs_last_year=against(key, "year"),
            kind=kind,
        )
        for key, (label, kind) in labels.items()
    ]


def _local_buckets(frame: pl.DataFrame, user: AuthUser) -> pl.DataFrame:
    return to_local_date(frame, "bucket", user.timezone)


def monthly_trend(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    categories: Sequence[str] = (),
    today: dt.date | None = None,
) -> pl.DataFrame:
    """``month, total, budgeted, budget, moving_avg, partial`` for every month of the period (empty
    months are 0): all spending, the spending in budgeted categories and their budget as
    :data:`BUDGET_RULE` counts them (null in months without a budget), a 3-month average, and
    ``partial``: not over by yesterday, or starting before the period (see
    :func:`dashboard.core.partial.mark_partial`)."""
    spent = _local_buckets(
        runner.frame(spending.over_time(user, period, unit="month", categories=categories)), user
    )
    filled = fill_buckets(
        spent.select("bucket", "total"), start=period.start, end=period.end, unit="month"
    )
    budgets = budget_by_month(runner, user, period, categories).rename({"month": "bucket"})
    trend = filled.join(budgets, on="bucket", how="left", coalesce=True).sort("bucket")
    trend = moving_average(trend, "total", window=3)
    trend = trend.rename({"bucket": "month"}).select(
        "month", "total", "budgeted", "budget", "moving_avg"
    )
    return mark_partial(
        trend,
        "month",
        unit="month",
        last_day=last_complete_day(period, today=today),
        data_start=period.start,
    )


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
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    categories: Sequence[str] = (),
    today: dt.date | None = None,
) -> pl.DataFrame:
    """Long ``bucket, category, total, partial`` over the period, every pair present, for a share
    chart (``partial``: the bucket is not over by yesterday or starts before the period)."""
    unit = _unit_for(period)
    frame = runner.frame(
        spending.by_category_over_time(
            user, period, unit=unit, categories=categories, week_start=user.week_start_name
        )
    )
    frame = _local_buckets(frame, user)
    names = sorted(set(frame["category"].to_list()))
    filled = fill_categories(
        frame,
        start=period.start,
        end=period.end,
        unit=unit,
        categories=names,
        week_start=user.week_start,
    )
    return mark_partial(
        filled,
        "bucket",
        unit=unit,
        last_day=last_complete_day(period, today=today),
        data_start=period.start,
    )


def share_unit(period: Period) -> spending.Unit:
    """The bucket unit of :func:`category_share` for ``period`` (day, week or month)."""
    return _unit_for(period)


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
    against: Reference = "previous",
) -> pl.DataFrame:
    """``category, current, previous, change`` for two periods side by side; ``change`` is the
    :func:`~dashboard.core.compare.compare` text ("+12%", "no data before Dec 2025")."""
    a = category_totals(runner, user, current, categories=categories).select(
        "category", pl.col("total").alias("current")
    )
    b = category_totals(runner, user, other, categories=categories).select(
        "category", pl.col("total").alias("previous")
    )
    joined = a.join(b, on="category", how="full", coalesce=True)
    joined = joined.with_columns(
        pl.col("current").fill_null(0.0), pl.col("previous").fill_null(0.0)
    ).sort("current", "category", descending=[True, False])
    first = data_start(runner, user)
    texts = [
        compare(
            now, before, start=other.start, end=other.end, data_start=first, against=against
        ).text()
        for now, before in joined.select("current", "previous").iter_rows()
    ]
    return joined.with_columns(change=pl.Series(texts, dtype=pl.String))


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
