"""Data for the System performance page: the API's latency, errors, throughput and availability,
Spendlens' own query, page and cache figures, and the scorecard against the scaling notes' targets.

The API figures come from :mod:`queries.performance` through the cache (and the daily latency
rollup that :mod:`dashboard.rollups` maintains); the pure shaping steps take frames and values, so they are tested
on hand-built data. Everything is UTC. Scorecard colours: green meets the target, amber misses it by
at most 25 %, red by more; uptime is judged by its downtime (0.1 % allowed) and the cache by its
misses (10 % allowed: the notes' "90 % fewer database queries"), see :class:`Target`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.core.timings import discrete_percentile, summarize
from dashboard.data import rollups
from dashboard.data.runner import Runner
from queries import system as q
from queries.system import Unit

__all__ = [
    "MIN_CACHE_LOOKUPS",
    "TARGETS",
    "ApiReport",
    "ApiSummary",
    "Availability",
    "Score",
    "Target",
    "api_report",
    "availability_from",
    "incident_table",
    "page_durations",
    "page_load_p95",
    "query_durations",
    "route_latency",
    "scorecard",
    "shape_traffic",
    "unit_for",
]

#: The scaling notes' "page load < 2 s", in ms.
PAGE_LOAD_TARGET_MS = 2000.0
#: Periods up to this many days are bucketed by hour, longer ones by day.
HOURLY_MAX_DAYS = 3
#: A minute is down when it has at least this many requests and at least this share are 5xx.
DOWN_MIN_REQUESTS = 5
DOWN_MIN_SHARE = 0.5
#: A scorecard figure is amber when it misses its target by at most this share of the target.
AMBER_MARGIN = 0.25

Status = Literal["green", "amber", "red", "none"]
_EPS = 1e-9  # float slack when a measure sits exactly on a boundary
_NO_MINUTES = pl.DataFrame(schema={"minute": pl.Datetime("ms", "UTC")})


@dataclass(frozen=True)
class Target:
    """A scaling-notes target as a limit on a "lower is better" measure: latencies and page time
    as they are, uptime as its downtime (limit 0.1 %), the cache as its misses (limit 10 %). Green
    meets it; amber misses it by at most 25 % of the limit; red misses it by more."""

    label: str
    goal: str
    limit: float
    #: "<" targets (latencies) are missed at the limit itself; "≥" targets (uptime, cache) are met.
    strict: bool

    def status(self, measure: float | None) -> Status:
        """Green meets the target, amber misses it by at most 25 %, red misses it by more."""
        if measure is None or math.isnan(measure):
            return "none"
        met = measure < self.limit if self.strict else measure <= self.limit * (1 + _EPS)
        if met:
            return "green"
        return "amber" if measure <= self.limit * (1 + AMBER_MARGIN) * (1 + _EPS) else "red"


TARGETS: dict[str, Target] = {
    "api_p95": Target("API p95", "< 200 ms", 200.0, strict=True),
    "db_p95": Target("DB p95", "< 50 ms", 50.0, strict=True),
    "uptime": Target("Uptime", "≥ 99.9 %", 0.001, strict=False),
    "page_load": Target("Page load p95", "< 2 s", PAGE_LOAD_TARGET_MS, strict=True),
    "cache": Target("Cache hits", "≥ 90 %", 0.10, strict=False),
}


@dataclass(frozen=True)
class Score:
    """One scorecard cell: the measured value as text, its colour, what that means in a few words
    and, for uptime and the cache, the judged measure (downtime, misses) in ``detail``."""

    key: str
    target: Target
    value: str
    status: Status
    note: str
    detail: str = ""


def unit_for(period: Period) -> Unit:
    """Hour buckets for periods of up to three days, day buckets beyond."""
    return "hour" if period.days <= HOURLY_MAX_DAYS else "day"


def _end(period: Period, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The period's UTC start and where its data can end: its end, or ``now`` if earlier."""
    lo, hi = period.utc_bounds()
    return lo, max(lo, min(hi, now))


# -- API: traffic over time, availability, incidents -------------------------------------------


