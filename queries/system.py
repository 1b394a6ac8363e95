"""System performance over all requests: latency percentiles, errors, throughput, availability.

Every function spans users, so it calls :func:`require_roles` (product, or admin) first and returns
a :class:`Query` in the ``"recent"`` cache family under the ``"global"`` scope. The first ``$match``
always bounds the time (``ts`` of ``api_requests``, ``day`` of the rollup), so MongoDB uses the
``{ts: 1}`` index and the embedded engine reads only the period's slice. Buckets are UTC.

Two sources of latency percentiles (``docs/product-dashboards.md`` says why):

- the request log itself, with ``$percentile`` (``method: "approximate"``: t-digest on MongoDB, the
  exact discrete value on the embedded engine): hour buckets of short periods
  (:func:`traffic_over_time`, :func:`route_latency_over_time`);
- :data:`ROLLUP`, daily histograms per route kept up to date with ``$merge``
  (:func:`rollup_refresh`): day buckets, routes and whole periods (:func:`rollup_percentiles`).
  A value ``x`` (ms) counts in bin ``floor(ln(x + 1) / BIN_WIDTH)``, 5 % wide; a percentile is the
  first bin whose running count reaches ``p·n`` (MongoDB's discrete rule over bins), reported as
  the bin's middle, so it is within about 2.5 % of the exact value.

Counts (requests, 4xx, 5xx, down minutes, error hours) always come from the request log, exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import polars as pl

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from queries.base import Query
from queries.scope import literal, require_roles

__all__ = [
    "BIN_WIDTH",
    "PAGE_LOAD",
    "PERCENTILES",
    "ROLLUP",
    "Metric",
    "Unit",
    "down_minutes",
    "error_hours",
    "page_load_hourly",
    "request_counts",
    "rollup_days",
    "rollup_percentiles",
    "rollup_refresh",
    "route_latency_over_time",
    "traffic_over_time",
]

Unit = Literal["hour", "day"]
Metric = Literal["latency", "db"]
#: The latency percentiles every latency query returns, as ``p50``, ``p95``, ``p99`` (ms).
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
#: The daily per-route histograms of ``latencyMs`` and ``dbMs``.
ROLLUP = "api_latency_daily"
#: Spendlens' own page runs per minute and replica, binned like :data:`ROLLUP` (``minute``,
#: ``replica``, ``bin``, ``n``), written by every app process.
PAGE_LOAD = "page_load_minutely"
#: Width of a histogram bin in ``ln(ms + 1)``: each bin spans 5 %.
BIN_WIDTH = math.log(1.05)

_INSTANT = pl.Datetime("ms", "UTC")
_LATENCY = {name: pl.Float64 for name in PERCENTILES}
_IS_4XX = {"$and": [{"$gte": ["$status", 400]}, {"$lt": ["$status", 500]}]}
_IS_5XX = {"$and": [{"$gte": ["$status", 500]}, {"$lt": ["$status", 600]}]}
_FIELDS = {"latency": "$latencyMs", "db": "$dbMs"}


def _query(
    name: str,
    pipeline: list[dict[str, Any]],
    schema: dict[str, pl.DataType] | None,
    *,
    collection: str = "api_requests",
) -> Query:
    return Query(
        name=f"system.{name}",
        collection=collection,
        pipeline=pipeline,
        schema=schema,
        family="recent",
        scope="global",
    )


def _in_period(user: AuthUser, period: Period, **conditions: Any) -> dict[str, Any]:
    """The first stage: the role check, then requests whose ``ts`` lies in the period."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    return {"$match": {"ts": {"$gte": lo, "$lt": hi}, **conditions}}


def _bucket(unit: str) -> dict[str, Any]:
    return {"$dateTrunc": {"date": "$ts", "unit": unit, "timezone": "UTC"}}


def _count(condition: dict[str, Any]) -> dict[str, Any]:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def _percentiles(field: str) -> dict[str, Any]:
    return {
        "$percentile": {"input": field, "p": list(PERCENTILES.values()), "method": "approximate"}
    }


def _p95(field: str) -> dict[str, Any]:
    return {"$percentile": {"input": field, "p": [0.95], "method": "approximate"}}


