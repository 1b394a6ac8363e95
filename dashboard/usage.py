"""Data for the product usage page: active users, stickiness, sign-ups and activation, retention
cohorts, feature usage and active users per currency and region.

Each public function runs queries from :mod:`queries.usage` through the cache and shapes the results
with Polars; the pure shaping steps (:func:`rolling_active`, :func:`activation_table`,
:func:`cohort_table`) take frames, so they can be tested on hand-built tables. Days are UTC calendar
days; weeks start on the viewer's chosen day (``AuthUser.week_start``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import polars as pl

from dashboard.auth.models import AuthUser
from dashboard.periods import Period
from dashboard.runner import Runner
from dashboard.shaping import buckets_between, change, fill_buckets
from queries import usage
from queries.usage import ACTIVATION_DAYS

__all__ = [
    "WINDOWS",
    "UsageKpi",
    "activation_table",
    "active_segments",
    "active_users",
    "cohort_table",
    "feature_usage",
    "kpis",
    "retention",
    "rolling_active",
    "signups",
]

#: Trailing windows in days: a user counts on a day when active in the window ending that day.
WINDOWS = {"dau": 1, "wau": 7, "mau": 30}
Segment = Literal["currency", "region"]


@dataclass(frozen=True)
class UsageKpi:
    """One headline number of the period and the same number for the period before."""

    label: str
    value: float | None
    previous: float | None
    kind: str  # "count", "average" or "share"

    @property
    def delta(self) -> float | None:
        """The change: relative for counts and averages (0.25 = +25 %), points for shares."""
        if self.value is None or self.previous is None:
            return None
        if self.kind == "share":
            return self.value - self.previous
        return change(self.value, self.previous)


def _week(day: pl.Expr, week_start: int) -> pl.Expr:
    """The first day of the week (starting on ISO weekday ``week_start``) that ``day`` is in."""
    return day - pl.duration(days=(day.dt.weekday() - week_start) % 7)


# -- pure shaping ------------------------------------------------------------------------------


def _in_window(spans: pl.DataFrame, window: int, days: pl.DataFrame) -> pl.Series:
    """How many users were active in the ``window`` days ending on each of ``days``."""
    # An active day counts its user from that day until the window has passed or the user's next
    # active day takes over, so the spans of one user never overlap: +1 where a span starts, -1
    # where it ends, and the running sum is the number of distinct users on every day. (A
    # duplicate pair ends where it starts: it adds nothing.)
    until = pl.min_horizontal(pl.col("day") + pl.duration(days=window), pl.col("next"))
    steps = (
        pl.concat(
            [
                spans.lazy().group_by("day").agg(step=pl.len().cast(pl.Int64)),
                spans.lazy().group_by(day=until).agg(step=-pl.len().cast(pl.Int64)),
            ]
        )
        .group_by("day")
        .agg(pl.col("step").sum())
        .sort("day")
        .select("day", active=pl.col("step").cum_sum())
        .collect()
    )
    counted = days.join_asof(steps, on="day", strategy="backward")
    return counted["active"].fill_null(0)


def rolling_active(pairs: pl.DataFrame, *, start: dt.date, end: dt.date) -> pl.DataFrame:
    """``day, dau, wau, mau, stickiness`` for every day ``start``..``end``.

    ``pairs`` holds ``day`` (Date), ``user`` activity (duplicates are ignored). WAU and MAU count
    the distinct users active in the 7 and 30 days ending on each day, so pairs from 29 days before
    ``start`` should be present. Stickiness is DAU / MAU (null on a day without monthly users).
    """
    same_user = pl.col("user") == pl.col("user").shift(-1)
    spans = (
        pairs.select("day", "user")
        .sort("user", "day")
        .select("day", next=pl.when(same_user).then(pl.col("day").shift(-1)))
    )
    days = pl.date_range(start, end, "1d", eager=True).alias("day").to_frame()
    counts = {name: _in_window(spans, window, days) for name, window in WINDOWS.items()}
    return days.with_columns(**counts).with_columns(
        stickiness=pl.when(pl.col("mau") > 0).then(pl.col("dau") / pl.col("mau"))
    )


def activation_table(new_users: pl.DataFrame, first_expenses: pl.DataFrame) -> pl.DataFrame:
    """``user, signed_up, first_expense, activated`` for each new user (days are UTC dates).

    Activated: the first expense was created at most 7 UTC days after the sign-up day (day 7
    counts, day 8 does not); a user without an expense is not activated.
    """
    joined = new_users.join(first_expenses, on="userId", how="left")
    table = joined.select(
        user="userId",
        signed_up=pl.col("signedUpAt").dt.date(),
        first_expense=pl.col("firstExpenseAt").dt.date(),
    )
    days = (pl.col("first_expense") - pl.col("signed_up")).dt.total_days()
    return table.with_columns(activated=(days <= ACTIVATION_DAYS).fill_null(False))


def cohort_table(
    new_users: pl.DataFrame,
    pairs: pl.DataFrame,
    *,
    start: dt.date,
    end: dt.date,
    week_start: int = 1,
) -> pl.DataFrame:
    """Long ``cohort, week, size, active, share`` for weekly retention.

    ``new_users`` has ``user, signed_up`` (Date), ``pairs`` has ``day, user``. Rows: every sign-up
    week of ``start``..``end`` (``cohort``, its first day) times every week since sign-up the
    period has reached (``week`` 0 = the sign-up week); ``share`` = the part of the cohort's
    ``size`` users active in that week. A week without sign-ups keeps its rows, with ``size`` 0
    and a null share.
    """
    weeks = buckets_between(start, end, "week", week_start=week_start)
    last = weeks[-1]
    grid = (
        weeks.alias("cohort")
        .to_frame()
        .join(pl.DataFrame({"week": range(len(weeks))}, schema={"week": pl.Int64}), how="cross")
        .filter(pl.col("cohort") + pl.duration(weeks=pl.col("week")) <= last)
    )
    members = new_users.select("user", cohort=_week(pl.col("signed_up"), week_start))
    sizes = members.group_by("cohort").agg(size=pl.len().cast(pl.Int64))
    seen = (
        pairs.filter(pl.col("day").is_between(start, end))
        .join(members, on="user")
        .with_columns(
            week=(_week(pl.col("day"), week_start) - pl.col("cohort")).dt.total_days() // 7
        )
        .filter(pl.col("week") >= 0)
        .group_by("cohort", "week")
        .agg(active=pl.col("user").n_unique().cast(pl.Int64))
    )
    table = grid.join(sizes, on="cohort", how="left").join(seen, on=["cohort", "week"], how="left")
    return (
        table.with_columns(pl.col("size", "active").fill_null(0))
        .with_columns(share=pl.when(pl.col("size") > 0).then(pl.col("active") / pl.col("size")))
        .sort("cohort", "week")
    )


# -- data for the page -------------------------------------------------------------------------


def _pairs(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """``day`` (UTC Date), ``user``: activity from 29 days before the period to its end."""
    frame = runner.frame(usage.active_days(user, period))
    return frame.select(pl.col("day").dt.date(), user="userId")


def _new_users(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    return activation_table(
        runner.frame(usage.new_users(user, period)),
        runner.frame(usage.first_expenses(user, period)),
    )


def active_users(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """``day, dau, wau, mau, stickiness`` for every UTC day of the period."""
    return rolling_active(_pairs(runner, user, period), start=period.start, end=period.end)


def _figures(runner: Runner, user: AuthUser, period: Period) -> dict[str, float | None]:
    pairs = _pairs(runner, user, period)
    trend = rolling_active(pairs, start=period.start, end=period.end)
    new = _new_users(runner, user, period)
    dau, wau, mau = (float(trend[name].mean() or 0.0) for name in WINDOWS)
    return {
        "dau": dau,
        "wau": wau,
        "mau": mau,
        "stickiness": dau / mau if mau else None,
        "active": float(pairs.filter(pl.col("day") >= period.start)["user"].n_unique()),
        "signups": float(new.height),
        "activation": float(new["activated"].mean()) if new.height else None,
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


def kpis(runner: Runner, user: AuthUser, period: Period) -> list[UsageKpi]:
    """Average DAU, WAU and MAU, stickiness, active users, sign-ups and activation, with the
    same figures for the previous period of the same length."""
    now = _figures(runner, user, period)
    before = _figures(runner, user, period.previous())
    return [
        UsageKpi(label=label, value=now[key], previous=before[key], kind=kind)
        for key, (label, kind) in _LABELS.items()
    ]


def signups(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """``week, signups, activated, rate`` for every week of the period (0 in weeks without any)."""
    new = _new_users(runner, user, period)
    per_week = new.group_by(bucket=_week(pl.col("signed_up"), user.week_start)).agg(
        signups=pl.len().cast(pl.Int64), activated=pl.col("activated").sum().cast(pl.Int64)
    )
    filled = fill_buckets(
        per_week,
        start=period.start,
        end=period.end,
        unit="week",
        week_start=user.week_start,
        values=("signups", "activated"),
    )
    return filled.rename({"bucket": "week"}).with_columns(
        rate=pl.when(pl.col("signups") > 0).then(pl.col("activated") / pl.col("signups"))
    )


def retention(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """Weekly retention of the period's sign-up cohorts: see :func:`cohort_table`."""
    return cohort_table(
        _new_users(runner, user, period),
        _pairs(runner, user, period),
        start=period.start,
        end=period.end,
        week_start=user.week_start,
    )


def feature_usage(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """``family, requests, users`` per API route family in the period, most requests first."""
    return runner.frame(usage.route_families(user, period))


def active_segments(runner: Runner, user: AuthUser, period: Period, *, by: Segment) -> pl.DataFrame:
    """``<by>, users``: users active in the period per currency or region, most users first."""
    active = _pairs(runner, user, period).filter(pl.col("day") >= period.start)
    segments = runner.frame(usage.user_segments(user)).rename({"userId": "user"})
    joined = (
        active.select("user")
        .unique()
        .join(segments, on="user", how="left")
        .with_columns(pl.col(by).fill_null("Unknown"))
    )
    counts = joined.group_by(by).agg(users=pl.len().cast(pl.Int64))
    return counts.sort(["users", by], descending=[True, False])
