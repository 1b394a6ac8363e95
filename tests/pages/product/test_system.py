"""The System performance page through app.py: product and admin see the scorecard, the charts and
the seeded slow day and error burst (checked against plain Python over the raw request log); a
plain user cannot reach it."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.page_timings import PAGE_TIMINGS
from dashboard.store import Store
from dashboard.views import system
from tests.apptest import login_as, open_url_path

SCRIPT = "pages/product/system.py"
GOALS = [
    "API p95 · < 200 ms",
    "DB p95 · < 50 ms",
    "Uptime · ≥ 99.9 %",
    "Page load p95 · < 2 s",
    "Cache hits · ≥ 90 %",
]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def _when(text: str) -> dt.datetime:
    """A table cell ("01 Nov 2026 14:00", or "01 Nov 2026" for a midnight) as a UTC moment."""
    form = "%d %b %Y %H:%M" if ":" in text else "%d %b %Y"
    return dt.datetime.strptime(text, form).replace(tzinfo=dt.UTC)


@pytest.fixture
def product_app(new_app) -> AppTest:
    at = login_as(new_app, "product")
    return at.switch_page(SCRIPT).run()


@pytest.mark.parametrize("role", ["product", "admin"])
def test_the_page_shows_the_scorecard_and_its_charts(new_app, role: str) -> None:
    at = login_as(new_app, role).switch_page(SCRIPT).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "System performance"
    labels = [m.label for m in at.metric]
    assert labels[:5] == GOALS
    for metric in at.metric[:5]:
        assert metric.value != "", metric.label
    assert any("amber misses it by at most 25 %" in c.value for c in at.caption)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(charts) == 6  # latency, errors, throughput, DB time, queries, pages
    latency = charts[0]
    assert {t.get("name") for t in latency["data"]} >= {"p50", "p95", "p99"}


def test_the_seeded_slow_day_and_error_burst_are_listed(
    product_app: AppTest, app_store: Store
) -> None:
    at = product_app
    requests = app_store.find("api_requests", {})
    by_day: dict[dt.date, list[float]] = defaultdict(list)
    by_hour: dict[dt.datetime, list[int]] = defaultdict(list)
    for r in requests:
        by_day[r["ts"].date()].append(r["latencyMs"])
        by_hour[r["ts"].replace(minute=0, second=0, microsecond=0)].append(r["status"])
    slow_day = max(by_day, key=lambda d: _p95(by_day[d]))
    busy = {h: s for h, s in by_hour.items() if len(s) >= 20 and any(x >= 500 for x in s)}
    burst = max(busy, key=lambda h: sum(x >= 500 for x in busy[h]) / len(busy[h]))

    table = at.dataframe[0].value  # cells as people read them: "01 Nov 2026", "230.0 ms", "62.5%"
    assert list(table.columns) == [
        "Incident", "Start", "End", "Requests", "p95", "5xx rate", "Down minutes"
    ]  # fmt: skip
    assert "None" not in set(table.to_numpy().ravel().astype(str))
    slow = table[table["Incident"] == "Slowest day (p95)"]
    assert _when(slow["Start"].iloc[0]).date() == slow_day
    exact = _p95(by_day[slow_day])
    shown_ms = float(slow["p95"].iloc[0].removesuffix(" ms").replace(",", ""))
    assert abs(shown_ms - exact) <= 0.025 * (exact + 1)  # the rollup's 5 % bins
    errors = table[table["Incident"] == "Highest 5xx rate (hour)"]
    assert _when(errors["Start"].iloc[0]) == burst
    assert errors["p95"].iloc[0] == "—"
    assert float(errors["5xx rate"].iloc[0].removesuffix("%")) > 50
    # ... and the latency chart marks the slow day as a breach of the 200 ms target.
    latency = json.loads(at.get("plotly_chart")[0].proto.spec)
    (marks,) = [t for t in latency["data"] if t.get("name") == "p95 over target"]
    assert any(x.startswith(slow_day.isoformat()) for x in marks["x"])


def test_scorecard_badges_are_short_and_a_cold_cache_is_not_judged(new_app, monkeypatch) -> None:
    # The app process is shared by the tests: its cache may have any number of lookups, so the
    # threshold is raised above any count a test run reaches to make the cache "cold".
    monkeypatch.setattr(system, "MIN_CACHE_LOOKUPS", 10**9)
    at = login_as(new_app, "product").switch_page(SCRIPT).run()
    cache = at.metric[4]
    assert cache.proto.delta == "Not enough data yet"
    assert "judged from 1,000,000,000" in cache.proto.help
    for metric in at.metric[:5]:
        assert metric.proto.delta in {"Green", "Amber", "Red", "No data yet", "Not enough data yet"}


def test_every_page_view_is_timed_by_the_shell(product_app: AppTest) -> None:
    last = PAGE_TIMINGS.snapshot()[-1]
    assert (last.page, last.outcome) == ("System performance", "ok")
    assert last.duration_ms > 0


def test_one_route_and_an_empty_short_period(product_app: AppTest) -> None:
    at = product_app
    at.selectbox(key="perf_route").set_value("POST /api/expenses").run()
    assert not at.exception
    latency = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert latency["layout"]["title"]["text"] == "POST /api/expenses"
    at.selectbox(key="perf_period").set_value("last-3-days").run()  # the seeded data is older
    assert not at.exception
    assert "No API requests in this period" in at.info[0].value
    assert at.metric[0].value == "—"


def test_a_link_with_an_unknown_period_says_so(new_app) -> None:
    at = login_as(new_app, "product").switch_page(SCRIPT)
    at.query_params["perf_period"] = "Last 90 days"  # what the bound selectbox writes: its label
    at.run()
    assert not at.exception
    assert not at.warning
    at.query_params["perf_period"] = "forever"
    at.run()
    assert "“forever” is not one this page knows" in at.warning[0].value


def test_a_plain_user_cannot_reach_the_page(new_app) -> None:
    at = login_as(new_app, "user")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(SCRIPT)
    open_url_path(at, "system-performance")
    assert not at.exception
    assert "You don't have access to this page" in at.error[0].value
    assert "product role" in at.error[0].value
    assert not at.metric
