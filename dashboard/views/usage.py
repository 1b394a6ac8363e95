"""Data for the product usage page: active users, stickiness, sign-ups and activation, retention
cohorts, feature usage and active users per currency and region.

Each public function runs queries from :mod:`queries.usage` through the cache and shapes their small
results with Polars; the pure shaping steps (:func:`daily_active`, :func:`activation_table`,
:func:`cohort_table`) take frames, so they can be tested on hand-built tables. Activity comes from
the daily activity rollup, which :func:`refresh_activity` keeps up to date (:mod:`dashboard.rollups`).
Days are UTC calendar days; weeks start on the viewer's chosen day (``AuthUser.week_start``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from dashboard.core.compare import Comparison, compare
from dashboard.core.identity import AuthUser
from dashboard.core.partial import last_complete_day, mark_partial
from dashboard.core.periods import Period, local_today
from dashboard.core.shaping import buckets_between, fill_buckets
from dashboard.data import rollups
from dashboard.data.runner import Runner
from queries import usage
from queries.usage import ACTIVATION_DAYS

__all__ = [
    "WINDOWS",
    "UsageKpi",
    "activation_rate",
    "activation_table",
    "active_segments",
    "active_users",
    "cohort_table",
    "daily_active",
    "data_start",
    "feature_usage",
    "kpis",
    "pending_note",
    "refresh_activity",
    "retention",
    "signups",
]

#: Trailing windows in days: a user counts on a day when active in the window ending that day.
WINDOWS = {"dau": 1, "wau": usage.WAU_DAYS, "mau": usage.MAU_DAYS}
Segment = Literal["currency", "region"]


@dataclass(frozen=True)
class UsageKpi:
    """One headline number of the period, the same number for the period before, and the
    comparison of the two (:func:`~dashboard.core.compare.compare`; points for shares)."""

    label: str
    value: float | None
    previous: float | None
    kind: str  # "count", "average" or "share"
    change: Comparison


def _week(day: pl.Expr, week_start: int) -> pl.Expr:
    """The first day of the week (starting on ISO weekday ``week_start``) that ``day`` is in."""
    return day - pl.duration(days=(day.dt.weekday() - week_start) % 7)


# -- pure shaping ------------------------------------------------------------------------------


def daily_active(
    counts: pl.DataFrame, *, start: dt.date, end: dt.date, last_day: dt.date | None = None
) -> pl.DataFrame:
    """``day, dau, wau, mau, stickiness, partial`` for every day ``start``..``end``.

    ``counts`` holds ``day`` (UTC midnights), ``dau``, ``wau``, ``mau`` on the days where one of
    them changes (:func:`queries.usage.active_counts`): a day without a row has no active users of
    its own and keeps the WAU and MAU of the row before it. Stickiness is DAU / MAU (null on a day
    without monthly users). ``partial``: the day comes after ``last_day`` (the last complete day,
    default ``end``), e.g. today, still filling up.
    """
    changes = counts.select(pl.col("day").dt.date(), "dau", "wau", "mau").sort("day")
    days = pl.date_range(start, end, "1d", eager=True).alias("day").to_frame()
    rolled = days.join_asof(changes.select("day", "wau", "mau"), on="day", strategy="backward")
    out = rolled.join(changes.select("day", "dau"), on="day", how="left").select(
        "day", pl.col("dau").fill_null(0), pl.col("wau", "mau").fill_null(0)
    )
    out = out.with_columns(
        stickiness=pl.when(pl.col("mau") > 0).then(pl.col("dau") / pl.col("mau"))
    )
    return mark_partial(out, "day", unit="day", last_day=end if last_day is None else last_day)


def activation_table(
    new_users: pl.DataFrame, first_expenses: pl.DataFrame, *, last_day: dt.date | None = None
) -> pl.DataFrame:
    """``user, signed_up, first_expense, activated, mature`` for each new user (UTC dates).

    Activated: the first expense was created at most 7 UTC days after the sign-up day (day 7
    counts, day 8 does not); a user without an expense is not activated. Mature: the 7 days are
    over by ``last_day`` (the last complete day; None: all are), so the rate can count the user.
    """
    joined = new_users.join(first_expenses, on="userId", how="left")
    table = joined.select(
        user="userId",
        signed_up=pl.col("signedUpAt").dt.date(),
        first_expense=pl.col("firstExpenseAt").dt.date(),
    )
    days = (pl.col("first_expense") - pl.col("signed_up")).dt.total_days()
    mature = (
        pl.lit(True)
        if last_day is None
        else pl.col("signed_up") + pl.duration(days=ACTIVATION_DAYS) <= pl.lit(last_day)
    )
    return table.with_columns(activated=(days <= ACTIVATION_DAYS).fill_null(False), mature=mature)


def activation_rate(new: pl.DataFrame) -> float | None:
    """The share of mature sign-ups (:func:`activation_table`) that activated; None without any."""
    mature = new.filter(pl.col("mature"))
    return float(mature["activated"].mean()) if mature.height else None


def cohort_table(
    new_users: pl.DataFrame,
    cells: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    week_start: int = 1,
) -> pl.DataFrame:
    """Long ``cohort, week, size, active, share`` for weekly retention.

    ``new_users`` has ``user, signed_up`` (Date); ``cells`` has ``cohort, week`` (the first days
    of a sign-up week and of an activity week, UTC midnights) and ``active`` users
    (:func:`queries.usage.cohort_activity`). Rows: every sign-up week of ``start``..``end``
    (``cohort``) times every week since sign-up the period has reached (``week`` 0 = the sign-up
    week); ``share`` = the part of the cohort's ``size`` users active in that week. A week without
    sign-ups keeps its rows, with ``size`` 0 and a null share.
    """
    weeks = buckets_between(start, end, "week", week_start=week_start)
    last = weeks[-1]
    grid = (
        weeks.alias("cohort")
        .to_frame()
        .join(pl.DataFrame({"week": range(len(weeks))}, schema={"week": pl.Int64}), how="cross")
        .filter(pl.col("cohort") + pl.duration(weeks=pl.col("week")) <= last)
    )
    members = new_users.select(cohort=_week(pl.col("signed_up"), week_start))
    sizes = members.group_by("cohort").agg(size=pl.len().cast(pl.Int64))
    seen = cells.select(
        cohort=pl.col("cohort").dt.date(),
        week=(pl.col("week") - pl.col("cohort")).dt.total_days() // 7,
        active=pl.col("active"),
    )
    table = grid.join(sizes, on="cohort", how="left").join(seen, on=["cohort", "week"], how="left")
    return (
        table.with_columns(pl.col("size", "active").fill_null(0))
        .with_columns(share=pl.when(pl.col("size") > 0).then(pl.col("active") / pl.col("size")))
        .sort("cohort", "week")
    )


# -- data for the page -------------------------------------------------------------------------


def refresh_activity(
    runner: Runner, user: AuthUser, *, now: dt.datetime | None = None
) -> rollups.Outcome:
    """Bring the activity rollup up to date if due (built at once when empty; see
    :func:`dashboard.rollups.refresh_rollup`). The page calls it before reading anything."""
    now = now or dt.datetime.now(dt.UTC)
    return rollups.refresh_rollup(runner, user, rollups.ACTIVITY, now=now)


def _new_users(
    runner: Runner, user: AuthUser, period: Period, *, today: dt.date | None = None
) -> pl.DataFrame:
    yesterday = (today or local_today("UTC")) - dt.timedelta(days=1)
    return activation_table(
        runner.frame(usage.new_users(user, period)),
        runner.frame(usage.first_expenses(user, period)),
        last_day=yesterday,
    )


def active_users(
    runner: Runner, user: AuthUser, period: Period, *, today: dt.date | None = None
) -> pl.DataFrame:
    """``day, dau, wau, mau, stickiness, partial`` for every UTC day of the period (``partial``:
    today, not over yet)."""
    counts = runner.frame(usage.active_counts(user, period))
    last_day = last_complete_day(period, today=today)
    return daily_active(counts, start=period.start, end=period.end, last_day=last_day)


def _figures(runner: Runner, user: AuthUser, period: Period) -> dict[str, float | None]:
    trend = active_users(runner, user, period)
    new = _new_users(runner, user, period)
    dau, wau, mau = (float(trend[name].mean() or 0.0) for name in WINDOWS)
    return {
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": dau / mau if mau else None,
        "active": float(runner.frame(usage.active_users(user, period)).height),
        "signups": float(new.height),
        "activation": activation_rate(new),
    }


_LABELS = {
    "dau": ("Average DAU", "average"),
    "wau": ("Average WAU", "average"),
    "mau": ("Average MAU", "average"),
    "stickiness": ("Stickiness (DAU/MAU)", "share"),
    "active": ("Active users", "count"),
    "signups": ("New sign-ups", "count"),
    "activation": ("Activated within 7 days", "share"),
}


def data_start(runner: Runner, user: AuthUser) -> dt.date | None:
    """The first UTC day of the activity the KPIs count (None without any)."""
    days = runner.frame(usage.activity_days(user))
    return days["day"][0].date() if days.height else None  # oldest first


def kpis(runner: Runner, user: AuthUser, period: Period) -> list[UsageKpi]:
    """Average DAU, WAU and MAU, stickiness, active users, sign-ups and activation, each compared
    with the previous period of the same length (no change where that period has no data)."""
    now = _figures(runner, user, period)
    previous = period.previous()
    before = _figures(runner, user, previous)
    first = data_start(runner, user)
    return [
        UsageKpi(
            label=label,
            value=now[key],
            previous=before[key],
            kind=kind,
            change=compare(
                now[key],
                before[key],
                start=previous.start,
                end=previous.end,
                data_start=first,
                points=kind == "share",
            ),
        )
        for key, (label, kind) in _LABELS.items()
    ]


def signups(
    runner: Runner, user: AuthUser, period: Period, *, today: dt.date | None = None
) -> pl.DataFrame:
    """``week, signups, activated, pending, rate`` for every week of the period (0 in weeks
    without any). ``pending``: sign-ups whose 7 days are not over yet, left out of ``rate``."""
    new = _new_users(runner, user, period, today=today)
    per_week = new.group_by(bucket=_week(pl.col("signed_up"), user.week_start)).agg(
        signups=pl.len().cast(pl.Int64),
        activated=pl.col("activated").sum().cast(pl.Int64),
        pending=(~pl.col("mature")).sum().cast(pl.Int64),
        mature_activated=(pl.col("activated") & pl.col("mature")).sum().cast(pl.Int64),
    )
    filled = fill_buckets(
        per_week,
        start=period.start,
        end=period.end,
        unit="week",
        week_start=user.week_start,
        values=("signups", "activated", "pending", "mature_activated"),
    )
    mature = pl.col("signups") - pl.col("pending")
    return filled.rename({"bucket": "week"}).select(
        "week",
        "signups",
        "activated",
        "pending",
        rate=pl.when(mature > 0).then(pl.col("mature_activated") / mature),
    )


def pending_note(frame: pl.DataFrame) -> str | None:
    """How many sign-ups of :func:`signups` are left out of the activation rate (None: none)."""
    pending = int(frame["pending"].sum()) if "pending" in frame.columns else 0
    if not pending:
        return None
    people = "sign-up is" if pending == 1 else "sign-ups are"
    return (
        f"{pending:,} {people} less than {ACTIVATION_DAYS} full days old and left out of the "
        "activation rate (they may still activate)."
    )


def retention(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """Weekly retention of the period's sign-up cohorts: see :func:`cohort_table`."""
    cells = usage.cohort_activity(user, period, week_start=user.week_start)
    return cohort_table(
        _new_users(runner, user, period),
        runner.frame(cells),
        start=period.start,
        end=period.end,
        week_start=user.week_start,
    )


def feature_usage(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """``family, requests, users`` per API route family in the period, most requests first."""
    return runner.frame(usage.route_families(user, period))


def active_segments(runner: Runner, user: AuthUser, period: Period, *, by: Segment) -> pl.DataFrame:
    """``<by>, users``: users active in the period per currency or region, most users first."""
    active = runner.frame(usage.active_users(user, period))
    segments = runner.frame(usage.user_segments(user))
    joined = active.join(segments, on="userId", how="left").with_columns(
        pl.col(by).fill_null("Unknown")
    )
    counts = joined.group_by(by).agg(users=pl.len().cast(pl.Int64))
    return counts.sort(["users", by], descending=[True, False])
