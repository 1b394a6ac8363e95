"""The product pages (Usage, System performance) on 5,000,000 API requests, cold and warm cache.

    python bench/product_pages.py [--data DIR] [--quick] [--json out.json]

Data: an embedded store in ``--data`` (default ``/tmp/spendlens-bench-product/data``), seeded with
the demo data set only when it holds no users (``python -m dashboard seed --users 11420 --months
12``: about 5,000,000 API requests, the production indexes and both daily rollups; about 2.5
minutes), so later runs reuse it. ``--quick`` seeds its own directory with 1,150 users (about
500,000 requests) and makes fewer runs, to check the script.

Method: ``AppTest.from_file("app.py")`` logs in as ``demo-product`` through the form, then runs each
page with ``at.switch_page(page).run()`` at two periods (the default, last 12 months, and the last
90 days) chosen in the page's period selectbox. **Cold**: the process-wide result cache is emptied
with ``invalidate_all()`` before every run, so every query reaches the store (the rollups were
brought up to date just before, as a view does at most every 5 minutes); **warm**: the same run
again, every query answered by the cache. Each figure is the median and p95 (``bench/_stats.py``),
next to references measured in the same process on the same data:

- **store queries**: the run's own queries (recorded from a cold run) sent straight to the store;
- **raw-log pairs** (Usage only): the query the Usage page ran before the activity rollup, the
  distinct (day, user) pairs grouped from every request and expense of the period; the page ran
  it six times a view;
- **handwritten Polars** (Usage only, the baseline): DAU/WAU/MAU for every day of the period from
  the raw requests and expenses held in memory as one frame, with plain Polars; checked equal to
  the page's own figures before timing.

Environment variables ``MONGODB_URI`` and ``REDIS_URL`` are ignored: this measures the embedded
engine and the in-process cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._app import (  # noqa: E402
    APP,
    check_page,
    login,
    machine_info,
    machine_line,
    record_queries,
    seed_if_empty,
)
from bench._stats import Timing, measure  # noqa: E402

PAGES = {
    "usage": ("pages/product/usage.py", "Usage", "period", "last-90-days"),
    "performance": (
        "pages/product/system.py",
        "System performance",
        "perf_period",
        "last-90-days",
    ),
}
DEFAULT = "last-12-months"
COLD_TARGET_MS = 2000.0
_DAY = dt.timedelta(days=1)


@dataclass
class Result:
    page: str
    period: str
    queries: int
    cold: Timing
    warm: Timing
    store: Timing
    raw_pairs: Timing | None = None
    polars: Timing | None = None

    @property
    def meets(self) -> bool:
        return self.cold.p95_ms < COLD_TARGET_MS


# -- references -------------------------------------------------------------------------------------
def _raw_pairs_pipeline(lo: dt.datetime, hi: dt.datetime) -> list[dict[str, Any]]:
    """The Usage page's activity query before the rollup: (day, user) pairs from the raw log."""
    day = {"$dateTrunc": {"date": "$ts", "unit": "day", "timezone": "UTC"}}
    created = {"$dateTrunc": {"date": "$createdAt", "unit": "day", "timezone": "UTC"}}
    expenses = [
        {"$match": {"createdAt": {"$gte": lo, "$lt": hi}}},
        {"$group": {"_id": {"day": created, "userId": "$userId"}}},
    ]
    return [
        {"$match": {"ts": {"$gte": lo, "$lt": hi}, "userId": {"$ne": None}}},
        {"$group": {"_id": {"day": day, "userId": "$userId"}}},
        {"$unionWith": {"coll": "expenses", "pipeline": expenses}},
        {"$group": {"_id": "$_id"}},
        {"$project": {"_id": 0, "day": "$_id.day", "userId": "$_id.userId"}},
    ]


def _raw_activity(store: Any) -> pl.DataFrame:
    """Every request of a signed-in user and every expense creation: ``at, user``, in memory."""
    requests = store.aggregate_frame(
        "api_requests",
        [
            {"$match": {"userId": {"$ne": None}}},
            {"$project": {"_id": 0, "at": "$ts", "user": "$userId"}},
        ],
    )
    created = store.aggregate_frame(
        "expenses", [{"$project": {"_id": 0, "at": "$createdAt", "user": "$userId"}}]
    )
    return pl.concat([requests, created])


