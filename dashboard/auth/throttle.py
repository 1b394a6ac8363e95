"""Login throttling that stops guessing without letting anyone lock an account's owner out.

Three sliding windows of failed logins (``window_s``, 15 minutes as in the scaling notes):

- **per (username, client)**: ``max_attempts`` failures (5) lock that client out of that username
  until the oldest of them leaves the window. Another client (the owner's) is not affected.
- **per client, across usernames**: ``client_max_attempts`` failures (20) lock the client out of
  every username the same way: one client cannot try 40 usernames.
- **per username, across clients**: from ``username_soft_limit`` failures (10) on, each further try
  waits ``2 ** (failures - limit)`` seconds after the latest failure, at most ``max_delay_s`` (60 s).
  Guessing from many clients slows to one try per minute, while the owner is at most a minute away
  from logging in: a delay, never a lock.

A success clears its (username, client) window only. Keys are SHA-256 digests of the username and
the client address, so a counter's key has a fixed size whatever a visitor sends.

Counters live in Redis when configured (every replica sees them), in-process otherwise. Redis calls
go through a :class:`~dashboard.cache.breaker.CircuitBreaker`: after a timeout or two errors the
in-process counters answer at once until a probe finds Redis again, so a hung Redis never adds its
timeout to every login.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.cache.breaker import CircuitBreaker

__all__ = ["LoginThrottle", "MemoryThrottle", "RedisThrottle", "make_throttle"]

log = logging.getLogger("spendlens.auth")
_T = TypeVar("_T")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class LoginThrottle:
    """The policy above over three windows; subclasses store the failure timestamps."""

    def __init__(
        self,
        *,
        max_attempts: int = 5,
        window_s: float = 15 * 60,
        client_max_attempts: int = 20,
        username_soft_limit: int = 10,
        max_delay_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_attempts = max_attempts
        self.window_s = window_s
        self.client_max_attempts = client_max_attempts
        self.username_soft_limit = username_soft_limit
        self.max_delay_s = max_delay_s
        self.clock = clock

    # -- storage: failure timestamps per key, pruned to the window ----------------------------
    def _add(self, key: str, now: float) -> None:
        raise NotImplementedError

    def _times(self, key: str, now: float) -> list[float]:
        """The key's failures within the window, oldest first."""
        raise NotImplementedError

    def _clear(self, key: str) -> None:
        raise NotImplementedError

    # -- the policy ------------------------------------------------------------------------------
    @staticmethod
    def _keys(username: str, client: str) -> tuple[str, str, str]:
        user, source = _digest(username), _digest(client)
        return f"pair:{user}:{source}", f"user:{user}", f"client:{source}"

    def record_failure(self, username: str, client: str) -> int:
        """Record a failed attempt; return the failures of this (username, client) in the window."""
        now = self.clock()
        pair, user, source = self._keys(username, client)
        for key in (pair, user, source):
            self._add(key, now)
        return len(self._times(pair, now))

    def retry_after(self, username: str, client: str) -> float | None:
        """Seconds until ``client`` may try ``username`` again, or None when it may now."""
        now = self.clock()
        pair, user, source = self._keys(username, client)
        waits = [
            self._locked_for(self._times(pair, now), self.max_attempts, now),
            self._locked_for(self._times(source, now), self.client_max_attempts, now),
            self._delayed_for(self._times(user, now), now),
        ]
        longest = max((w for w in waits if w is not None), default=None)
        return longest if longest is not None and longest > 0 else None

    def _locked_for(self, times: list[float], limit: int, now: float) -> float | None:
        if len(times) < limit:
            return None
        return times[-limit] + self.window_s - now

    def _delayed_for(self, times: list[float], now: float) -> float | None:
        excess = len(times) - self.username_soft_limit
        if excess < 0:
            return None
        delay = min(self.max_delay_s, 2.0**excess)
        return times[-1] + delay - now

    def reset(self, username: str, client: str) -> None:
        """Forget this (username, client)'s failures (after a successful login)."""
        self._clear(self._keys(username, client)[0])


class MemoryThrottle(LoginThrottle):
    """Counters in this process (one replica, or while Redis is away)."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]  # keeps the dict to the keys with failures in the window
        return failures

    def _add(self, key: str, now: float) -> None:
        with self._lock:
            self._prune(key, now)
            self._failures[key].append(now)

    def _times(self, key: str, now: float) -> list[float]:
        with self._lock:
            return list(self._prune(key, now))

    def _clear(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


class RedisThrottle(LoginThrottle):
    """Failures as a sorted set of timestamps per key, shared by every replica."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "spendlens:login:",
        breaker: CircuitBreaker | None = None,
        **options: object,
    ) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._client = redis.Redis.from_url(
            url, socket_timeout=0.3, socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 1)
        )
        self._prefix = prefix
        self.breaker = breaker or CircuitBreaker(
            "login throttle Redis", threshold=2, cooldown_s=1.0, max_cooldown_s=30.0, logger=log
        )
        self._fallback = MemoryThrottle(window_s=self.window_s, clock=self.clock)

    def _guarded(self, call: Callable[[], _T], fallback: Callable[[], _T]) -> _T:
        """``call`` on Redis while the breaker allows it, else (or when it fails) ``fallback``."""
        if not self.breaker.allow():
            return fallback()
        try:
            result = call()
        except redis.RedisError as exc:
            self.breaker.failure(exc, trip=isinstance(exc, redis.TimeoutError))
            return fallback()
        self.breaker.success()
        return result

    def _add(self, key: str, now: float) -> None:
        def call() -> None:
            pipe = self._client.pipeline()
            name = self._prefix + key
            pipe.zremrangebyscore(name, 0, now - self.window_s)
            pipe.zadd(name, {f"{now}:{uuid.uuid4().hex[:8]}": now})
            pipe.expire(name, int(self.window_s) + 1)
            pipe.execute()

        self._guarded(call, lambda: self._fallback._add(key, now))

    def _times(self, key: str, now: float) -> list[float]:
        def call() -> list[float]:
            pipe = self._client.pipeline()
            name = self._prefix + key
            pipe.zremrangebyscore(name, 0, now - self.window_s)
            pipe.zrange(name, 0, -1, withscores=True)
            return sorted(score for _, score in pipe.execute()[1])

        return self._guarded(call, lambda: self._fallback._times(key, now))

    def _clear(self, key: str) -> None:
        self._guarded(lambda: self._client.delete(self._prefix + key), lambda: None)
        self._fallback._clear(key)


def make_throttle(
    redis_url: str | None,
    *,
    max_attempts: int,
    window_minutes: int,
    client_max_attempts: int = 20,
    username_soft_limit: int = 10,
) -> LoginThrottle:
    """The throttle for these settings: in Redis when ``redis_url`` is set, else in-process."""
    options: dict[str, object] = {
        "max_attempts": max_attempts,
        "window_s": window_minutes * 60,
        "client_max_attempts": client_max_attempts,
        "username_soft_limit": username_soft_limit,
    }
    if redis_url:
        return RedisThrottle(redis_url, **options)
    return MemoryThrottle(**options)
