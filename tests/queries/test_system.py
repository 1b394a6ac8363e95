"""System performance queries on hand-built request logs, with hand-computed answers.

Percentiles follow MongoDB's discrete rule, which the embedded engine computes exactly: the p-th
percentile of n values is the ceil(p·n)-th smallest (the largest for p = 1).
"""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.periods import Period
from dashboard.store import Store
from queries import system as performance
from tests.factories import ADMIN, PLAIN, PRODUCT, request, utc

DAY = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2), "UTC")


def _run(store: Store, query) -> pl.DataFrame:
    return store.aggregate_frame(query.collection, query.pipeline, schema=query.schema)


_LOG_QUERIES = (
    lambda u, p: performance.traffic_over_time(u, p, unit="hour"),
    lambda u, p: performance.route_latency_over_time(
        u, p, unit="hour", method="GET", route="/api/expenses"
    ),
    performance.request_counts,
    lambda u, p: performance.request_counts(u, p, unit="day"),
    performance.down_minutes,
    performance.error_hours,
)
_ROLLUP_QUERIES = tuple(
    (lambda u, p, by=by, metric=metric: performance.rollup_percentiles(u, p, metric=metric, by=by))
    for by in ("day", "route", "period")
    for metric in ("latency", "db")
)


def _all_queries(user: AuthUser, period: Period = DAY) -> list:
    return [build(user, period) for build in _LOG_QUERIES + _ROLLUP_QUERIES]


def _refresh(store: Store, since: dt.datetime | None = None) -> None:
    query = performance.rollup_refresh(PRODUCT, since=since, until=utc(2026, 3, 9))
    store.aggregate(query.collection, query.pipeline)


def _middle(x: float) -> float:
    """The middle of the 5 % bin holding ``x`` ms, as the rollup reports it."""
    w = math.log(1.05)
    return math.exp((math.floor(math.log(x + 1) / w) + 0.5) * w) - 1


def test_every_query_needs_the_product_role_and_starts_with_its_period() -> None:
    every = (
        *_LOG_QUERIES,
        *_ROLLUP_QUERIES,
        lambda u, p: performance.rollup_refresh(u, since=None, until=utc(2026, 3, 3)),
        lambda u, p: performance.rollup_days(u),
    )
    for build in every:
        with pytest.raises(PermissionDenied):
            build(PLAIN, DAY)
    bounds = {"$gte": utc(2026, 3, 2), "$lt": utc(2026, 3, 3)}
    for user in (PRODUCT, ADMIN):
        for query in _all_queries(user):
            assert (query.scope, query.family) == ("global", "recent")
            first = query.pipeline[0]["$match"]
            if query.collection == "api_requests":
                assert first["ts"] == bounds, query.name
            else:
                assert query.collection == performance.ROLLUP
                assert first["day"] == bounds, query.name


def test_percentiles_from_the_log_per_hour_and_route(store: Store) -> None:
    ten = [request(utc(2026, 3, 2, 9, i), 10.0 * (i + 1)) for i in range(10)]  # 10 … 100 ms
    one = [request(utc(2026, 3, 2, 9, 30), 42.0, route="/api/budgets")]  # a route with one request
    store.insert_many("api_requests", ten + one)
    # All 11: 10 20 30 40 42 50 60 70 80 90 100 → p50 = 6th (50), p95 = p99 = 11th (100).
    hourly = _run(store, performance.traffic_over_time(PRODUCT, DAY, unit="hour"))
    assert hourly.select("bucket", "requests", "p50", "p95", "p99").rows() == [
        (utc(2026, 3, 2, 9), 11, 50.0, 100.0, 100.0)
    ]
    # 10 values: p50 = 5th smallest (50), p95 = p99 = 10th (100); one value: itself everywhere.
    expected = {"/api/expenses": (10, 50.0, 100.0, 100.0), "/api/budgets": (1, 42.0, 42.0, 42.0)}
    for route, figures in expected.items():
        query = performance.route_latency_over_time(
            PRODUCT, DAY, unit="hour", method="GET", route=route
        )
        assert _run(store, query).select("requests", "p50", "p95", "p99").rows() == [figures]