def handwritten_trend(raw: pl.DataFrame, start: dt.date, end: dt.date) -> pl.DataFrame:
    """DAU, WAU, MAU for every day ``start``..``end`` with plain Polars: a user counts in a
    window from an active day until the window passes or their next active day."""
    lo = dt.datetime.combine(start - 29 * _DAY, dt.time(), dt.UTC)
    hi = dt.datetime.combine(end + _DAY, dt.time(), dt.UTC)
    pairs = (
        raw.filter(pl.col("at").is_between(lo, hi, closed="left"))
        .select(day=pl.col("at").dt.date(), user="user")
        .unique()
        .sort("user", "day")
        .with_columns(next=pl.col("day").shift(-1).over("user"))
    )
    days = pl.date_range(start, end, "1d", eager=True).alias("day").to_frame()
    dau = pairs.group_by("day").agg(dau=pl.len().cast(pl.Int64))
    out = days.join(dau, on="day", how="left").with_columns(pl.col("dau").fill_null(0))
    for name, window in (("wau", 7), ("mau", 30)):
        until = pl.min_horizontal(pl.col("day") + pl.duration(days=window), pl.col("next"))
        steps = (
            pl.concat(
                [
                    pairs.group_by("day").agg(step=pl.len().cast(pl.Int64)),
                    pairs.group_by(day=until).agg(step=-pl.len().cast(pl.Int64)),
                ]
            )
            .group_by("day")
            .agg(pl.col("step").sum())
            .sort("day")
            .select("day", pl.col("step").cum_sum().alias(name))
        )
        out = out.join_asof(steps, on="day", strategy="backward").with_columns(
            pl.col(name).fill_null(0)
        )
    return out.select("day", "dau", "wau", "mau")


# -- the run -----------------------------------------------------------------------------------------
def _choose(at: Any, key: str, value: str) -> None:
    at.selectbox(key=key).set_value(value).run()


def bench_pages(args: Any) -> tuple[list[Result], dict[str, float]]:
    from streamlit.testing.v1 import AppTest

    from dashboard.app.resources import get_cache, get_settings, get_store
    from dashboard.core.identity import AuthUser
    from dashboard.core.periods import period_for
    from dashboard.data import rollups
    from dashboard.data.runner import Runner
    from dashboard.views import usage

    at = AppTest.from_file(APP, default_timeout=600)
    form_ms, login_ms = login(at, "demo-product", "demo-product-pass")
    settings = get_settings()
    cache, store = get_cache(settings), get_store(settings)
    runner = Runner(store=store, cache=cache, settings=settings)
    product = AuthUser(id=store.find("users", {"username": "demo-product"})[0]["_id"],
                       username="demo-product", name="bench", email=None, roles=("product",))  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    raw = _raw_activity(store)
    results = []
    for page, (path, title, key, other) in PAGES.items():
        at.switch_page(path).run()  # the first run compiles the script and may start a refresh
        check_page(at, path, title)
        for preset in (DEFAULT, other):
            rollups.build_rollups(runner, product)  # up to date, as a view makes it
            _choose(at, key, preset)
            check_page(at, path, title)

            def cold(path: str = path) -> None:
                cache.invalidate_all()
                at.switch_page(path).run()

            sent = record_queries(store, cold)
            name = f"{page} · {preset}"
            cold_t = measure(f"{name} · cold", cold, runs=args.cold_runs, warmup=1)
            check_page(at, path, title)
            warm_t = measure(f"{name} · warm", lambda p=path: at.switch_page(p).run(), runs=args.warm_runs)  # fmt: skip
            check_page(at, path, title)

            def replay(sent: list = sent) -> None:
                for collection, pipeline, kw in sent:
                    store.aggregate_frame(collection, pipeline, **kw)

            store_t = measure(f"{name} · store queries ({len(sent)})", replay, runs=args.cold_runs, warmup=1)  # fmt: skip
            result = Result(page, preset, len(sent), cold_t, warm_t, store_t)
            if page == "usage":
                period = period_for(preset, today=today, tz="UTC")
                lo, hi = period.utc_bounds()
                pipeline = _raw_pairs_pipeline(lo - 29 * _DAY, hi)
                result.raw_pairs = measure(
                    f"{name} · raw-log pairs, once",
                    lambda p=pipeline: store.aggregate_frame("api_requests", p),
                    runs=3,
                    warmup=0,
                )
                mine = usage.active_users(runner, product, period).select(
                    "day", "dau", "wau", "mau"
                )
                theirs = handwritten_trend(raw, period.start, period.end)
                if not mine.equals(theirs):
                    msg = f"{name}: the page's DAU/WAU/MAU differ from handwritten Polars"
                    raise SystemExit(msg)
                result.polars = measure(
                    f"{name} · handwritten Polars",
                    lambda s=period.start, e=period.end: handwritten_trend(raw, s, e),
                    runs=args.cold_runs,
                    warmup=1,
                )
            results.append(result)
            print(
                f"  {name:<34} cold {cold_t.median_ms:7.1f} / {cold_t.p95_ms:7.1f} ms  warm "
                f"{warm_t.median_ms:6.1f} ms  store {store_t.median_ms:6.1f} ms  ({len(sent)} q)",
                flush=True,
            )
        _choose(at, key, DEFAULT)
    rollup_sizes = {r.collection: store.count_documents(r.collection, {}) for r in rollups.ROLLUPS}
    return results, {"form_ms": form_ms, "login_ms": login_ms, **rollup_sizes}


