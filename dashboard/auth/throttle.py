"""Login throttling from the scaling notes: at most 5 failed attempts per 15 minutes per username.

A sliding window: each failure is a timestamp; a username is locked while ``max_attempts`` failures
lie within the window, until the oldest of them leaves it. Counters live in Redis when configured (so
every replica sees them) and in-process otherwise; if Redis fails, the in-process counter takes over.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["LoginThrottle", "MemoryThrottle", "RedisThrottle", "make_throttle"]

log = logging.getLogger("spendlens.auth")


class LoginThrottle:
    """Counts failed logins per username in a sliding window."""

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        window_s: float = 15 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_attempts = max_attempts
        self.window_s = window_s
        self.clock = clock

    def record_failure(self, username: str) -> int:
        """Record a failed attempt; return the failures now within the window."""
        raise NotImplementedError

    def retry_after(self, username: str) -> float | None:
        """Seconds until ``username`` may try again, or None when it is not locked."""
        raise NotImplementedError

    def reset(self, username: str) -> None:
        """Forget the failures (after a successful login or an admin's password reset)."""
        raise NotImplementedError


class MemoryThrottle(LoginThrottle):
    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, username: str, now: float) -> deque[float]:
        failures = self._failures[username]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def record_failure(self, username: str) -> int:
        with self._lock:
            now = self.clock()
            failures = self._prune(username, now)
            failures.append(now)
            return len(failures)

    def retry_after(self, username: str) -> float | None:
        with self._lock:
            now = self.clock()
            failures = self._prune(username, now)
            if len(failures) < self.max_attempts:
                return None
            return failures[-self.max_attempts] + self.window_s - now

    def reset(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)


class RedisThrottle(LoginThrottle):
    """Failures as a sorted set of timestamps per username, shared by every replica."""

    def __init__(self, url: str, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._client = redis.Redis.from_url(
            url, socket_timeout=0.3, socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 1)
        )
        self._fallback = MemoryThrottle(
            max_attempts=self.max_attempts, window_s=self.window_s, clock=self.clock
        )
        self._warned = False

    def _key(self, username: str) -> str:
        return f"spendlens:login-failures:{username}"

    def _degraded(self, exc: redis.RedisError) -> None:
        if not self._warned:
            log.warning("login throttle: Redis unavailable (%s); counting in-process", exc)
            self._warned = True

    def record_failure(self, username: str) -> int:
        now = self.clock()
        key = self._key(username)
        try:
            pipe = self._client.pipeline()
            pipe.zremrangebyscore(key, 0, now - self.window_s)
            pipe.zadd(key, {f"{now}:{uuid.uuid4().hex[:8]}": now})
            pipe.zcard(key)
            pipe.expire(key, int(self.window_s) + 1)
            return int(pipe.execute()[2])
        except redis.RedisError as exc:
            self._degraded(exc)
            return self._fallback.record_failure(username)

    def retry_after(self, username: str) -> float | None:
        now = self.clock()
        key = self._key(username)
        try:
            self._client.zremrangebyscore(key, 0, now - self.window_s)
            scores = [s for _, s in self._client.zrange(key, 0, -1, withscores=True)]
        except redis.RedisError as exc:
            self._degraded(exc)
            return self._fallback.retry_after(username)
        if len(scores) < self.max_attempts:
            return None
        return sorted(scores)[-self.max_attempts] + self.window_s - now

    def reset(self, username: str) -> None:
        try:
            self._client.delete(self._key(username))
        except redis.RedisError as exc:
            self._degraded(exc)
        self._fallback.reset(username)


def make_throttle(
    redis_url: str | None, *, max_attempts: int, window_minutes: int
) -> LoginThrottle:
    if redis_url:
        return RedisThrottle(redis_url, max_attempts=max_attempts, window_s=window_minutes * 60)
    return MemoryThrottle(max_attempts=max_attempts, window_s=window_minutes * 60)
