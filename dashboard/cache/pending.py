"""Invalidations Redis has not confirmed yet: held per process, bounded, and never dropped.

A write invalidates a scope by incrementing its version in Redis. When Redis cannot answer (down,
stalled, breaker open), the request is kept here until an increment succeeds; meanwhile the
process reads that scope without the cache (:meth:`PendingInvalidations.covers`).

Ordering: every request gets a sequence number. A retry takes a :class:`Batch` (a snapshot of what
is pending and the highest number in it); an increment sent after the snapshot covers every write
whose request is in it, because a write completes before its invalidation is requested. When the
batch succeeds, only requests up to that number are settled: a scope invalidated again while the
batch was in flight stays pending and is incremented once more (an extra increment is harmless:
only a change of the version matters).

Bounded: beyond ``limit`` scopes, the set collapses into "everything" (the generation bump of
``invalidate_all``), which covers every scope at once.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass

__all__ = ["Batch", "PendingInvalidations"]


@dataclass(frozen=True)
class Batch:
    """What one retry sends: the generation bump (``everything``) or one increment per scope."""

    scopes: tuple[str, ...]
    everything: bool
    upto: int


class PendingInvalidations:
    """Thread-safe set of scope invalidations (and at most one "everything") awaiting Redis.

    >>> pending = PendingInvalidations(limit=2)
    >>> pending.add("user:1")
    >>> pending.covers("user:1"), pending.covers("user:2")
    (True, False)
    >>> batch = pending.batch()
    >>> pending.settle(batch, applied=["user:1"])
    >>> bool(pending)
    False
    """

    def __init__(self, *, limit: int) -> None:
        if limit < 1:
            msg = f"the pending invalidation limit must be at least 1, got {limit}"
            raise ValueError(msg)
        self.limit = limit
        self._lock = threading.Lock()
        self._seq = 0
        self._scopes: dict[str, int] = {}
        self._everything: int | None = None

    def add(self, scope: str) -> None:
        """Hold an invalidation of ``scope``; past the limit, hold "everything" instead."""
        with self._lock:
            self._seq += 1
            if scope in self._scopes or len(self._scopes) < self.limit:
                self._scopes[scope] = self._seq
            else:
                self._everything = self._seq
                self._scopes.clear()

    def add_all(self) -> None:
        """Hold an invalidation of every scope (``invalidate_all``)."""
        with self._lock:
            self._seq += 1
            self._everything = self._seq
            self._scopes.clear()

    def covers(self, scope: str) -> bool:
        """Whether reads of ``scope`` must skip the cache (an invalidation of it is pending)."""
        with self._lock:
            return self._everything is not None or scope in self._scopes

    def __bool__(self) -> bool:
        with self._lock:
            return self._everything is not None or bool(self._scopes)

    @property
    def everything(self) -> bool:
        """Whether a generation bump is pending (every scope is bypassed)."""
        with self._lock:
            return self._everything is not None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes pending, oldest request first."""
        with self._lock:
            return tuple(sorted(self._scopes, key=self._scopes.__getitem__))

    def batch(self) -> Batch | None:
        """A snapshot to send, or None when nothing is pending."""
        with self._lock:
            if self._everything is not None:
                return Batch((), everything=True, upto=self._seq)
            if not self._scopes:
                return None
            return Batch(tuple(self._scopes), everything=False, upto=self._seq)

    def settle(self, batch: Batch, *, applied: Collection[str] = ()) -> None:
        """Forget what ``batch`` delivered: everything up to ``batch.upto`` if it was the
        generation bump, else the ``applied`` scopes (those Redis incremented)."""
        with self._lock:
            if batch.everything:
                if self._everything is not None and self._everything <= batch.upto:
                    self._everything = None
                done = [s for s, seq in self._scopes.items() if seq <= batch.upto]
            else:
                done = [s for s in applied if self._scopes.get(s, batch.upto + 1) <= batch.upto]
            for scope in done:
                del self._scopes[scope]

    def describe(self) -> str:
        """For a log line: "every scope" or the scopes (at most 10 named)."""
        if self.everything:
            return "every scope"
        scopes = self.scopes
        named = ", ".join(scopes[:10])
        return f"scopes {named}" + (f" and {len(scopes) - 10} more" if len(scopes) > 10 else "")
