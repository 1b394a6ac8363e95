"""The Redis cache against a real server: round trips, TTLs, stampedes, scopes, outages."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading
import time
from collections.abc import Callable

import polars as pl
import pytest
import redis
from polars.testing import assert_frame_equal

from dashboard.cache import connect
from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.redis_cache import RedisCache

pytestmark = pytest.mark.redis


def every_dtype_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "i": pl.Series([1, None, -3], dtype=pl.Int64),
            "u": pl.Series([1, 2, 3], dtype=pl.UInt32),
            "f": [1.5, None, float("inf")],
            "s": ["Food", None, "Café ☕"],
            "b": [True, False, None],
            "d": [dt.date(2025, 1, 1), None, dt.date(2024, 2, 29)],
            "ts_utc": pl.Series(
                [
                    dt.datetime(2025, 3, 9, 10, tzinfo=dt.UTC),
                    None,
                    dt.datetime(2025, 11, 2, tzinfo=dt.UTC),
                ],
                dtype=pl.Datetime("ms", "UTC"),
            ),
            "ts_la": pl.Series(
                [dt.datetime(2025, 3, 9, 1, 30), dt.datetime(2025, 3, 9, 3, 30), None],
                dtype=pl.Datetime("us"),
            ).dt.replace_time_zone("America/Los_Angeles"),
            "cat": pl.Series(["Food", "Rent", "Food"], dtype=pl.Categorical),
            "enum": pl.Series(["low", "high", None], dtype=pl.Enum(["low", "high"])),
            "dec": pl.Series(
                [decimal.Decimal("10.25"), None, decimal.Decimal("0.10")], dtype=pl.Decimal(12, 2)
            ),
            "tags": [["a", "b"], [], None],
            "doc": [{"x": 1, "y": "a"}, None, {"x": None, "y": "c"}],
            "dur": pl.Series([dt.timedelta(days=1), None, dt.timedelta(milliseconds=5)]),
            "nothing": pl.Series([None, None, None], dtype=pl.Null),
        }
    )


def test_frames_round_trip_losslessly(make_redis_cache: Callable[..., RedisCache], counter) -> None:
    frame = every_dtype_frame()
    cache = make_redis_cache()
    compute = counter(frame)
    first = cache.fetch("every", compute, ttl=60)
    second = cache.fetch("every", compute, ttl=60)
    assert not first.from_cache
    assert second.from_cache
    assert compute.calls == 1
    assert_frame_equal(second.frame, frame, categorical_as_str=True)
    assert second.frame.schema == frame.schema


def test_hit_after_miss_and_the_result_says_when_it_was_computed(make_redis_cache, counter) -> None:
    cache = make_redis_cache()
    compute = counter()
    before = dt.datetime.now(dt.UTC)
    miss = cache.fetch("k", compute, ttl=60, scope="user:1")
    hit = cache.fetch("k", compute, ttl=60, scope="user:1")
    assert (miss.from_cache, hit.from_cache) == (False, True)
    assert hit.computed_at == miss.computed_at
    assert before - dt.timedelta(seconds=1) <= hit.computed_at <= dt.datetime.now(dt.UTC)
    assert "cached" in hit.caption
    stats = cache.stats()
    assert (stats["hits"], stats["misses"], stats["computes"]) == (1, 1, 1)
    assert stats["hit_ms_p95"] is not None


def test_stored_keys_carry_a_ttl(make_redis_cache, counter, redis_url: str) -> None:
    cache = make_redis_cache()
    cache.get_or_compute("k", counter(), ttl=120)
    client = redis.Redis.from_url(redis_url)
    keys = [k for k in client.scan_iter(match=f"{cache.prefix}val:*") if not k.endswith(b":lock")]
    assert len(keys) == 1
    pttl = client.pttl(keys[0])
    assert 120_000 < pttl <= (120 + 12) * 1000  # TTL plus the stale window (10 %)


def test_fifty_concurrent_misses_compute_once(make_redis_cache, counter) -> None:
    cache = make_redis_cache()
    compute = counter(delay=0.3)
    barrier = threading.Barrier(50)
    results = []

    def worker() -> None:
        barrier.wait()
        results.append(cache.get_or_compute("hot", compute, ttl=60))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert compute.calls == 1
    assert len(results) == 50
    for frame in results:
        assert_frame_equal(frame, compute.frame)


def test_waiters_compute_themselves_when_the_lock_holder_dies(
    make_redis_cache, counter, redis_url: str
) -> None:
    cache = make_redis_cache(lock_ms=400)
    compute = counter()
    # A dead holder: its lock exists but no value will ever come; the lock expires after 400 ms.
    full = cache._lookup(args=[cache.prefix, "global", "orphan"])[0].decode()
    redis.Redis.from_url(redis_url).set(f"{full}:lock", "dead-holder", px=400)
    started = time.monotonic()
    frame = cache.get_or_compute("orphan", compute, ttl=60)
    assert compute.calls == 1
    assert_frame_equal(frame, compute.frame)
    assert 0.3 < time.monotonic() - started < 5


def test_invalidate_affects_only_that_scope(make_redis_cache, counter) -> None:
    cache = make_redis_cache()
    a, b = counter(), counter()
    cache.get_or_compute("k", a, ttl=60, scope="user:a")
    cache.get_or_compute("k", b, ttl=60, scope="user:b")
    cache.invalidate("user:a")
    cache.get_or_compute("k", a, ttl=60, scope="user:a")
    cache.get_or_compute("k", b, ttl=60, scope="user:b")
    assert (a.calls, b.calls) == (2, 1)


def test_invalidation_is_seen_by_every_replica_at_once(make_redis_cache, counter) -> None:
    replica_1, replica_2 = make_redis_cache(), make_redis_cache()
    compute = counter()
    replica_1.get_or_compute("k", compute, ttl=60, scope="global")
    assert replica_2.fetch("k", compute, ttl=60).from_cache
    replica_2.invalidate("global")
    assert not replica_1.fetch("k", compute, ttl=60).from_cache
    replica_1.invalidate_all()
    assert not replica_2.fetch("k", compute, ttl=60).from_cache
    assert compute.calls == 3


def test_stale_entry_is_served_while_it_is_recomputed(make_redis_cache, counter) -> None:
    cache = make_redis_cache()
    old = counter(pl.DataFrame({"v": [1]}))
    cache.get_or_compute("k", old, ttl=0.2)
    time.sleep(0.3)
    new = counter(pl.DataFrame({"v": [2]}))
    stale = cache.fetch("k", new, ttl=60)  # staleness comes from the stored entry
    assert stale.from_cache and stale.stale
    assert stale.frame["v"].to_list() == [1]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        fresh = cache.fetch("k", new, ttl=60)
        if fresh.frame["v"].to_list() == [2]:
            break
        time.sleep(0.05)
    assert fresh.frame["v"].to_list() == [2]
    assert new.calls == 1


def test_values_over_the_size_limit_are_not_cached(make_redis_cache, counter) -> None:
    cache = make_redis_cache(max_value_bytes=2_000)
    big = counter(pl.DataFrame({"x": list(range(50_000))}))
    cache.get_or_compute("big", big, ttl=60)
    cache.get_or_compute("big", big, ttl=60)
    assert big.calls == 2
    assert cache.stats()["oversize"] == 2


def test_a_closed_port_costs_milliseconds_and_is_logged_once(counter, caplog) -> None:
    cache = RedisCache("redis://127.0.0.1:1/0", breaker=CircuitBreaker("dead Redis", threshold=2))
    compute = counter()
    with caplog.at_level("WARNING", logger="spendlens.cache"):
        started = time.perf_counter()
        for _ in range(50):
            assert_frame_equal(cache.get_or_compute("k", compute, ttl=60), compute.frame)
        elapsed = time.perf_counter() - started
    assert compute.calls == 50
    assert cache.stats()["breaker"] == "open"
    assert cache.stats()["errors"] == 2
    assert len([r for r in caplog.records if "unavailable" in r.message]) == 1
    assert elapsed < 5  # generous: the measured figure is in docs/performance.md


def test_caching_resumes_after_redis_restarts(spare_redis, fast_breaker, counter) -> None:
    url = spare_redis("start")
    cache = RedisCache(url, breaker=fast_breaker)
    compute = counter()
    cache.get_or_compute("k", compute, ttl=60)
    assert cache.fetch("k", compute, ttl=60).from_cache
    spare_redis("stop")
    for _ in range(5):
        assert not cache.fetch("k", compute, ttl=60).from_cache
    assert cache.stats()["breaker"] in ("open", "half-open")
    spare_redis("start")
    deadline = time.monotonic() + 10
    cached = False
    while time.monotonic() < deadline and not cached:
        cache.get_or_compute("k2", compute, ttl=60)
        cached = cache.fetch("k2", compute, ttl=60).from_cache
        time.sleep(0.05)
    assert cached
    assert cache.stats()["breaker"] == "closed"
    cache.close()


def test_connect_picks_the_backend() -> None:
    assert connect(None).description == "in-process cache"
    assert connect("redis://127.0.0.1:6379/0").description.startswith("Redis at")
    with pytest.raises(ValueError, match="unsupported cache URL"):
        connect("memcached://x")


def test_a_hung_redis_opens_the_breaker_on_its_first_timeout(counter) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    cache = RedisCache(f"redis://127.0.0.1:{server.getsockname()[1]}/0", socket_timeout_s=0.1)
    compute = counter()
    for _ in range(5):
        assert_frame_equal(cache.get_or_compute("k", compute, ttl=60), compute.frame)
    assert cache.stats()["breaker"] == "open"
    assert cache.stats()["errors"] == 1
    server.close()


def test_concurrent_invalidations_reach_a_healthy_redis_before_they_return(
    make_redis_cache, counter
) -> None:
    writer, other = make_redis_cache(), make_redis_cache()
    scopes = [f"user:{n}" for n in range(20)]
    computes = {scope: counter() for scope in scopes}
    for scope in scopes:
        other.get_or_compute("k", computes[scope], ttl=60, scope=scope)
    barrier = threading.Barrier(len(scopes))

    def save(scope: str) -> None:
        barrier.wait()
        writer.invalidate(scope)

    threads = [threading.Thread(target=save, args=(scope,)) for scope in scopes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.stats()["pending_invalidations"] == 0
    for scope in scopes:  # every other replica misses at once: no wait for a background retry
        assert not other.fetch("k", computes[scope], ttl=60, scope=scope).from_cache
