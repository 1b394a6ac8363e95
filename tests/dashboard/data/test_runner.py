"""Queries run through the cache: a repeated view sends no query to the store."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from dashboard.cache import MemoryCache
from dashboard.core.settings import Settings
from dashboard.data.runner import run_query, ttl_for
from dashboard.store import Store
from queries.base import Query


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
    first = [run_query(q, store=store, cache=cache, settings=settings) for q in view]
    after_first = len(store.timings)
    second = [run_query(q, store=store, cache=cache, settings=settings) for q in view]
    assert after_first - before == 3
    assert len(store.timings) == after_first
    assert [r.frame["total"].to_list() for r in first] == [[12.5], [2.5], [10.0]]
    for a, b in zip(first, second, strict=True):
        assert b.from_cache
        assert_frame_equal(a.frame, b.frame)


def test_the_query_name_is_sent_as_the_comment(store: Store) -> None:
    store.insert_many("expenses", [{"amount": 1.0}])
    run_query(_totals(), store=store, cache=MemoryCache(), settings=Settings())
    assert store.timings.frame()["comment"].to_list()[-1] == "test.totals"


def test_invalidating_a_scope_reruns_only_its_queries(store: Store) -> None:
    store.insert_many("expenses", [{"category": "Food", "amount": 1.0}])
    cache, settings = MemoryCache(), Settings()
    mine, everyone = _totals(scope="user:1"), _totals("Food")
    for q in (mine, everyone):
        run_query(q, store=store, cache=cache, settings=settings)
    store.insert_many("expenses", [{"category": "Food", "amount": 4.0}])
    cache.invalidate("user:1")
    assert (
        run_query(mine, store=store, cache=cache, settings=settings).frame["total"][0] == 5.0
    )
    stale = run_query(everyone, store=store, cache=cache, settings=settings)
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
    a = run_query(_totals(), store=first, cache=cache, settings=settings)
    b = run_query(_totals(), store=second, cache=cache, settings=settings)
    assert (a.frame["total"][0], b.frame["total"][0]) == (1.0, 2.0)
