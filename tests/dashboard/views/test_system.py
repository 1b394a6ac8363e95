"""dashboard/views/system.py and the page timings buffer on hand-built data: throughput and rates
per bucket, availability from 5xx minutes, the incidents table, the scorecard's colours at their
boundaries, Spendlens' own query and page durations, and the page timing buffer."""

from __future__ import annotations

import datetime as dt
import threading

import polars as pl
import pytest

from dashboard.app.page_timings import PageTiming, PageTimings
from dashboard.core.periods import SYSTEM_PERIODS, Period
from dashboard.data.runner import Runner
from dashboard.store.timings import CommandTiming, CommandTimings
from dashboard.views import system as perf
from tests.factories import PRODUCT, request, utc

MINUTE = pl.Datetime("ms", "UTC")
DAY = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 2), "UTC")
DAY_8 = Period(dt.date(2026, 3, 8), dt.date(2026, 3, 8), "UTC")


def _minutes(*moments: dt.datetime) -> pl.DataFrame:
    n = len(moments)
    return pl.DataFrame(
        {"minute": list(moments), "requests": [10] * n, "errors_5xx": [6] * n},
        schema={"minute": MINUTE, "requests": pl.Int64, "errors_5xx": pl.Int64},
    )


# -- periods -------------------------------------------------------------------------------------


def test_short_periods_use_hour_buckets() -> None:
    today = dt.date(2026, 11, 28)
    three = SYSTEM_PERIODS.period_for("last-3-days", today=today, tz="UTC")
    week = SYSTEM_PERIODS.period_for("last-7-days", today=today, tz="UTC")
    assert (perf.unit_for(three), perf.unit_for(week)) == ("hour", "day")


# -- traffic, availability, incidents ------------------------------------------------------------


def test_traffic_fills_buckets_and_averages_requests_per_elapsed_minute() -> None:
    frame = pl.DataFrame(
        {
            "bucket": [utc(2026, 3, 2, 8), utc(2026, 3, 2, 10)],
            "requests": [120, 30],
            "p50": [10.0, 20.0],
            "p95": [150.0, 250.0],
            "p99": [300.0, 400.0],
            "db_p95": [50.0, 10.0],
            "errors_4xx": [12, 0],
            "errors_5xx": [6, 3],
        },
        schema_overrides={"bucket": MINUTE},
    )
    now = utc(2026, 3, 2, 10, 30)  # half of the 10:00 bucket has passed
    out = perf.shape_traffic(
        frame, period=DAY, unit="hour", now=now, down=_minutes(utc(2026, 3, 2, 10, 5))
    )
    assert out["bucket"].to_list() == [utc(2026, 3, 2, h) for h in range(11)]
    by_hour = {row["bucket"].hour: row for row in out.iter_rows(named=True)}
    assert by_hour[8]["rpm"] == 2.0  # 120 requests in 60 minutes
    assert by_hour[10]["rpm"] == 1.0  # 30 requests in the 30 minutes so far
    assert by_hour[9]["requests"] == 0 and by_hour[9]["rpm"] == 0.0
    assert by_hour[9]["p95"] is None and by_hour[9]["rate_5xx"] is None
    assert (by_hour[8]["rate_4xx"], by_hour[8]["rate_5xx"]) == (0.1, 0.05)
    assert (by_hour[8]["breach"], by_hour[10]["breach"]) == (False, True)  # 200 ms target
    assert (by_hour[8]["db_breach"], by_hour[10]["db_breach"]) == (False, False)  # 50 is not > 50
    assert [by_hour[h]["down_minutes"] for h in (8, 10)] == [0, 1]


def test_availability_counts_minutes_up_to_now_and_merges_down_windows() -> None:
    down = _minutes(
        utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 10, 1), utc(2026, 3, 2, 10, 2), utc(2026, 3, 2, 11)
    )
    whole = perf.availability_from(down, period=DAY, now=utc(2026, 3, 9), requests=500)
    assert (whole.minutes, whole.down_minutes) == (1440, 4)
    assert whole.ratio == pytest.approx(1 - 4 / 1440)
    assert whole.windows.select("start", "end", "minutes", "requests").rows() == [
        (utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 10, 3), 3, 30),
        (utc(2026, 3, 2, 11, 0), utc(2026, 3, 2, 11, 1), 1, 10),
    ]
    so_far = perf.availability_from(down, period=DAY, now=utc(2026, 3, 2, 12), requests=500)
    assert so_far.minutes == 720 and so_far.downtime == pytest.approx(4 / 720)


def test_an_empty_period_has_no_availability_figure() -> None:
    nothing = _minutes()
    empty = perf.availability_from(nothing, period=DAY, now=utc(2026, 3, 9), requests=0)
    assert (empty.minutes, empty.down_minutes, empty.ratio) == (1440, 0, None)
    future = perf.availability_from(nothing, period=DAY, now=utc(2026, 3, 1), requests=0)
    assert (future.minutes, future.ratio) == (0, None)