def _latency_fields(array: str = "$latency") -> dict[str, Any]:
    return {name: {"$arrayElemAt": [array, i]} for i, name in enumerate(PERCENTILES)}


def traffic_over_time(user: AuthUser, period: Period, *, unit: Unit) -> Query:
    """All routes per UTC hour or day: requests, latency p50/p95/p99, ``dbMs`` p95, 4xx and 5xx.

    Only buckets with requests have a row.
    """
    pipeline = [
        _in_period(user, period),
        {
            "$group": {
                "_id": _bucket(unit),
                "requests": {"$sum": 1},
                "latency": _percentiles("$latencyMs"),
                "db": _p95("$dbMs"),
                "errors_4xx": _count(_IS_4XX),
                "errors_5xx": _count(_IS_5XX),
            }
        },
        {
            "$project": {
                "_id": 0,
                "bucket": "$_id",
                "requests": 1,
                **_latency_fields(),
                "db_p95": {"$arrayElemAt": ["$db", 0]},
                "errors_4xx": 1,
                "errors_5xx": 1,
            }
        },
        {"$sort": {"bucket": 1}},
    ]
    schema = {
        "bucket": _INSTANT,
        "requests": pl.Int64,
        **_LATENCY,
        "db_p95": pl.Float64,
        "errors_4xx": pl.Int64,
        "errors_5xx": pl.Int64,
    }
    return _query(f"traffic_over_time.{unit}", pipeline, schema)


def route_latency_over_time(
    user: AuthUser, period: Period, *, unit: Unit, method: str, route: str
) -> Query:
    """One route (``method`` + templated ``route``) per UTC hour or day: requests, p50/p95/p99."""
    pipeline = [
        _in_period(user, period, route=literal(route), method=literal(method)),
        {
            "$group": {
                "_id": _bucket(unit),
                "requests": {"$sum": 1},
                "latency": _percentiles("$latencyMs"),
            }
        },
        {"$project": {"_id": 0, "bucket": "$_id", "requests": 1, **_latency_fields()}},
        {"$sort": {"bucket": 1}},
    ]
    schema = {"bucket": _INSTANT, "requests": pl.Int64, **_LATENCY}
    return _query(f"route_latency_over_time.{unit}", pipeline, schema)


def request_counts(user: AuthUser, period: Period, *, unit: Unit | None = None) -> Query:
    """Requests, 4xx and 5xx per UTC hour or day (``bucket``), or for the whole period (no row if
    there are none) without ``unit``."""
    group: dict[str, Any] = {
        "_id": _bucket(unit) if unit else None,
        "requests": {"$sum": 1},
        "errors_4xx": _count(_IS_4XX),
        "errors_5xx": _count(_IS_5XX),
    }
    counts = {"requests": 1, "errors_4xx": 1, "errors_5xx": 1}
    pipeline: list[dict[str, Any]] = [_in_period(user, period), {"$group": group}]
    schema: dict[str, pl.DataType] = {
        "requests": pl.Int64,
        "errors_4xx": pl.Int64,
        "errors_5xx": pl.Int64,
    }
    if unit:
        pipeline += [{"$project": {"_id": 0, "bucket": "$_id", **counts}}, {"$sort": {"bucket": 1}}]
        schema = {"bucket": _INSTANT, **schema}
    else:
        pipeline.append({"$project": {"_id": 0, **counts}})
    return _query(f"request_counts.{unit or 'period'}", pipeline, schema)


def down_minutes(
    user: AuthUser, period: Period, *, min_requests: int = 5, min_share: float = 0.5
) -> Query:
    """UTC minutes that count as down: at least ``min_requests`` requests, ``min_share`` of them 5xx.

    ``minute, requests, errors_5xx``, in time order. A minute with exactly half its requests 5xx is
    down (the comparison is ``errors_5xx ≥ min_share × requests``).
    """
    pipeline = [
        _in_period(user, period),
        {
            "$group": {
                "_id": _bucket("minute"),
                "requests": {"$sum": 1},
                "errors_5xx": _count(_IS_5XX),
            }
        },
        {
            "$match": {
                "requests": {"$gte": int(min_requests)},
                "$expr": {"$gte": ["$errors_5xx", {"$multiply": [float(min_share), "$requests"]}]},
            }
        },
        {"$project": {"_id": 0, "minute": "$_id", "requests": 1, "errors_5xx": 1}},
        {"$sort": {"minute": 1}},
    ]
    schema = {"minute": _INSTANT, "requests": pl.Int64, "errors_5xx": pl.Int64}
    return _query("down_minutes", pipeline, schema)


