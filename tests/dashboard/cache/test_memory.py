"""The in-process cache: same semantics as Redis, bounded by bytes."""

from __future__ import annotations

import threading
import time

import polars as pl
from polars.testing import assert_frame_equal

from dashboard.cache.memory import MemoryCache


def test_hit_after_miss(counter) -> None:
    cache = MemoryCache()
    compute = counter()
    assert not cache.fetch("k", compute, ttl=60).from_cache
    hit = cache.fetch("k", compute, ttl=60)
    assert hit.from_cache
    assert_frame_equal(hit.frame, compute.frame)
    assert compute.calls == 1


def test_fifty_concurrent_misses_compute_once(counter) -> None:
    cache = MemoryCache()
    compute = counter(delay=0.2)
    barrier = threading.Barrier(50)

    def worker() -> None:
        barrier.wait()
        cache.get_or_compute("hot", compute, ttl=60)

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert compute.calls == 1


def test_invalidate_affects_only_that_scope(counter) -> None:
    cache = MemoryCache()
    a, b = counter(), counter()
    for _ in range(2):
        cache.get_or_compute("k", a, ttl=60, scope="user:a")
        cache.get_or_compute("k", b, ttl=60, scope="user:b")
    cache.invalidate("user:a")
    cache.get_or_compute("k", a, ttl=60, scope="user:a")
    cache.get_or_compute("k", b, ttl=60, scope="user:b")
    assert (a.calls, b.calls) == (2, 1)
    cache.invalidate_all()
    cache.get_or_compute("k", b, ttl=60, scope="user:b")
    assert b.calls == 2


def test_expired_entries_are_served_stale_then_refreshed(counter) -> None:
    cache = MemoryCache()
    cache.get_or_compute("k", counter(pl.DataFrame({"v": [1]})), ttl=0.1)
    time.sleep(0.15)
    new = counter(pl.DataFrame({"v": [2]}))
    stale = cache.fetch("k", new, ttl=60)  # staleness comes from the stored entry
    assert stale.stale
    assert stale.frame["v"].to_list() == [1]
    deadline = time.monotonic() + 5
    while new.calls == 0 or cache.fetch("k", new, ttl=60).frame["v"].to_list() != [2]:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_total_size_stays_under_the_byte_bound_evicting_least_recently_used(counter) -> None:
    frame = pl.DataFrame({"x": list(range(10_000))})  # 80 kB of Int64
    size = frame.estimated_size()
    cache = MemoryCache(max_bytes=int(size * 3.5))
    computes = {name: counter(frame) for name in "abcde"}
    for name in "abc":
        cache.get_or_compute(name, computes[name], ttl=60)
    cache.get_or_compute("a", computes["a"], ttl=60)  # "a" is now the most recently used
    cache.get_or_compute("d", computes["d"], ttl=60)  # evicts "b", the least recently used
    assert cache.size_bytes <= cache.max_bytes
    assert cache.stats()["entries"] == 3
    cache.get_or_compute("a", computes["a"], ttl=60)
    cache.get_or_compute("b", computes["b"], ttl=60)
    assert computes["a"].calls == 1
    assert computes["b"].calls == 2


def test_values_over_the_size_limit_are_not_cached(counter) -> None:
    cache = MemoryCache(max_value_bytes=100)
    compute = counter(pl.DataFrame({"x": list(range(1000))}))
    cache.get_or_compute("big", compute, ttl=60)
    cache.get_or_compute("big", compute, ttl=60)
    assert compute.calls == 2
    assert cache.stats()["oversize"] == 2


def test_zero_ttl_never_caches(counter) -> None:
    cache = MemoryCache()
    compute = counter()
    cache.get_or_compute("k", compute, ttl=0)
    cache.get_or_compute("k", compute, ttl=0)
    assert compute.calls == 2
