"""A circuit breaker: after a few consecutive failures, stop calling for a while, then probe."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["CircuitBreaker"]


class CircuitBreaker:
    """Closed → (``threshold`` failures) → open for ``cooldown_s`` (doubling to ``max_cooldown_s``)
    → one probe call → closed on success, open again on failure.

    The outage is logged once when the breaker opens and once when it closes, never per call.
    """

    def __init__(
        self,
        name: str,
        *,
        threshold: int = 3,
        cooldown_s: float = 1.0,
        max_cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self.threshold = threshold
        self.base_cooldown_s = cooldown_s
        self.max_cooldown_s = max_cooldown_s
        self._clock = clock
        self._log = logger or logging.getLogger("spendlens.cache")
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._cooldown_s = cooldown_s
        self._probing = False
        self.opened_count = 0

    @property
    def state(self) -> str:
        with self._lock:
            if self._open_until is None:
                return "closed"
            return "half-open" if self._clock() >= self._open_until else "open"

    def allow(self) -> bool:
        """Whether to try the call now (one probe at a time once the cooldown has passed)."""
        with self._lock:
            if self._open_until is None:
                return True
            if self._clock() < self._open_until or self._probing:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        with self._lock:
            recovered = self._open_until is not None
            self._failures = 0
            self._open_until = None
            self._probing = False
            self._cooldown_s = self.base_cooldown_s
        if recovered:
            self._log.warning("%s is back: caching resumed", self.name)

    def failure(self, error: BaseException | None = None, *, trip: bool = False) -> None:
        """Count a failure; ``trip`` opens the breaker at once (a timeout: every call would wait)."""
        with self._lock:
            self._failures = max(self._failures + 1, self.threshold if trip else 0)
            was_open = self._open_until is not None
            if was_open:
                self._cooldown_s = min(self._cooldown_s * 2, self.max_cooldown_s)
            if was_open or self._failures >= self.threshold:
                self._open_until = self._clock() + self._cooldown_s
                self._probing = False
                if not was_open:
                    self.opened_count += 1
                    self._log.warning(
                        "%s is unavailable (%s): computing without the cache until it answers",
                        self.name,
                        error,
                    )
