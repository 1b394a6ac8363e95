"""Cache benchmark: hit latency, queries saved on a repeated view, cost of a dead or hung Redis.

    python bench/cache.py [--redis redis://127.0.0.1:6379/15] [--runs 2000]

Each figure is the median and p95 over ``--runs`` calls, next to a baseline measured in the same run
(computing the frame from the embedded store without a cache). Results go in docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
import threading
import uuid
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stats import HEADER, measure
from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.memory import MemoryCache
from dashboard.cache.redis_cache import RedisCache
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner
from dashboard.store import connect
from queries.base import Query


def _store_with_expenses(n: int) -> object:
    rng = np.random.default_rng(7)
    store = connect("memory://")
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    days = rng.integers(0, 365, n)
    cats = np.array(["Food", "Rent", "Travel", "Health", "Fun"])[rng.integers(0, 5, n)]
    amounts = np.round(rng.lognormal(3, 1, n), 2)
    docs = [
        {"category": str(c), "amount": float(a), "date": start + dt.timedelta(days=int(d))}
        for c, a, d in zip(cats, amounts, days, strict=True)
    ]
    store.insert_many("expenses", docs)
    return store


def _daily_query(category: str) -> Query:
    """A 365-row daily series for one category: roughly a dashboard chart's frame."""
    return Query(
        name="bench.daily",
        collection="expenses",
        pipeline=[
            {"$match": {"category": category}},
            {"$group": {"_id": "$date", "total": {"$sum": "$amount"}, "n": {"$sum": 1}}},
            {"$sort": {"_id": 1}},
        ],
    )


def _hung_server() -> int:
    """A TCP server on loopback that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            conn, _ = server.accept()
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return server.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()

    thousand = pl.DataFrame(
        {
            "day": pl.datetime_range(
                dt.datetime(2023, 1, 1), dt.datetime(2025, 9, 26), "1d", eager=True, time_zone="UTC"
            ),
            "category": ["Food", "Rent", "Travel", "Health"] * 250,
            "total": np.round(np.random.default_rng(1).lognormal(3, 1, 1000), 2),
        }
    )
    assert thousand.height == 1000
    store = _store_with_expenses(100_000)
    settings = Settings()
    prefix = f"bench:{uuid.uuid4().hex[:6]}:"
    redis_cache = RedisCache(args.redis, prefix=prefix)
    memory = MemoryCache()
    redis_cache.get_or_compute("thousand", lambda: thousand, ttl=600)
    memory.get_or_compute("thousand", lambda: thousand, ttl=600)

    query = _daily_query("Food")
    baseline = measure(
        "store query, no cache (baseline)",
        lambda: store.aggregate_frame(query.collection, query.pipeline),
        runs=max(50, args.runs // 20),
    )
    redis_hit = measure(
        "Redis hit, 1,000-row frame",
        lambda: redis_cache.get_or_compute("thousand", lambda: thousand, ttl=600),
        runs=args.runs,
    )
    memory_hit = measure(
        "in-process hit, 1,000-row frame",
        lambda: memory.get_or_compute("thousand", lambda: thousand, ttl=600),
        runs=args.runs,
    )

    # A repeated dashboard view: five queries; the second view must send none to the store.
    view = [_daily_query(c) for c in ("Food", "Rent", "Travel", "Health", "Fun")]
    before = len(store.timings)
    for q in view:
        Runner(store=store, cache=redis_cache, settings=settings).run(q)
    first_view = len(store.timings) - before
    for q in view:
        Runner(store=store, cache=redis_cache, settings=settings).run(q)
    second_view = len(store.timings) - before - first_view

    # A dead Redis (closed port) and a hung one (accepts, never answers), after the breaker opens.
    compute = lambda: thousand  # noqa: E731
    no_cache = measure("compute only (baseline for outages)", compute, runs=args.runs)
    dead = RedisCache("redis://127.0.0.1:1/0", breaker=CircuitBreaker("dead", threshold=3))
    hung_port = _hung_server()
    hung = RedisCache(
        f"redis://127.0.0.1:{hung_port}/0", breaker=CircuitBreaker("hung", threshold=3)
    )
    import time

    started = time.perf_counter()
    for _ in range(3):
        hung.get_or_compute("k", compute, ttl=600)
    hung_opening_ms = (time.perf_counter() - started) * 1000
    dead_call = measure(
        "dead Redis, breaker open",
        lambda: dead.get_or_compute("k", compute, ttl=600),
        runs=args.runs,
    )
    hung_call = measure(
        "hung Redis, breaker open",
        lambda: hung.get_or_compute("k", compute, ttl=600),
        runs=args.runs,
    )

    print(HEADER)
    print(baseline.row())
    print(redis_hit.row("p95 < 1 ms", baseline))
    print(memory_hit.row("", baseline))
    print(no_cache.row())
    print(dead_call.row("< 5 ms added", no_cache))
    print(hung_call.row("< 5 ms added", no_cache))
    print()
    print(
        f"repeated view of {len(view)} queries: first view sent {first_view} queries to the store, "
        f"second view sent {second_view}"
    )
    print(
        f"hung Redis: the first 3 calls (until the breaker opens) took {hung_opening_ms:.0f} ms in all"
    )
    print(f"Redis stats: {redis_cache.stats()}")
    redis_cache._client.delete(*redis_cache._client.keys(f"{prefix}*"))


if __name__ == "__main__":
    main()
