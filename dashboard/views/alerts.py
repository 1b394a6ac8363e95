"""What an alert subscription says right now: the conditions that hold (budget thresholds and
forecasts, API p95 or 5xx rate over target), the ones that do not (for recovery notices), and the
scheduled messages (spending summaries), each as a :class:`~dashboard.core.notice.Notice`.

Every figure comes from the same queries and shaping the pages use (``month_status`` for budgets,
``traffic_over_time`` for the API), run as the subscription's owner, so an alert and its page never
disagree. Amounts are formatted as on the pages; links open the page with the right filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.money import format_money
from dashboard.core.notice import Notice, page_link
from dashboard.core.periods import PRESETS, Period, local_today, parse_period
from dashboard.core.schedules import report_period
from dashboard.data.runner import Runner
from dashboard.views.budgets import budgeted, month_status
from dashboard.views.spending import category_totals, kpis
from dashboard.views.system import TARGETS
from queries import system as system_queries

__all__ = [
    "KINDS",
    "Evaluation",
    "Firing",
    "evaluate",
]

#: Subscription kinds → the role they need and what they watch.
KINDS: dict[str, tuple[str, str]] = {
    "budget": ("user", "a category reaches a share of its budget, or its forecast passes it"),
    "summary": ("user", "a weekly or monthly summary of your spending"),
    "sla": (
        "product",
        "API p95, the 5xx rate or Spendlens' own page p95 stays over target for N hours",
    ),
    "report": ("finance", "a finance period report on a schedule"),
}


@dataclass(frozen=True)
class Firing:
    """A condition that holds now, for ``period`` (the key that makes it fire once)."""

    condition: str
    period: str
    notice: Notice


@dataclass(frozen=True)
class Evaluation:
    """What one run of a subscription found."""

    firing: list[Firing] = field(default_factory=list)
    #: Conditions evaluated and found not to hold (their open events recover), with the notice.
    clear: dict[str, Notice] = field(default_factory=dict)


def _money(value: float | None, user: AuthUser) -> str:
    return format_money(value, user.currency)


def _budget(
    runner: Runner, user: AuthUser, params: Mapping[str, Any], now: dt.datetime
) -> Evaluation:
    today = local_today(user.timezone, now=now)
    month = today.replace(day=1)
    status = budgeted(month_status(runner, user, month=month, today=today))
    wanted = params.get("category")
    thresholds = sorted({int(t) for t in params.get("thresholds") or (80, 100)})
    link = page_link(runner.settings.base_url, "budgets")
    period = f"{month:%Y-%m}"
    firing = []
    for row in status.iter_rows(named=True):
        category = row["category"]
        if wanted and category != wanted:
            continue
        share = (row["share_used"] or 0.0) * 100
        figures = (
            f"{category}: {_money(row['spent'], user)} spent of {_money(row['budget'], user)} "
            f"in {month:%B %Y} ({share:.0f}%)."
        )
        reached = [t for t in thresholds if share >= t]
        if reached:
            top = reached[-1]
            firing.append(
                Firing(
                    condition=f"budget:{category}:{top}",
                    period=period,
                    notice=Notice(
                        subject=f"{category} has reached {top}% of its {month:%B} budget",
                        lines=(figures,),
                        link=link,
                        severity="critical" if top >= 100 else "warning",
                    ),
                )
            )
        passes = row["passes_on"]
        if params.get("forecast") and passes is not None and share < 100:
            firing.append(
                Firing(
                    condition=f"forecast:{category}",
                    period=period,
                    notice=Notice(
                        subject=f"At this pace {category} passes its budget on {passes:%-d %B}",
                        lines=(
                            figures,
                            f"Forecast for the month: {_money(row['forecast'], user)} "
                            f"({_money(row['daily_rate'], user)} a day).",
                        ),
                        link=link,
                        severity="warning",
                    ),
                )
            )
    return Evaluation(firing=firing)


def _summary(
    runner: Runner, user: AuthUser, params: Mapping[str, Any], slot: dt.datetime
) -> Evaluation:
    kind = "previous-week" if params.get("frequency") == "weekly" else "previous-month"
    period = report_period(kind, slot, tz=user.timezone)
    figures = {k.label: k for k in kpis(runner, user, period)}
    total = figures["Total spent"]
    before = total.vs_previous
    change = (
        f" ({before.text()} on the period before)"
        if before.change is not None
        else f" (no comparison with the period before: {before.text()})"
    )
    top = category_totals(runner, user, period).head(5)
    rows = [
        (row["category"], _money(row["total"], user), f"{row['count']:,}")
        for row in top.iter_rows(named=True)
    ]
    table = (("Category", "Spent", "Expenses"), *rows)
    notice = Notice(
        subject=f"Your spending, {period.label()}",
        lines=(
            f"{period.days_label()}: {_money(total.value, user)} spent{change}, "
            f"{int(figures['Expenses'].value or 0):,} expenses.",
            "Top categories:" if top.height else "No expenses in this period.",
        ),
        link=page_link(runner.settings.base_url, "overview", _period_params(period)),
        table=table if top.height else (),
    )
    return Evaluation(firing=[Firing(condition="summary", period=period.spec, notice=notice)])


def _period_params(period: Period) -> dict[str, str]:
    """The spending pages' URL for exactly this period: their picker reads the preset's label
    (``period``) and a custom range's ``from`` and ``to`` (dashboard/ui/filters.py)."""
    custom = PRESETS["custom"].label
    return {"period": custom, "from": period.start.isoformat(), "to": period.end.isoformat()}