def shape_traffic(
    frame: pl.DataFrame, *, period: Period, unit: Unit, now: dt.datetime, down: pl.DataFrame
) -> pl.DataFrame:
    """Every bucket of the period up to ``now``, with throughput, error rates and breach flags.

    Adds ``rpm`` (requests per minute, averaged over the bucket's elapsed minutes), ``breach``
    (p95 over the API target), ``down_minutes`` (of ``down``'s minutes) and, when ``frame`` has
    them, ``rate_4xx``/``rate_5xx`` (null without requests) and ``db_breach`` (DB p95 over target).
    A bucket without requests has 0 requests and null percentiles.
    """
    lo, end = _end(period, now)
    step = {"hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1)}[unit]
    grid = pl.datetime_range(lo, end, step, closed="left", time_unit="ms", eager=True)
    out = grid.alias("bucket").to_frame().join(frame, on="bucket", how="left", coalesce=True)
    counts = [c for c in ("requests", "errors_4xx", "errors_5xx") if c in out.columns]
    per_bucket = down.group_by(pl.col("minute").dt.truncate(step).alias("bucket")).agg(
        pl.len().cast(pl.Int64).alias("down_minutes")
    )
    out = out.join(per_bucket, on="bucket", how="left", coalesce=True).with_columns(
        pl.col(*counts, "down_minutes").fill_null(0)
    )
    bucket_end = pl.min_horizontal(pl.col("bucket") + step, pl.lit(end).dt.cast_time_unit("ms"))
    minutes = (bucket_end - pl.col("bucket")).dt.total_seconds(fractional=True) / 60
    out = out.with_columns(
        (pl.col("requests") / minutes.clip(lower_bound=1.0)).alias("rpm"),
        (pl.col("p95") > TARGETS["api_p95"].limit).fill_null(False).alias("breach"),
    )
    if "errors_5xx" in out.columns:
        requests = pl.when(pl.col("requests") > 0).then(pl.col("requests"))
        out = out.with_columns(
            (pl.col("errors_4xx") / requests).alias("rate_4xx"),
            (pl.col("errors_5xx") / requests).alias("rate_5xx"),
            (pl.col("db_p95") > TARGETS["db_p95"].limit).fill_null(False).alias("db_breach"),
        )
    return out.sort("bucket")


@dataclass(frozen=True)
class Availability:
    """Availability estimated from 5xx bursts (see :func:`availability_from`)."""

    minutes: int
    down_minutes: int
    requests: int
    windows: pl.DataFrame  # start, end (exclusive), minutes, requests, errors_5xx

    @property
    def downtime(self) -> float | None:
        """Down minutes / minutes in the period; None for an empty or not yet started period."""
        return self.down_minutes / self.minutes if self.minutes and self.requests else None

    @property
    def ratio(self) -> float | None:
        return None if self.downtime is None else 1.0 - self.downtime


def availability_from(
    down: pl.DataFrame, *, period: Period, now: dt.datetime, requests: int
) -> Availability:
    """1 − down minutes / minutes in the period (up to ``now``), with consecutive down minutes
    merged into windows. Minutes without requests count as up; no requests at all: no figure."""
    lo, end = _end(period, now)
    minutes = math.ceil((end - lo).total_seconds() / 60)
    run = (pl.col("minute").diff() != pl.duration(minutes=1)).fill_null(True).cum_sum()
    windows = (
        down.sort("minute")
        .group_by(run.alias("run"), maintain_order=True)
        .agg(
            pl.col("minute").min().alias("start"),
            (pl.col("minute").max() + pl.duration(minutes=1)).alias("end"),
            pl.len().cast(pl.Int64).alias("minutes"),
            pl.col("requests").sum(),
            pl.col("errors_5xx").sum(),
        )
        .drop("run")
    )
    return Availability(minutes, down.height, requests, windows)


def incident_table(
    days: pl.DataFrame, hours: pl.DataFrame, down: pl.DataFrame, *, top: int = 3
) -> pl.DataFrame:
    """The ``top`` days with the highest p95 and the hours with the highest 5xx rate.

    ``days``: ``bucket, requests, p95, errors_5xx`` per UTC day; ``hours``: ``hour, requests,
    errors_5xx, rate_5xx`` (already ranked); ``down``: the down minutes. Columns: ``incident,
    start, end, requests, p95_ms, rate_5xx, down_minutes``.
    """
    slow = (
        days.filter(pl.col("p95").is_not_null())
        .sort(["p95", "bucket"], descending=[True, False])
        .head(top)
        .select(
            pl.lit("Slowest day (p95)").alias("incident"),
            pl.col("bucket").alias("start"),
            (pl.col("bucket") + pl.duration(days=1)).alias("end"),
            "requests",
            pl.col("p95").alias("p95_ms"),
            (pl.col("errors_5xx") / pl.col("requests")).alias("rate_5xx"),
        )
    )
    errors = hours.head(top).select(
        pl.lit("Highest 5xx rate (hour)").alias("incident"),
        pl.col("hour").alias("start"),
        (pl.col("hour") + pl.duration(hours=1)).alias("end"),
        "requests",
        pl.lit(None, dtype=pl.Float64).alias("p95_ms"),
        "rate_5xx",
    )
    table = pl.concat([slow, errors], how="vertical_relaxed")
    minutes = down["minute"]
    counts = [
        int(((minutes >= s) & (minutes < e)).sum()) for s, e in table.select("start", "end").rows()
    ]
    return table.with_columns(pl.Series("down_minutes", counts, dtype=pl.Int64))


@dataclass(frozen=True)
class ApiSummary:
    """The whole period over all routes."""

    requests: int
    p95_ms: float | None
    db_p95_ms: float | None
    errors_4xx: int
    errors_5xx: int


@dataclass(frozen=True)
class ApiReport:
    """Everything the page shows about the API for one period."""

    period: Period
    unit: Unit
    summary: ApiSummary
    traffic: pl.DataFrame  # shape_traffic
    routes: pl.DataFrame  # method, route, requests, p50, p95, p99, label, breach
    availability: Availability
    incidents: pl.DataFrame  # incident_table


def _daily(runner: Runner, user: AuthUser, period: Period) -> pl.DataFrame:
    """Per UTC day: exact counts from the log, latency and DB-time percentiles from the rollup."""
    counts = runner.frame(q.request_counts(user, period, unit="day"))
    latency = runner.frame(q.rollup_percentiles(user, period, metric="latency", by="day"))
    db = runner.frame(q.rollup_percentiles(user, period, metric="db", by="day"))
    return counts.join(latency.drop("requests"), on="bucket", how="left").join(
        db.select("bucket", pl.col("p95").alias("db_p95")), on="bucket", how="left"
    )


def api_report(
    runner: Runner, user: AuthUser, period: Period, *, now: dt.datetime | None = None
) -> ApiReport:
    """Refresh the rollup if due, run the period's queries (each once) and shape them."""
    now = now or dt.datetime.now(dt.UTC)
    rollups.refresh_rollup(runner, user, rollups.LATENCY, now=now)
    unit = unit_for(period)
    counts = runner.frame(q.request_counts(user, period))
    row = counts.row(0, named=True) if counts.height else {}
    latency = runner.frame(q.rollup_percentiles(user, period, metric="latency", by="period"))
    db = runner.frame(q.rollup_percentiles(user, period, metric="db", by="period"))
    summary = ApiSummary(
        requests=int(row.get("requests") or 0),
        p95_ms=latency["p95"][0] if latency.height else None,
        db_p95_ms=db["p95"][0] if db.height else None,
        errors_4xx=int(row.get("errors_4xx") or 0),
        errors_5xx=int(row.get("errors_5xx") or 0),
    )
    down = runner.frame(
        q.down_minutes(user, period, min_requests=DOWN_MIN_REQUESTS, min_share=DOWN_MIN_SHARE)
    )
    daily = _daily(runner, user, period)
    raw = daily if unit == "day" else runner.frame(q.traffic_over_time(user, period, unit=unit))
    routes = runner.frame(q.rollup_percentiles(user, period, metric="latency", by="route"))
    return ApiReport(
        period=period,
        unit=unit,
        summary=summary,
        traffic=shape_traffic(raw, period=period, unit=unit, now=now, down=down),
        routes=routes.with_columns(
            pl.concat_str("method", pl.lit(" "), "route").alias("label"),
            (pl.col("p95") > TARGETS["api_p95"].limit).fill_null(False).alias("breach"),
        ),
        availability=availability_from(down, period=period, now=now, requests=summary.requests),
        incidents=incident_table(daily, runner.frame(q.error_hours(user, period)), down),
    )


def route_latency(
    runner: Runner,
    user: AuthUser,
    period: Period,
    *,
    method: str,
    route: str,
    now: dt.datetime | None = None,
) -> pl.DataFrame:
    """One route's latency percentiles per bucket (every bucket; breach = p95 over target)."""
    unit = unit_for(period)
    if unit == "hour":
        query = q.route_latency_over_time(user, period, unit=unit, method=method, route=route)
    else:
        query = q.rollup_percentiles(
            user, period, metric="latency", by="day", method=method, route=route
        )
    now = now or dt.datetime.now(dt.UTC)
    return shape_traffic(runner.frame(query), period=period, unit=unit, now=now, down=_NO_MINUTES)


# -- Spendlens itself ---------------------------------------------------------------------------


def query_durations(timings: pl.DataFrame) -> pl.DataFrame:
    """Spendlens' own database operations per query name (the ``comment``; unnamed ones as
    ``"<operation> <collection>"``): ``query, runs, p50_ms, p95_ms, errors``, slowest p95 first."""
    named = timings.with_columns(
        pl.coalesce("comment", pl.concat_str("operation", pl.lit(" "), "collection")).alias("query")
    )
    return summarize(named, by="query", count="runs")


def page_durations(timings: pl.DataFrame) -> pl.DataFrame:
    """Per page: ``page, views, p50_ms, p95_ms, errors, breach`` (p95 at or over 2 s), from the
    page timings buffer's frame (:data:`dashboard.app.page_timings.PAGE_TIMINGS`)."""
    return summarize(timings, by="page", count="views").with_columns(
        (pl.col("p95_ms") >= PAGE_LOAD_TARGET_MS).fill_null(False).alias("breach")
    )


def page_load_p95(timings: pl.DataFrame) -> float | None:
    """The p95 of every recorded page run (None before the first)."""
    return (
        timings.select(discrete_percentile("duration_ms", 0.95)).item() if timings.height else None
    )


# -- the scorecard ------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:,.0f} ms"


#: The cache is judged from this many lookups on: just after a restart a few misses that fill it
#: would read as a failing hit ratio.
MIN_CACHE_LOOKUPS = 200


def _score(key: str, measure: float | None, value: str, detail: str = "") -> Score:
    target = TARGETS[key]
    status = target.status(measure)
    if measure is None:
        return Score(key, target, "—", status, "no data yet")
    over = measure / target.limit - 1
    note = "meets the target" if status == "green" else f"{over:.0%} over the limit"
    return Score(key, target, value, status, note, detail)


def _uptime(share: float) -> str:
    """``99.875%``, ``99.9%``, ``100%``: three decimals at most, no trailing zeros, so the value
    fits its tile."""
    text = f"{share * 100:.3f}".rstrip("0").rstrip(".")
    return f"{text}%"


def scorecard(
    *,
    summary: ApiSummary,
    availability: Availability,
    page_p95_ms: float | None,
    cache: Mapping[str, Any],
) -> list[Score]:
    """The five scaling-notes targets with the measured value and green/amber/red."""
    hits, misses = int(cache.get("hits") or 0), int(cache.get("misses") or 0)
    missed = misses / (hits + misses) if hits + misses else None
    down = availability.downtime
    if missed is not None and hits + misses < MIN_CACHE_LOOKUPS:
        cache_score = Score(
            "cache", TARGETS["cache"], f"{1 - missed:.1%}", "none", "not enough data yet",
            f"Only {hits + misses:,} cache lookups since this app process started; the hit "
            f"ratio is judged from {MIN_CACHE_LOOKUPS:,} on.",
        )  # fmt: skip
    else:
        cache_score = _score(
            "cache",
            missed,
            f"{1 - missed:.1%}" if missed is not None else "",
            f"Misses {missed:.1%} of the lookups; 10 % allowed." if missed is not None else "",
        )
    return [
        _score("api_p95", summary.p95_ms, _ms(summary.p95_ms)),
        _score("db_p95", summary.db_p95_ms, _ms(summary.db_p95_ms)),
        _score(
            "uptime",
            down,
            _uptime(1 - down) if down is not None else "",
            f"Downtime {down:.3%} of the minutes; 0.1 % allowed." if down is not None else "",
        ),
        _score("page_load", page_p95_ms, _ms(page_p95_ms)),
        cache_score,
    ]