def error_hours(user: AuthUser, period: Period, *, min_requests: int = 20, limit: int = 3) -> Query:
    """The UTC hours with the highest 5xx rate among those with at least ``min_requests`` requests.

    ``hour, requests, errors_5xx, rate_5xx``, highest rate first (earlier hour first on ties).
    """
    pipeline = [
        _in_period(user, period),
        {
            "$group": {
                "_id": _bucket("hour"),
                "requests": {"$sum": 1},
                "errors_5xx": _count(_IS_5XX),
            }
        },
        {"$match": {"requests": {"$gte": int(min_requests)}, "errors_5xx": {"$gt": 0}}},
        {
            "$project": {
                "_id": 0,
                "hour": "$_id",
                "requests": 1,
                "errors_5xx": 1,
                "rate_5xx": {"$divide": ["$errors_5xx", "$requests"]},
            }
        },
        {"$sort": {"rate_5xx": -1, "hour": 1}},
        {"$limit": int(limit)},
    ]
    schema = {
        "hour": _INSTANT,
        "requests": pl.Int64,
        "errors_5xx": pl.Int64,
        "rate_5xx": pl.Float64,
    }
    return _query("error_hours", pipeline, schema)


# -- the daily rollup ---------------------------------------------------------------------------


def _bins(metric: Metric, bounds: dict[str, Any]) -> list[dict[str, Any]]:
    key = {
        "day": _bucket("day"),
        "method": "$method",
        "route": "$route",
        "metric": {"$literal": metric},
        "bin": {"$floor": {"$divide": [{"$ln": {"$add": [_FIELDS[metric], 1]}}, BIN_WIDTH]}},
    }
    return [{"$match": {"ts": bounds}}, {"$group": {"_id": key, "n": {"$sum": 1}}}]


def rollup_refresh(user: AuthUser, *, since: dt.datetime | None, until: dt.datetime) -> Query:
    """Recount the latency and DB-time bins of the UTC days in ``[since, until)`` (from the first
    request without ``since``) and ``$merge`` them into :data:`ROLLUP`, replacing those days' bins.
    ``since`` and ``until`` should be midnights. Run it with ``store.aggregate`` (it returns nothing
    and must not be cached). A missing value counts in bin null, which percentiles skip.
    """
    require_roles(user, "product")
    bounds = {"$lt": until} if since is None else {"$gte": since, "$lt": until}
    fields = ("day", "method", "route", "metric", "bin")
    pipeline = [
        *_bins("latency", bounds),
        {"$unionWith": {"coll": "api_requests", "pipeline": _bins("db", bounds)}},
        {"$set": {name: f"$_id.{name}" for name in fields}},
        {"$merge": {"into": ROLLUP, "on": "_id", "whenMatched": "replace"}},
    ]
    return _query("rollup_refresh", pipeline, None)


def rollup_days(user: AuthUser, *, metric: Metric = "latency") -> Query:
    """How many requests :data:`ROLLUP` holds per UTC day, oldest first (to find what is stale)."""
    require_roles(user, "product")
    pipeline = [
        {"$match": {"metric": metric}},
        {"$group": {"_id": "$day", "requests": {"$sum": "$n"}}},
        {"$project": {"_id": 0, "day": "$_id", "requests": 1}},
        {"$sort": {"day": 1}},
    ]
    schema = {"day": _INSTANT, "requests": pl.Int64}
    return _query("rollup_days", pipeline, schema, collection=ROLLUP)


