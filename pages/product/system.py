"""System performance (product, admin): the scaling notes' targets in green/amber/red, the worst
days and hours, API latency, errors, throughput and database time from ``api_requests``, and
Spendlens' own queries, pages, cache and dependencies. Times are UTC."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from dashboard import charts
from dashboard.app.page_timings import PAGE_TIMINGS
from dashboard.app.resources import get_runner, get_settings
from dashboard.core.periods import SYSTEM_PERIODS
from dashboard.ui.filters import period_picker
from dashboard.ui.signed_in import signed_in_user
from dashboard.ui.tables import data_table
from dashboard.views import system
from dashboard.views.health import check_health

settings = get_settings()
runner = get_runner(settings)
user = signed_in_user()
now = dt.datetime.now(dt.UTC)
TARGETS = system.TARGETS
COLORS = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
STATUS = {"green": "Green", "amber": "Amber", "red": "Red"}
RULE = (
    "Green meets the target; amber misses it by at most 25 %; red misses it by more. Uptime is "
    "judged by its downtime (0.1 % of minutes allowed) and the cache by its misses (10 % of "
    "lookups allowed), so amber is 99.875–99.9 % uptime and 87.5–90 % cache hits. The cache is "
    f"judged from {system.MIN_CACHE_LOOKUPS:,} lookups on (before that: not enough data yet)."
)


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


st.title("System performance")
period = period_picker(SYSTEM_PERIODS, tz="UTC", today=now.date())
st.caption(f"{period.label()} · UTC · {system.unit_for(period)} buckets")

mark = runner.mark()
report = system.api_report(runner, user, period, now=now)
pages, stats = PAGE_TIMINGS.frame(), runner.cache.stats()
scores = system.scorecard(
    summary=report.summary,
    availability=report.availability,
    page_p95_ms=system.page_load_p95(pages),
    cache=stats,
)
for column, score in zip(st.columns(len(scores)), scores, strict=True):
    column.metric(
        f"{score.target.label} · {score.target.goal}",
        score.value,
        delta=STATUS.get(score.status, score.note.capitalize()),
        delta_color=COLORS[score.status],
        delta_arrow="off",
        help=f"{score.note.capitalize()}. {score.detail}".strip(),
        border=True,
    )
st.caption(
    f"{RULE} API and database figures: every request of the period. Page load and cache: this "
    "app process since it started."
)
if report.summary.requests == 0:
    st.info("**No API requests in this period.** Choose a longer period in the sidebar.")

st.subheader("Worst days and hours")
data_table(report.incidents, "perf_incidents")
windows = report.availability.windows
down = "; ".join(
    f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} ({minutes} min)"
    for start, end, minutes in windows.select("start", "end", "minutes").rows()
)
st.caption(
    "A minute is down when it has at least 5 requests and at least half of them are 5xx. "
    + (f"Down: {down} UTC." if down else "No down minutes in this period.")
)

st.subheader("API latency")
routes = {label: (m, r) for label, m, r in report.routes.select("label", "method", "route").rows()}
choice = st.selectbox("Route", ["All routes", *routes], key="perf_route")
if choice in routes:
    method, route = routes[choice]
    latency = system.route_latency(runner, user, period, method=method, route=route, now=now)
else:
    latency = report.traffic
st.plotly_chart(
    charts.latency_over_time(latency, target_ms=TARGETS["api_p95"].limit, title=choice),
    key="perf_latency",
)
left, right = st.columns(2)
left.markdown("**Error rate**")
left.plotly_chart(charts.error_rates(report.traffic), key="perf_errors")
right.markdown("**Throughput**")
right.plotly_chart(charts.throughput(report.traffic), key="perf_throughput")
left, right = st.columns(2)
with left:
    st.markdown("**Slowest routes** (p95)")
    data_table(
        report.routes.select("label", "requests", "p50", "p95", "p99"), "perf_routes",
        ms=("p50", "p95", "p99"), headers={"label": "Route"},
    )  # fmt: skip
right.markdown("**Database time** (p95)")
right.plotly_chart(charts.db_time(report.traffic, target_ms=TARGETS["db_p95"].limit), key="perf_db")
st.caption(
    "Percentiles of hour buckets are computed over every request; those of days, routes and the "
    "whole period come from the daily rollup (5 % bins: within about 2.5 %). "
    + runner.caption_since(mark)
)

st.subheader("Spendlens itself")
st.caption("This app process since it started: its own queries, page scripts and cache.")
left, right = st.columns(2)
left.plotly_chart(
    charts.duration_bars(
        system.query_durations(runner.store.timings.frame()), name="query", title="Query durations"
    ),
    key="perf_queries",
)
right.plotly_chart(
    charts.duration_bars(
        system.page_durations(pages),
        name="page",
        target_ms=TARGETS["page_load"].limit,
        title="Page script durations",
    ),
    key="perf_pages",
)
health = check_health(runner.store, redis_url=settings.redis_url)[1]
hit_ratio, hit_ms, miss_ms = st.columns(3)
hit_ratio.metric(
    "Cache hit ratio",
    f"{stats['hit_ratio']:.1%}" if stats["hit_ratio"] is not None else "—",
    help=f"{stats['backend']}: {stats['hits']:,} hits, {stats['misses']:,} misses",
)
for column, kind in ((hit_ms, "hit"), (miss_ms, "miss")):
    p50, p95 = stats[f"{kind}_ms_p50"], stats[f"{kind}_ms_p95"]
    column.metric(
        f"Cache {kind} latency p50 / p95",
        f"{_ms(p50)} / {_ms(p95)} ms" if p50 is not None else "—",
    )
database = "Embedded database" if settings.uses_embedded else "MongoDB"
db_col, redis_col, uptime_col = st.columns(3)
for column, label, name, ping in (
    (db_col, database, "database", "databasePingMs"),
    (redis_col, "Redis", "redis", "redisPingMs"),
):
    column.metric(
        label,
        health[name],
        delta=f"ping {health[ping]:.1f} ms" if ping in health else None,
        delta_color="off",
        delta_arrow="off",
    )
uptime_col.metric("App process up for", f"{health['uptime'] / 3600:,.1f} h")
