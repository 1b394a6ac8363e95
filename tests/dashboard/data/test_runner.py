"""Queries run through the cache: a repeated view sends no query to the store."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.cache import MemoryCache
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner, ttl_for
from dashboard.store import Store
from queries.base import Query


MINE = "user:650000000000000000000001"


def _totals(category: str | None = None, *, scope: str = "global") -> Query:
    match = {"category": category} if category else {}
    return Query(
        name="test.totals",
        collection="expenses",
        pipeline=[{"$match": match}, {"$group": {"_id": None, "total": {"$sum": "$amount"}}}],
        schema={"total": pl.Float64},
        scope=scope,
    )


def test_repeated_view_sends_zero_queries_to_the_store(store: Store) -> None:
    store.insert_many(
        "expenses", [{"category": "Food", "amount": 2.5}, {"category": "Rent", "amount": 10.0}]
    )
    cache, settings = MemoryCache(), Settings()
    view = [_totals(), _totals("Food"), _totals("Rent")]
    before = len(store.timings)
    first = [Runner(store=store, cache=cache, settings=settings).run(q) for q in view]
    after_first = len(store.timings)
    second = [Runner(store=store, cache=cache, settings=settings).run(q) for q in view]
    assert after_first - before == 3
    assert len(store.timings) == after_first
    assert [r.frame["total"].to_list() for r in first] == [[12.5], [2.5], [10.0]]
    for a, b in zip(first, second, strict=True):
        assert b.from_cache
        assert_frame_equal(a.frame, b.frame)


def test_the_query_name_is_sent_as_the_comment(store: Store) -> None:
    store.insert_many("expenses", [{"amount": 1.0}])
    Runner(store=store, cache=MemoryCache(), settings=Settings()).run(_totals())
    assert store.timings.frame()["comment"].to_list()[-1] == "test.totals"


def test_invalidating_a_scope_reruns_only_its_queries(store: Store) -> None:
    store.insert_many("expenses", [{"category": "Food", "amount": 1.0}])
    cache, settings = MemoryCache(), Settings()
    mine, everyone = _totals(scope=MINE), _totals("Food")
    for q in (mine, everyone):
        Runner(store=store, cache=cache, settings=settings).run(q)
    store.insert_many("expenses", [{"category": "Food", "amount": 4.0}])
    cache.invalidate(MINE)
    assert (
        Runner(store=store, cache=cache, settings=settings).run(mine).frame["total"][0] == 5.0
    )
    stale = Runner(store=store, cache=cache, settings=settings).run(everyone)
    assert stale.from_cache
    assert stale.frame["total"][0] == 1.0


def test_ttl_families_come_from_settings() -> None:
    settings = Settings(cache_ttl_statistics=1800, cache_ttl_profile=3600, cache_ttl_recent=60)
    assert [ttl_for(settings, f) for f in ("statistics", "profile", "recent")] == [1800, 3600, 60]


def test_two_databases_never_share_an_entry() -> None:
    from dashboard.store import connect

    cache, settings = MemoryCache(), Settings()
    first, second = connect("memory://"), connect("memory://")
    first.insert_many("expenses", [{"amount": 1.0}])
    second.insert_many("expenses", [{"amount": 2.0}])
    a = Runner(store=first, cache=cache, settings=settings).run(_totals())
    b = Runner(store=second, cache=cache, settings=settings).run(_totals())
    assert (a.frame["total"][0], b.frame["total"][0]) == (1.0, 2.0)


def test_a_query_says_whose_data_it_reads() -> None:
    with pytest.raises(TypeError, match="scope"):
        Query(name="q", collection="expenses", pipeline=[])  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="scope must be 'global' or 'user:<id>'"):
        Query(name="q", collection="expenses", pipeline=[], scope="user:me")


def test_live_queries_always_reach_the_store_and_leave_the_cache_alone(store: Store) -> None:
    store.insert_many("expenses", [{"amount": 1.0}])
    cache = MemoryCache()
    runner = Runner(store=store, cache=cache, settings=Settings())
    live = Query(
        name="test.live",
        collection="expenses",
        pipeline=[{"$group": {"_id": None, "total": {"$sum": "$amount"}}}],
        schema={"total": pl.Float64},
        scope="global",
        family="live",
    )
    assert runner.frame(live)["total"][0] == 1.0
    store.insert_many("expenses", [{"amount": 2.0}])
    second = runner.run(live)
    assert (second.frame["total"][0], second.from_cache) == (3.0, False)
    assert store.timings.frame()["comment"].to_list().count("test.live") == 2
    assert (cache.stats()["hits"], cache.stats()["misses"]) == (0, 0)