def test_day_buckets_and_db_time_from_the_log(store: Store) -> None:
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 2, 0, 0), 5.0, db=2.0),
            request(utc(2026, 3, 2, 23, 59, 59), 7.0, db=40.0),
            request(utc(2026, 3, 3, 0, 0), 9.0, db=60.0),  # the next day: outside the period
            request(utc(2026, 3, 1, 23, 59, 59), 11.0, db=80.0),  # the day before: outside
        ],
    )
    out = _run(store, performance.traffic_over_time(PRODUCT, DAY, unit="day"))
    assert out.select("bucket", "requests", "p50", "p99", "db_p95").rows() == [
        (utc(2026, 3, 2), 2, 5.0, 7.0, 40.0)
    ]


def test_4xx_and_5xx_are_counted_separately(store: Store) -> None:
    statuses = [200, 201, 204, 400, 404, 429, 500, 503, 302]
    docs = [request(utc(2026, 3, 2, 12, i), 10.0, status=s) for i, s in enumerate(statuses)]
    store.insert_many("api_requests", docs)
    assert _run(store, performance.request_counts(PRODUCT, DAY)).rows() == [(9, 3, 2)]
    hourly = _run(store, performance.request_counts(PRODUCT, DAY, unit="hour"))
    assert hourly.rows() == [(utc(2026, 3, 2, 12), 9, 3, 2)]


# -- the daily rollup ---------------------------------------------------------------------------


def test_rollup_bins_are_5_percent_of_ms_plus_one(store: Store) -> None:
    store.insert_many(
        "api_requests",
        [request(utc(2026, 3, 2, 9), 99.0, db=0.0), request(utc(2026, 3, 2, 9), 0.0)],
    )
    _refresh(store)
    rows = store.find(performance.ROLLUP, {}, sort=[("metric", 1), ("bin", 1)])
    # ln(100) / ln(1.05) = 94.39 → bin 94; ln(1) / ln(1.05) = 0 → bin 0; db 1.0: ln 2 / ln 1.05 = 14.2
    assert [(r["metric"], r["bin"], r["n"]) for r in rows] == [
        ("db", 0, 1),
        ("db", 14, 1),
        ("latency", 0, 1),
        ("latency", 94, 1),
    ]
    assert rows[0]["day"] == utc(2026, 3, 2)
    assert (rows[0]["method"], rows[0]["route"]) == ("GET", "/api/expenses")


def test_rollup_percentiles_take_the_discrete_rule_over_bins(store: Store) -> None:
    ten = [request(utc(2026, 3, 2, 9, i), 10.0 * (i + 1)) for i in range(10)]
    one = [request(utc(2026, 3, 2, 9, 30), 42.0, route="/api/budgets")]
    store.insert_many("api_requests", ten + one)
    _refresh(store)
    routes = _run(store, performance.rollup_percentiles(PRODUCT, DAY, metric="latency", by="route"))
    assert routes.select("route", "requests").rows() == [("/api/expenses", 10), ("/api/budgets", 1)]
    assert routes.select("p50", "p95", "p99").row(0) == pytest.approx(
        (_middle(50), _middle(100), _middle(100))
    )
    assert routes.select("p50", "p95", "p99").row(1) == pytest.approx((_middle(42),) * 3)
    period = _run(
        store, performance.rollup_percentiles(PRODUCT, DAY, metric="latency", by="period")
    )
    assert period["requests"].to_list() == [11]
    assert period.select("p50", "p95").row(0) == pytest.approx((_middle(50), _middle(100)))
    for exact, shown in ((50, period["p50"][0]), (100, period["p95"][0])):
        assert abs(shown - exact) <= 0.025 * (exact + 1)  # within 2.5 % of ms + 1
    one_route = performance.rollup_percentiles(
        PRODUCT, DAY, metric="latency", by="day", method="GET", route="/api/budgets"
    )
    days = _run(store, one_route)
    assert days.select("bucket", "requests").rows() == [(utc(2026, 3, 2), 1)]


