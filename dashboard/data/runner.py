"""The one way to run a read: every query from :mod:`queries` goes through :class:`Runner`.

The runner adds what every read needs: the result cache (Redis or in-process) under the query's
scope and lifetime family, the time limit (``MONGODB_MAX_TIME_MS``), the query's name as the
MongoDB ``comment`` (so the store's timings and the profiler name it), and a record of this page
run's results for the "Data as of …" captions. ``live`` queries skip the cache but nothing else.
Writes and streaming reads are not queries: they go through the named functions of the collection
family modules next to this one (``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from dashboard.cache import Cache, CacheResult, make_key
from dashboard.core.settings import Settings
from dashboard.store import Store
from queries.base import Family, Query

__all__ = ["Runner", "ttl_for"]


def ttl_for(settings: Settings, family: Family) -> int:
    """Cache lifetime in seconds for a query family (the scaling notes: statistics 30 min …)."""
    ttls = {
        "statistics": settings.cache_ttl_statistics,
        "profile": settings.cache_ttl_profile,
        "recent": settings.cache_ttl_recent,
        "live": 0,
    }
    if family not in ttls:
        msg = f"unknown cache family {family!r}; expected one of {sorted(ttls)}"
        raise ValueError(msg)
    return ttls[family]


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
        """The query's frame, from the cache when it holds it, else from the store (then cached).

        The key is the query's name plus a hash of the database, the collection and the pipeline,
        so two pages asking the same question share one entry, whatever function built it, and
        two deployments sharing a Redis never read each other's results.
        """

        def compute() -> pl.DataFrame:
            return self.store.aggregate_frame(
                query.collection,
                query.pipeline,
                schema=query.schema,
                comment=query.name,
                max_time_ms=self.settings.max_time_ms,
            )

        if query.family == "live":
            result = CacheResult(compute(), datetime.now(UTC), from_cache=False)
        else:
            key = make_key(query.name, self.store.description, query.collection, query.pipeline)
            ttl = ttl_for(self.settings, query.family)
            result = self.cache.fetch(key, compute, ttl=ttl, scope=query.scope)
        self.results.append(result)
        return result

    def frame(self, query: Query) -> pl.DataFrame:
        """The query's frame (see :meth:`run`)."""
        return self.run(query).frame

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
