"""The in-process cache used when no Redis is configured: a TTL cache bounded by bytes (LRU).

Same semantics as the Redis cache: versioned scopes, concurrent misses of one key computed once,
stale-while-revalidate, values over a size limit not cached.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import polars as pl

from dashboard.cache.base import Cache, CacheResult, Compute, from_ms, now_ms, stale_window_s

__all__ = ["MemoryCache"]


@dataclass
class _Entry:
    frame: pl.DataFrame
    nbytes: int
    computed_at_ms: int
    fresh_until_ms: int
    expires_at_ms: int


class MemoryCache(Cache):
    """A per-process cache holding at most ``max_bytes`` of frames."""

    def __init__(
        self, *, max_bytes: int = 256 * 1024 * 1024, max_value_bytes: int = 32 * 1024 * 1024
    ) -> None:
        super().__init__()
        self.description = "in-process cache"
        self.max_bytes = max_bytes
        self.max_value_bytes = max_value_bytes
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._versions: dict[str, int] = {}
        self._generation = 0
        self._inflight: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def _full_key(self, scope: str, key: str) -> str:
        return f"{self._generation}:{scope}:{self._versions.get(scope, 0)}:{key}"

    def fetch(
        self, key: str, compute: Compute, *, ttl: float, scope: str = "global"
    ) -> CacheResult:
        started = time.perf_counter()
        if ttl <= 0:
            return self._uncached(compute, started)
        while True:
            with self._lock:
                full = self._full_key(scope, key)
                entry = self._entries.get(full)
                now = now_ms()
                if entry is not None and now >= entry.expires_at_ms:
                    self._evict(full)
                    entry = None
                if entry is not None:
                    self._entries.move_to_end(full)
                    stale = now >= entry.fresh_until_ms
                    if stale and full not in self._inflight:
                        self._inflight[full] = threading.Event()
                        self._refresh_in_background(
                            key, lambda full=full: self._fill(full, compute, ttl, scope, key)
                        )
                    self._stats.hit((time.perf_counter() - started) * 1000, stale=stale)
                    return CacheResult(entry.frame, from_ms(entry.computed_at_ms), True, stale)
                waiting = self._inflight.get(full)
                if waiting is None:
                    self._inflight[full] = threading.Event()
                    break
            self._stats.count("waits")
            waiting.wait(timeout=60)
        frame, at = self._fill(full, compute, ttl, scope, key)
        self._stats.miss((time.perf_counter() - started) * 1000)
        return CacheResult(frame, from_ms(at), from_cache=False)

    def _fill(
        self, full: str, compute: Compute, ttl: float, scope: str, key: str
    ) -> tuple[pl.DataFrame, int]:
        try:
            frame, at = self._compute(compute)
            nbytes = int(frame.estimated_size())
            with self._lock:
                if nbytes > self.max_value_bytes or nbytes > self.max_bytes:
                    self._stats.count("oversize")
                elif full == self._full_key(scope, key):
                    self._evict(full)
                    fresh_until = at + int(ttl * 1000)
                    expires = fresh_until + int(stale_window_s(ttl) * 1000)
                    self._entries[full] = _Entry(frame, nbytes, at, fresh_until, expires)
                    self._bytes += nbytes
                    while self._bytes > self.max_bytes and self._entries:
                        self._evict(next(iter(self._entries)))
            return frame, at
        finally:
            with self._lock:
                event = self._inflight.pop(full, None)
            if event is not None:
                event.set()

    def _evict(self, full: str) -> None:
        entry = self._entries.pop(full, None)
        if entry is not None:
            self._bytes -= entry.nbytes

    def invalidate(self, scope: str) -> None:
        with self._lock:
            self._versions[scope] = self._versions.get(scope, 0) + 1
            prefix = f"{self._generation}:{scope}:"
            for full in [k for k in self._entries if k.startswith(prefix)]:
                self._evict(full)

    def invalidate_all(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, object]:
        with self._lock:
            extra = {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
            }
        return {**super().stats(), **extra}
