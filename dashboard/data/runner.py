"""Running queries through the cache: the one path every number on a page takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dashboard.cache import Cache, CacheResult, make_key
from dashboard.core.settings import Settings
from dashboard.store import Store
from queries.base import Query

__all__ = ["Runner", "run_query", "ttl_for"]


def ttl_for(settings: Settings, family: str) -> int:
    """Cache lifetime in seconds for a query family (the scaling notes: statistics 30 min …)."""
    ttls = {
        "statistics": settings.cache_ttl_statistics,
        "profile": settings.cache_ttl_profile,
        "recent": settings.cache_ttl_recent,
    }
    if family not in ttls:
        msg = f"unknown cache family {family!r}; expected one of {sorted(ttls)}"
        raise ValueError(msg)
    return ttls[family]


def run_query(query: Query, *, store: Store, cache: Cache, settings: Settings) -> CacheResult:
    """The query's frame, from the cache when it holds it, else from the store (then cached).

    The key is the query's name plus a hash of the database, the collection and the pipeline, so
    two pages asking the same question share one entry, whatever function built it, and two
    deployments sharing a Redis never read each other's results.
    """
    key = make_key(query.name, store.description, query.collection, query.pipeline)

    def compute():
        return store.aggregate_frame(
            query.collection,
            query.pipeline,
            schema=query.schema,
            comment=query.name,
            max_time_ms=settings.max_time_ms,
        )

    return cache.fetch(key, compute, ttl=ttl_for(settings, query.family), scope=query.scope)


@dataclass(frozen=True)
class Runner:
    """The store, cache and settings a page's data functions run their queries with.

    It remembers the results of this page run, so a section can say when its data was computed.
    """

    store: Store
    cache: Cache
    settings: Settings
    results: list[CacheResult] = field(default_factory=list)

    def run(self, query: Query) -> CacheResult:
        result = run_query(query, store=self.store, cache=self.cache, settings=self.settings)
        self.results.append(result)
        return result

    def mark(self) -> int:
        """A position in this run's results, to caption what a section ran after it."""
        return len(self.results)

    def caption_since(self, mark: int = 0) -> str:
        """ "Data as of …" for the oldest result since ``mark`` (the section is as old as that)."""
        section = self.results[mark:]
        if not section:
            return ""
        oldest = min(section, key=lambda r: r.computed_at)
        cached = sum(r.from_cache for r in section)
        return (
            f"Data as of {oldest.computed_at:%Y-%m-%d %H:%M:%S} UTC · "
            f"{cached} of {len(section)} queries from the cache"
        )

    def frame(self, query: Query) -> pl.DataFrame:
        return self.run(query).frame
