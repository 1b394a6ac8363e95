"""Running queries through the cache: the one path every number on a page takes."""

from __future__ import annotations

from dashboard.cache import Cache, CacheResult, make_key
from dashboard.config import Settings
from dashboard.store import Store
from queries.base import Query

__all__ = ["run_query", "ttl_for"]


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