def test_incidents_list_the_slowest_days_and_the_worst_5xx_hours() -> None:
    days = pl.DataFrame(
        {
            "bucket": [utc(2026, 3, d) for d in (1, 2, 3, 4, 5)],
            "requests": [100, 100, 50, 0, 100],
            "p95": [120.0, 900.0, 150.0, None, 130.0],
            "errors_5xx": [0, 1, 0, 0, 20],
        },
        schema_overrides={"bucket": MINUTE},
    )
    hours = pl.DataFrame(
        {"hour": [utc(2026, 3, 5, 14)], "requests": [40], "errors_5xx": [20], "rate_5xx": [0.5]},
        schema_overrides={"hour": MINUTE},
    )
    down = _minutes(utc(2026, 3, 5, 14, 10), utc(2026, 3, 5, 14, 11))
    out = perf.incident_table(days, hours, down, top=2)
    assert out.select("incident", "start", "p95_ms", "rate_5xx", "down_minutes").rows() == [
        ("Slowest day (p95)", utc(2026, 3, 2), 900.0, 0.01, 0),
        ("Slowest day (p95)", utc(2026, 3, 3), 150.0, 0.0, 0),
        ("Highest 5xx rate (hour)", utc(2026, 3, 5, 14), None, 0.5, 2),
    ]


def test_api_report_finds_a_slow_day_and_an_error_burst(runner: Runner) -> None:
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 7), "UTC")
    docs = [request(utc(2026, 3, d, 12, m), 20.0 + m) for d in range(1, 8) for m in range(30)]
    docs += [request(utc(2026, 3, 4, 9, m), 600.0 + m) for m in range(30)]  # the slow day
    for m in range(10):  # 10:00–10:09 on the 6th: 6 requests a minute, 4 of them 503
        docs += [request(utc(2026, 3, 6, 10, m, s), 3.0, status=503 if s < 4 else 200) for s in range(6)]  # fmt: skip
    runner.store.insert_many("api_requests", docs)
    report = perf.api_report(runner, PRODUCT, period, now=utc(2026, 3, 8))
    assert report.unit == "day" and report.traffic.height == 7
    assert report.summary.requests == 7 * 30 + 30 + 60
    assert report.summary.errors_5xx == 40
    assert report.availability.down_minutes == 10
    assert report.availability.ratio == pytest.approx(1 - 10 / (7 * 1440))
    slow = report.incidents.filter(pl.col("incident").str.starts_with("Slowest"))
    assert slow["start"][0] == utc(2026, 3, 4)
    errors = report.incidents.filter(pl.col("incident").str.starts_with("Highest"))
    assert errors.select("start", "requests", "down_minutes").rows() == [
        (utc(2026, 3, 6, 10), 60, 10)
    ]
    assert report.traffic.filter(pl.col("down_minutes") > 0)["bucket"].to_list() == [
        utc(2026, 3, 6)
    ]
    route = perf.route_latency(
        runner, PRODUCT, period, method="GET", route="/api/expenses", now=utc(2026, 3, 8)
    )
    assert route.filter(pl.col("breach"))["bucket"].to_list() == [utc(2026, 3, 4)]


# -- the scorecard -------------------------------------------------------------------------------


def _scores(
    *,
    p95: float | None = 100.0,
    db: float | None = 10.0,
    down: tuple[int, int] = (0, 1000),
    page: float | None = 500.0,
    cache: tuple[int, int] = (9, 1),
) -> dict[str, perf.Score]:
    empty = _minutes()
    availability = perf.Availability(down[1], down[0], 1 if down[1] else 0, empty)
    summary = perf.ApiSummary(10, p95, db, 0, 0)
    scores = perf.scorecard(
        summary=summary,
        availability=availability,
        page_p95_ms=page,
        cache={"hits": cache[0], "misses": cache[1]},
    )
    return {s.key: s for s in scores}


@pytest.mark.parametrize(
    ("p95", "status"),
    [(199.99, "green"), (200.0, "amber"), (250.0, "amber"), (250.01, "red")],
)
def test_api_p95_colours_at_the_boundaries(p95: float, status: str) -> None:
    assert _scores(p95=p95)["api_p95"].status == status


@pytest.mark.parametrize(
    ("ms", "status"), [(49.9, "green"), (50.0, "amber"), (62.5, "amber"), (62.6, "red")]
)
def test_db_p95_colours_at_the_boundaries(ms: float, status: str) -> None:
    assert _scores(db=ms)["db_p95"].status == status


@pytest.mark.parametrize(
    ("ms", "status"), [(1999.0, "green"), (2000.0, "amber"), (2500.0, "amber"), (2501.0, "red")]
)
def test_page_load_colours_at_the_boundaries(ms: float, status: str) -> None:
    assert _scores(page=ms)["page_load"].status == status