def rollup_percentiles(
    user: AuthUser,
    period: Period,
    *,
    metric: Metric,
    by: Literal["day", "route", "period"],
    method: str | None = None,
    route: str | None = None,
) -> Query:
    """``requests, p50, p95, p99`` (ms) of ``metric`` from :data:`ROLLUP`, per UTC day
    (``bucket``), per route (``method, route``, slowest p95 first) or for the whole period;
    ``method`` and ``route`` narrow it to one route."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    match: dict[str, Any] = {"day": {"$gte": lo, "$lt": hi}, "metric": metric, "bin": {"$ne": None}}
    if method is not None and route is not None:
        match |= {"method": literal(method), "route": literal(route)}
    key = {"day": "$day", "route": {"method": "$method", "route": "$route"}, "period": None}[by]
    running = {"$sum": "$n", "window": {"documents": ["unbounded", "current"]}}
    first_bin = {
        name: {
            "$min": {"$cond": [{"$gte": ["$cum", {"$multiply": [p, "$total"]}]}, "$_id.bin", None]}
        }
        for name, p in PERCENTILES.items()
    }
    middle = {
        name: {"$subtract": [{"$exp": {"$multiply": [{"$add": [f"${name}", 0.5]}, BIN_WIDTH]}}, 1]}
        for name in PERCENTILES
    }
    keys: dict[str, Any] = {
        "day": {"bucket": "$_id"},
        "route": {"method": "$_id.method", "route": "$_id.route"},
        "period": {},
    }[by]
    pipeline = [
        {"$match": match},
        {"$group": {"_id": {"g": key, "bin": "$bin"}, "n": {"$sum": "$n"}}},
        {"$setWindowFields": {"partitionBy": "$_id.g", "sortBy": {"_id.bin": 1},
                              "output": {"cum": running, "total": {"$sum": "$n"}}}},
        {"$group": {"_id": "$_id.g", "requests": {"$max": "$total"}, **first_bin}},
        {"$project": {"_id": 0, **keys, "requests": 1, **middle}},
    ]  # fmt: skip
    schema: dict[str, pl.DataType] = {
        "day": {"bucket": _INSTANT},
        "route": {"method": pl.String, "route": pl.String},
        "period": {},
    }[by] | {"requests": pl.Int64, **_LATENCY}
    if by == "day":
        pipeline.append({"$sort": {"bucket": 1}})
    elif by == "route":
        pipeline.append({"$sort": {"p95": -1, "route": 1, "method": 1}})
    return _query(f"rollup_percentiles.{metric}.{by}", pipeline, schema, collection=ROLLUP)


def page_load_hourly(user: AuthUser, period: Period) -> Query:
    """Spendlens' own page runs per UTC hour over every replica: ``bucket, runs, p95`` (ms), from
    :data:`PAGE_LOAD`'s bins with the same discrete percentile rule as :func:`rollup_percentiles`."""
    require_roles(user, "product")
    lo, hi = period.utc_bounds()
    hour = {"$dateTrunc": {"date": "$minute", "unit": "hour", "timezone": "UTC"}}
    running = {"$sum": "$n", "window": {"documents": ["unbounded", "current"]}}
    first = {
        "$min": {"$cond": [{"$gte": ["$cum", {"$multiply": [0.95, "$total"]}]}, "$_id.bin", None]}
    }
    pipeline = [
        {"$match": {"minute": {"$gte": lo, "$lt": hi}, "bin": {"$ne": None}}},
        {"$group": {"_id": {"g": hour, "bin": "$bin"}, "n": {"$sum": "$n"}}},
        {"$setWindowFields": {"partitionBy": "$_id.g", "sortBy": {"_id.bin": 1},
                              "output": {"cum": running, "total": {"$sum": "$n"}}}},
        {"$group": {"_id": "$_id.g", "runs": {"$max": "$total"}, "p95": first}},
        {"$project": {"_id": 0, "bucket": "$_id", "runs": 1, "p95": {"$subtract": [
            {"$exp": {"$multiply": [{"$add": ["$p95", 0.5]}, BIN_WIDTH]}}, 1]}}},
        {"$sort": {"bucket": 1}},
    ]  # fmt: skip
    schema = {"bucket": _INSTANT, "runs": pl.Int64, "p95": pl.Float64}
    return _query("page_load_hourly", pipeline, schema, collection=PAGE_LOAD)