def _sla(runner: Runner, user: AuthUser, params: Mapping[str, Any], now: dt.datetime) -> Evaluation:
    metric = str(params.get("metric") or "api_p95")
    buckets = max(1, int(params.get("buckets") or 3))
    hour = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    first = hour - dt.timedelta(hours=buckets)  # the last N complete UTC hours
    days = parse_period(f"{first.date().isoformat()}:{hour.date().isoformat()}", tz="UTC")
    if metric == "page_p95":
        traffic = runner.frame(system_queries.page_load_hourly(user, days))
    else:
        traffic = runner.frame(system_queries.traffic_over_time(user, days, unit="hour"))
    window = traffic.filter((pl.col("bucket") >= first) & (pl.col("bucket") < hour))
    if metric == "page_p95":
        limit = TARGETS["page_load"].limit
        values = window.select("bucket", pl.col("p95").alias("value"))
        label, unit = "Spendlens page p95", " ms"
    elif metric == "error_rate":
        limit = float(params.get("error_rate_pct") or 1.0)
        values = window.select(
            "bucket", (pl.col("errors_5xx") / pl.col("requests") * 100).alias("value")
        )
        label, unit = "5xx rate", "%"
    else:
        limit = TARGETS["api_p95"].limit
        values = window.select("bucket", pl.col("p95").alias("value"))
        label, unit = "API p95", " ms"
    over = values.filter(pl.col("value") > limit)
    last_week = PRESETS["last-7-days"].label
    link = page_link(runner.settings.base_url, "system-performance", {"perf_period": last_week})
    shown = ", ".join(
        f"{row['bucket']:%H:%M} {row['value']:.1f}{unit}" for row in values.iter_rows(named=True)
    )
    condition = f"sla:{metric}"
    if values.height == buckets and over.height == buckets:  # every hour measured, all over
        notice = Notice(
            subject=f"{label} over target ({limit:g}{unit}) for {buckets} hours",
            lines=(f"Hourly {label} (UTC) since {first:%d %b %H:%M}: {shown}.",),
            link=link,
            severity="critical",
        )
        return Evaluation(firing=[Firing(condition, f"{first:%Y-%m-%dT%H}", notice)])
    if values.height == over.height:
        return Evaluation()  # no hour measured under target (a quiet night): no recovery either
    recovered = Notice(
        subject=f"Recovered: {label} back under target ({limit:g}{unit})",
        lines=(f"Hourly {label} (UTC) since {first:%d %b %H:%M}: {shown or 'no requests'}.",),
        link=link,
        severity="recovered",
    )
    return Evaluation(clear={condition: recovered})


def evaluate(
    runner: Runner,
    user: AuthUser,
    sub: Mapping[str, Any],
    *,
    slot: dt.datetime,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Run one subscription of ``user`` for its ``slot`` (the scheduled moment)."""
    now = now or slot
    kind, params = sub["kind"], dict(sub.get("params") or {})
    if kind == "budget":
        return _budget(runner, user, params, now)
    if kind == "summary":
        return _summary(runner, user, params, slot)
    if kind == "sla":
        return _sla(runner, user, params, now)
    msg = f"subscriptions of kind {kind!r} are not evaluated here"
    raise ValueError(msg)