@pytest.mark.parametrize(
    ("down", "status", "value"),
    [
        ((1, 1000), "green", "99.9%"),  # exactly 99.9 % meets "≥ 99.9 %"
        ((5, 4000), "amber", "99.875%"),  # downtime 0.125 % = 25 % over the 0.1 % allowed
        ((6, 4000), "red", "99.85%"),
        ((0, 4000), "green", "100%"),  # no trailing zeros: the value fits its tile
        ((0, 0), "none", "—"),
    ],
)
def test_uptime_colours_at_the_boundaries(down: tuple[int, int], status: str, value: str) -> None:
    score = _scores(down=down)["uptime"]
    assert (score.status, score.value) == (status, value)


@pytest.mark.parametrize(
    ("cache", "status", "value"),
    [
        ((900, 100), "green", "90.0%"),
        ((875, 125), "amber", "87.5%"),  # misses 12.5 % = 25 % over the 10 % allowed
        ((874, 126), "red", "87.4%"),
        ((0, 0), "none", "—"),
    ],
)
def test_cache_colours_at_the_boundaries(cache: tuple[int, int], status: str, value: str) -> None:
    score = _scores(cache=cache)["cache"]
    assert (score.status, score.value) == (status, value)


def test_a_cold_cache_is_not_judged_until_it_has_enough_lookups() -> None:
    # Just after a restart: 56 % hits over 150 lookups would read "Red · 340% over the limit".
    score = _scores(cache=(84, 66))["cache"]
    assert (score.status, score.value, score.note) == ("none", "56.0%", "not enough data yet")
    assert "150 cache lookups" in score.detail
    assert perf.MIN_CACHE_LOOKUPS == 200
    warm = _scores(cache=(112, 88))["cache"]  # 200 lookups: judged, 44 % misses
    assert (warm.status, warm.note) == ("red", "340% over the limit")


def test_scorecard_shows_values_and_what_a_miss_means() -> None:
    scores = _scores(p95=230.0, page=None)
    assert [s.target.goal for s in scores.values()] == [
        "< 200 ms",
        "< 50 ms",
        "≥ 99.9 %",
        "< 2 s",
        "≥ 90 %",
    ]
    assert (scores["api_p95"].value, scores["api_p95"].note) == ("230 ms", "15% over the limit")
    assert (scores["page_load"].value, scores["page_load"].status) == ("—", "none")
    assert scores["db_p95"].note == "meets the target"


# -- Spendlens itself: query and page durations, the page timing buffer -------------------------


def test_query_durations_per_name_with_discrete_percentiles() -> None:
    at = utc(2026, 3, 2)
    buffer = CommandTimings()
    for ms in (1.0, 2.0, 3.0, 4.0):
        buffer.record(CommandTiming(at, "aggregate", "api_requests", "performance.x", ms, "ok"))
    buffer.record(CommandTiming(at, "find", "users", None, 7.0, "ok"))
    buffer.record(CommandTiming(at, "find", "users", None, 9.0, "OperationFailure"))
    out = perf.query_durations(buffer.frame())
    # 4 values: p50 = 2nd smallest, p95 = 4th; 2 values: p50 = 1st, p95 = 2nd.
    assert out.rows() == [("find users", 2, 7.0, 9.0, 1), ("performance.x", 4, 2.0, 4.0, 0)]


def test_page_timing_buffer_records_outcomes_and_summarises_pages() -> None:
    buffer = PageTimings()
    with buffer.measure("Home"):
        pass
    with pytest.raises(KeyError), buffer.measure("Home"):
        raise KeyError("boom")

    class StopException(BaseException):  # st.stop()'s exception has this name
        pass

    with pytest.raises(StopException), buffer.measure("Overview"):
        raise StopException
    assert buffer.frame().select("page", "outcome").rows() == [
        ("Home", "ok"),
        ("Home", "KeyError"),
        ("Overview", "stopped"),
    ]
    assert buffer.frame().schema["duration_ms"] == pl.Float64
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    fixed = PageTimings()
    for page, ms in (("A", 100.0), ("A", 300.0), ("A", 2500.0), ("B", 50.0)):
        fixed.record(PageTiming(at, page, ms, "ok"))
    summary = perf.page_durations(fixed.frame())
    assert summary.select("page", "views", "p50_ms", "p95_ms", "breach").rows() == [
        ("A", 3, 300.0, 2500.0, True),
        ("B", 1, 50.0, 50.0, False),
    ]
    # All four: 50 100 300 2500 → p95 = 4th.
    assert perf.page_load_p95(fixed.frame()) == 2500.0
    assert perf.page_load_p95(PageTimings().frame()) is None


def test_page_timing_buffer_is_bounded_and_thread_safe() -> None:
    buffer = PageTimings(maxlen=500)
    at = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)

    def work(worker: int) -> None:
        for i in range(200):
            buffer.record(PageTiming(at, f"p{worker}", float(i), "ok"))

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(buffer) == buffer.maxlen == 500
    frame = buffer.frame()
    assert frame.height == 500
    assert frame.group_by("page").len()["len"].sum() == 500
