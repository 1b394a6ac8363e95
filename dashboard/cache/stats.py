"""Counters and latency figures every cache keeps, for ``cache.stats()`` and the performance page."""

from __future__ import annotations

import threading
from collections import deque

__all__ = ["CacheStats"]


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


class CacheStats:
    """Thread-safe counters plus the last 1,000 hit and miss latencies."""

    #: ``bypasses``: reads that skipped the cache because an invalidation of their scope is pending.
    COUNTERS = (
        "hits",
        "misses",
        "stale_hits",
        "errors",
        "oversize",
        "computes",
        "waits",
        "bypasses",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.COUNTERS, 0)
        self._hit_ms: deque[float] = deque(maxlen=1000)
        self._miss_ms: deque[float] = deque(maxlen=1000)

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def hit(self, ms: float, *, stale: bool = False) -> None:
        with self._lock:
            self._counts["hits"] += 1
            if stale:
                self._counts["stale_hits"] += 1
            self._hit_ms.append(ms)

    def miss(self, ms: float) -> None:
        with self._lock:
            self._counts["misses"] += 1
            self._miss_ms.append(ms)

    def snapshot(self) -> dict[str, float | int | None]:
        with self._lock:
            out: dict[str, float | int | None] = dict(self._counts)
            hits, misses = list(self._hit_ms), list(self._miss_ms)
        lookups = out["hits"] + out["misses"]  # type: ignore[operator]
        out["hit_ratio"] = (out["hits"] / lookups) if lookups else None  # type: ignore[operator]
        out["hit_ms_p50"] = _percentile(hits, 0.5)
        out["hit_ms_p95"] = _percentile(hits, 0.95)
        out["miss_ms_p50"] = _percentile(misses, 0.5)
        out["miss_ms_p95"] = _percentile(misses, 0.95)
        return out