def test_a_refresh_replaces_the_days_it_recounts_and_skips_missing_values(store: Store) -> None:
    store.insert_many(
        "api_requests", [request(utc(2026, 3, 1, 9), 10.0), request(utc(2026, 3, 2, 9), 10.0)]
    )
    _refresh(store)
    store.insert_many("api_requests", [request(utc(2026, 3, 2, 10), 500.0)])
    missing = request(utc(2026, 3, 2, 11), 20.0)
    del missing["dbMs"]
    store.insert_many("api_requests", [missing])
    _refresh(store, since=utc(2026, 3, 2))
    days = _run(store, performance.rollup_days(PRODUCT))
    assert days.rows() == [(utc(2026, 3, 1), 1), (utc(2026, 3, 2), 3)]
    db = _run(store, performance.rollup_percentiles(PRODUCT, DAY, metric="db", by="period"))
    assert db["requests"].to_list() == [2]  # the request without dbMs is not in its percentiles
    latency = _run(
        store, performance.rollup_percentiles(PRODUCT, DAY, metric="latency", by="period")
    )
    assert latency["p99"][0] == pytest.approx(_middle(500))


def test_a_minute_is_down_from_half_5xx_and_five_requests(store: Store) -> None:
    docs = []

    def minute(m: int, ok: int, failed: int) -> None:
        for i in range(ok + failed):
            status = 500 if i < failed else 200
            docs.append(request(utc(2026, 3, 2, 10, m, i), 5.0, status=status))

    minute(0, ok=3, failed=3)  # exactly 50 % of 6: down
    minute(1, ok=0, failed=4)  # 100 % but only 4 requests: up
    minute(2, ok=3, failed=2)  # 40 %: up
    minute(3, ok=2, failed=3)  # 60 % of 5: down
    store.insert_many("api_requests", docs)
    out = _run(store, performance.down_minutes(PRODUCT, DAY))
    assert out.rows() == [(utc(2026, 3, 2, 10, 0), 6, 3), (utc(2026, 3, 2, 10, 3), 5, 3)]


def test_error_hours_rank_by_5xx_rate_among_busy_hours(store: Store) -> None:
    docs = [request(utc(2026, 3, 2, 8, i), 5.0, status=503 if i < 10 else 200) for i in range(20)]
    docs += [request(utc(2026, 3, 2, 9, i), 5.0, status=500 if i < 2 else 200) for i in range(40)]
    docs += [request(utc(2026, 3, 2, 10, i), 5.0, status=500) for i in range(5)]  # too few
    store.insert_many("api_requests", docs)
    out = _run(store, performance.error_hours(PRODUCT, DAY))
    assert out.rows() == [(utc(2026, 3, 2, 8), 20, 10, 0.5), (utc(2026, 3, 2, 9), 40, 2, 0.05)]


def test_one_route_is_matched_as_a_literal(store: Store) -> None:
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 2, 9), 10.0),
            request(utc(2026, 3, 2, 9), 99.0, method="POST"),
            request(utc(2026, 3, 2, 9), 77.0, route="/api/budgets"),
        ],
    )
    query = performance.route_latency_over_time(
        PRODUCT, DAY, unit="hour", method="GET", route="/api/expenses"
    )
    assert query.pipeline[0]["$match"]["route"] == {"$eq": "/api/expenses"}
    assert _run(store, query).select("requests", "p95").rows() == [(1, 10.0)]
    odd = performance.route_latency_over_time(PRODUCT, DAY, unit="hour", method="GET", route="$gt")
    assert _run(store, odd).height == 0


def test_an_empty_period_gives_empty_frames_with_their_columns(store: Store) -> None:
    store.insert_many("api_requests", [request(utc(2026, 1, 1), 10.0)])
    for query in _all_queries(PRODUCT):
        out = _run(store, query)
        assert out.height == 0, query.name
        assert out.schema == pl.Schema(query.schema), query.name
