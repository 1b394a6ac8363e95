"""What every result cache offers: get-or-compute by key and scope, scope invalidation, stats."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from dashboard.cache.stats import CacheStats

__all__ = ["Cache", "CacheResult", "Compute", "stale_window_s"]

log = logging.getLogger("spendlens.cache")

Compute = Callable[[], pl.DataFrame]


@dataclass(frozen=True)
class CacheResult:
    """A frame plus where it came from, for a page's "data as of …" caption."""

    frame: pl.DataFrame
    computed_at: datetime
    from_cache: bool
    stale: bool = False

    @property
    def caption(self) -> str:
        source = "cached" if self.from_cache else "just computed"
        return f"Data as of {self.computed_at:%Y-%m-%d %H:%M:%S} UTC ({source})"


def stale_window_s(ttl: float) -> float:
    """How long past its TTL an entry may still be served while it is recomputed."""
    return min(max(ttl * 0.1, 5.0), 300.0)


def now_ms() -> int:
    return int(time.time() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class Cache(ABC):
    """A result cache. ``scope`` groups entries for invalidation (``user:<id>``, ``global``)."""

    description: str

    def __init__(self) -> None:
        self._stats = CacheStats()

    def get_or_compute(
        self, key: str, compute: Compute, *, ttl: float, scope: str = "global"
    ) -> pl.DataFrame:
        """The cached frame for ``key`` in ``scope``, computing and storing it on a miss."""
        return self.fetch(key, compute, ttl=ttl, scope=scope).frame

    @abstractmethod
    def fetch(
        self, key: str, compute: Compute, *, ttl: float, scope: str = "global"
    ) -> CacheResult:
        """Like :meth:`get_or_compute`, with when the frame was computed and whether it was cached."""

    @abstractmethod
    def invalidate(self, scope: str) -> None:
        """Everything cached under ``scope`` is stale from now on (it is never read again)."""

    @abstractmethod
    def invalidate_all(self) -> None:
        """Every entry of every scope is stale from now on (after a reseed or a restore)."""

    def flush_invalidations(self, *, wait_s: float = 5.0) -> bool:
        """Deliver invalidations not yet recorded; True when none remain (always, in-process)."""
        return True

    def stats(self) -> dict[str, Any]:
        """Counters (hits, misses, errors, oversize…), hit ratio and hit/miss latency percentiles."""
        return {"backend": self.description, **self._stats.snapshot()}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def _compute(self, compute: Compute) -> tuple[pl.DataFrame, int]:
        frame = compute()
        if not isinstance(frame, pl.DataFrame):
            msg = f"a cached computation must return a polars.DataFrame, got {type(frame).__name__}"
            raise TypeError(msg)
        self._stats.count("computes")
        return frame, now_ms()

    def _uncached(self, compute: Compute, started: float) -> CacheResult:
        frame, at = self._compute(compute)
        self._stats.miss((time.perf_counter() - started) * 1000)
        return CacheResult(frame, from_ms(at), from_cache=False)

    def _refresh_in_background(self, name: str, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            except Exception:
                log.exception("background refresh of %s failed", name)

        threading.Thread(target=run, name=f"cache-refresh-{name[:40]}", daemon=True).start()