def _fmt(t: Timing | None) -> str:
    return f"{t.median_ms:,.0f} / {t.p95_ms:,.0f}" if t else ""


def report(machine: dict, sizes: dict, results: list[Result], once: dict, args: Any) -> str:
    lines = [
        machine_line(machine),
        f"Data: {args.data}: {sizes['users']:,} users, {sizes['api_requests']:,} API requests, "
        f"{sizes['expenses']:,} expenses; rollups: {once['user_activity_daily']:,} activity and "
        f"{once['api_latency_daily']:,} latency documents.",
        f"Runs: {args.cold_runs} cold, {args.warm_runs} warm per page and period. Login form "
        f"{once['form_ms']:.0f} ms, submit + home {once['login_ms']:.0f} ms (once).",
        "",
        "| page | period | queries | cold median / p95 ms | warm median / p95 ms | store queries "
        "| raw-log pairs, once | handwritten Polars (baseline) | target cold < 2 s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        lines.append(
            f"| {r.page} | {r.period} | {r.queries} | **{_fmt(r.cold)}** | {_fmt(r.warm)} | "
            f"{_fmt(r.store)} | {_fmt(r.raw_pairs)} | {_fmt(r.polars)} | "
            f"{'met' if r.meets else '**missed**'} |"
        )
    return "\n".join(lines)


def _sizes(uri: str) -> dict[str, int]:
    from dashboard.store import connect

    with connect(uri) as store:
        return {
            name: store.count_documents(name, {}) for name in ("users", "expenses", "api_requests")
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None, help="embedded store directory")
    parser.add_argument("--quick", action="store_true", help="about 500,000 requests, fewer runs")
    parser.add_argument("--cold-runs", type=int, default=None)
    parser.add_argument("--warm-runs", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also save the figures here")
    args = parser.parse_args()
    base = Path("/tmp/spendlens-bench-product")
    args.data = (args.data or base / ("quick" if args.quick else "data")).resolve()
    args.cold_runs = args.cold_runs or (3 if args.quick else 10)
    args.warm_runs = args.warm_runs or (3 if args.quick else 10)
    for name in ("MONGODB_URI", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ["SPENDLENS_DATA_DIR"] = str(args.data)
    machine = machine_info()
    uri = f"embedded://{args.data}"
    args.data.mkdir(parents=True, exist_ok=True)
    users = 1150 if args.quick else 11420
    seed_if_empty(uri, users=users, months=12, end=dt.datetime.now(dt.UTC).date())
    sizes = _sizes(uri)
    print(f"{sizes['api_requests']:,} API requests", flush=True)
    results, once = bench_pages(args)
    machine["load_after"] = os.getloadavg()
    text = report(machine, sizes, results, once, args)
    print()
    print(text)
    if args.json:
        payload = {"machine": machine, "sizes": sizes, "once": once}
        payload["results"] = [asdict(r) for r in results]
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    missed = [f"{r.page} ({r.period})" for r in results if not r.meets]
    if missed:
        print(f"\nMISSED the target: {', '.join(missed)}")


if __name__ == "__main__":
    main()
