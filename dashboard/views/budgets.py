"""Budgets: this month's budget against actual with a burn-rate forecast, the history of months
over and under budget, and creating or editing a budget (a write: it invalidates the user's cache)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from dashboard.core.forecast import forecast_month, forecast_sentence, ordinal
from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period, add_months, month_period
from dashboard.core.shaping import to_local_date
from dashboard.data.budgets import set_limit
from dashboard.data.runner import Runner
from dashboard.views.spending import BUDGET_RULE, budget_by_month
from queries import spending
from queries.budgets import budgets_between

__all__ = [
    "BUDGET_RULE",
    "BudgetError",
    "BudgetUse",
    "budget_history",
    "budget_months",
    "budget_use",
    "budgeted",
    "is_closed",
    "latest_month_with_data",
    "month_status",
    "months_over",
    "save_budget",
    "status_sentence",
]

MAX_LIMIT = 1_000_000_000.0


class BudgetError(ValueError):
    """A budget that cannot be saved; the message says which field is wrong."""


def _budgets(runner: Runner, user: AuthUser, first: dt.date, last: dt.date) -> pl.DataFrame:
    frame = runner.frame(budgets_between(user, first, last))
    return frame.with_columns(pl.col("month").dt.date())


def budget_months(today: dt.date, count: int = 12) -> list[dt.date]:
    """The first days of the ``count`` latest months, this one first: the months to budget."""
    return [add_months(today, -i) for i in range(count)]


def latest_month_with_data(runner: Runner, user: AuthUser, *, today: dt.date) -> dt.date:
    """The first day of the latest of :func:`budget_months` with a usable expense (this month's
    when none has any): the month the Budgets page opens on."""
    months = budget_months(today)
    period = Period(months[-1], today, user.timezone)
    spent = runner.frame(spending.over_time(user, period, unit="month"))
    spent = to_local_date(spent, "bucket", user.timezone).filter(pl.col("count") > 0)
    return spent["bucket"].to_list()[-1] if spent.height else months[0]  # sorted by bucket


def is_closed(month: dt.date, today: dt.date) -> bool:
    """True when the month of ``month`` is over on ``today`` (its figures are final)."""
    return month_period(month, "UTC").end < today


def status_sentence(
    row: Mapping[str, Any], *, closed: bool, format_money: Callable[[float], str]
) -> str:
    """One line for a budgeted row of :func:`month_status`: past tense for a closed month
    ("Groceries stayed within budget: $412.30 of $550.00"), "nothing spent yet" for a category
    without spending this month, else the forecast ("… by month-end")."""
    name, spent, budget = row["category"], row["spent"] or 0.0, row["budget"]
    if closed and budget is not None:
        if spent > budget:
            on = f" on the {ordinal(row['passes_on'].day)}" if row["passes_on"] else ""
            return (
                f"{name} went over its budget{on}: {format_money(spent)} spent of "
                f"{format_money(budget)}."
            )
        return f"{name} stayed within budget: {format_money(spent)} of {format_money(budget)}."
    if not spent and budget is not None:
        return f"{name}: nothing spent yet of its {format_money(budget)} budget."
    return forecast_sentence(row, format_money=format_money)


@dataclass(frozen=True)
class BudgetUse:
    """Budget used in a month (:data:`BUDGET_RULE`), up to today in the current month."""

    spent: float
    budget: float
    share: float
    days: int
    days_in_month: int


def budget_use(
    runner: Runner, user: AuthUser, *, month: dt.date, today: dt.date
) -> BudgetUse | None:
    """Spending in budgeted categories over their budgets, for the month up to ``today`` (the
    same figure as the Overview's "Budget used" for that span); None without budgets."""
    whole = month_period(month, user.timezone)
    period = Period(whole.start, min(whole.end, max(today, whole.start)), user.timezone)
    months = budget_by_month(runner, user, period)
    budget = float(months["budget"].sum())
    if not budget:
        return None
    spent = float(months["budgeted"].sum())
    return BudgetUse(spent, budget, spent / budget, period.days, whole.days)


def month_status(runner: Runner, user: AuthUser, *, month: dt.date, today: dt.date) -> pl.DataFrame:
    """Budget against actual per category for one month, with the month-end forecast."""
    period = month_period(month, user.timezone)
    daily = runner.frame(spending.by_category_over_time(user, period, unit="day"))
    daily = to_local_date(daily, "bucket", user.timezone).rename({"bucket": "day"})
    budgets = _budgets(runner, user, period.start, period.start).select("category", "limit")
    return forecast_month(
        daily.select("category", "day", "total"), budgets, month=period.start, today=today
    )


def budgeted(status: pl.DataFrame) -> pl.DataFrame:
    """The rows of :func:`month_status` for categories that have a budget."""
    return status.filter(pl.col("budget").is_not_null())


def months_over(history: pl.DataFrame) -> int:
    """How many months of :func:`budget_history` went over budget."""
    return history.filter(pl.col("status") == "over").height


def budget_history(
    runner: Runner, user: AuthUser, *, months: int = 12, today: dt.date
) -> pl.DataFrame:
    """``month, spent, budget, difference, status`` for the last ``months`` months that had a budget.

    Spending counts only the categories that had a budget that month, so "over" means over the
    budgets the user set.
    """
    last = today.replace(day=1)
    first = add_months(last, -(months - 1))
    period = Period(first, month_period(last, user.timezone).end, user.timezone)
    spent = runner.frame(spending.by_category_over_time(user, period, unit="month"))
    spent = to_local_date(spent, "bucket", user.timezone).rename({"bucket": "month"})
    budgets = _budgets(runner, user, first, last)
    if budgets.height == 0:
        return pl.DataFrame(
            schema={
                "month": pl.Date,
                "spent": pl.Float64,
                "budget": pl.Float64,
                "difference": pl.Float64,
                "status": pl.String,
            }
        )
    joined = budgets.join(spent, on=["month", "category"], how="left", coalesce=True).with_columns(
        pl.col("total").fill_null(0.0)
    )
    history = joined.group_by("month").agg(
        pl.col("total").sum().alias("spent"), pl.col("limit").sum().alias("budget")
    )
    return history.with_columns(
        (pl.col("spent") - pl.col("budget")).alias("difference"),
        pl.when(pl.col("spent") > pl.col("budget"))
        .then(pl.lit("over"))
        .otherwise(pl.lit("under"))
        .alias("status"),
    ).sort("month")


def save_budget(
    runner: Runner, user: AuthUser, *, month: dt.date, category: str, limit: float
) -> None:
    """Create or change the user's budget for a category and month, then invalidate their cache."""
    category = (category or "").strip()
    if not category or len(category) > 40:
        msg = "category: give a name of 1 to 40 characters"
        raise BudgetError(msg)
    try:
        amount = round(float(limit), 2)
    except (TypeError, ValueError) as exc:
        msg = f"limit: {limit!r} is not a number"
        raise BudgetError(msg) from exc
    if not 0 < amount <= MAX_LIMIT:
        msg = f"limit: must be above 0 and at most {MAX_LIMIT:,.0f}, got {amount}"
        raise BudgetError(msg)
    set_limit(runner.store, user.id, month=month, category=category, limit=amount)
    runner.cache.invalidate(user.scope)
