"""The Redis result cache shared by every app replica.

Keys: ``spendlens:v1:val:<generation>:<scope>:<scope version>:<key>``. ``invalidate(scope)``
increments ``spendlens:v1:ver:<scope>``; one Lua call reads the versions and the value together, so
a lookup is one round trip and stale entries are never read (they simply expire). Concurrent misses
of one key compute once: the first takes a short lock (``SET NX PX``), the others poll for the
value and compute themselves if the holder dies. Redis down, slow or full never breaks a page:
short timeouts, at most one retry and a circuit breaker turn an outage into plain computing.

An invalidation is never lost: when the increment cannot reach Redis, it is held in this process
(:mod:`dashboard.cache.pending`), the scope is read without the cache here until an increment
succeeds, and it is retried before the next read and by a background thread that does not wait for
the breaker, so the other replicas stop reading the old entries as soon as Redis answers again.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import uuid
import weakref
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from dashboard.cache.base import Cache, CacheResult, Compute, from_ms, stale_window_s
from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.keys import KEY_VERSION
from dashboard.cache.pending import PendingInvalidations
from dashboard.cache.serialize import pack, unpack
from dashboard.core.settings import describe_uri

__all__ = ["RedisCache"]

log = logging.getLogger("spendlens.cache")

_LOOKUP = """
local gen = redis.call('GET', ARGV[1] .. 'gen') or '0'
local ver = redis.call('GET', ARGV[1] .. 'ver:' .. ARGV[2]) or '0'
local full = ARGV[1] .. 'val:' .. gen .. ':' .. ARGV[2] .. ':' .. ver .. ':' .. ARGV[3]
return {full, redis.call('GET', full)}
"""
_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_CONNECTION_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

#: Caches not closed yet: a process that exits (a deploy, a scale-in) delivers what they hold.
_OPEN: weakref.WeakSet[RedisCache] = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    for cache in list(_OPEN):
        cache.close()


class RedisCache(Cache):
    """A :class:`~dashboard.cache.base.Cache` in Redis.

    ``max_pending`` bounds the scopes whose invalidation waits for Redis (beyond it, everything is
    invalidated when Redis returns); ``retry_s`` is how often the background thread retries them.
    """

    def __init__(
        self,
        url: str,
        *,
        socket_timeout_s: float = 0.25,
        max_value_bytes: int = 8 * 1024 * 1024,
        lock_ms: int = 30_000,
        poll_s: float = 0.02,
        breaker: CircuitBreaker | None = None,
        prefix: str = f"spendlens:{KEY_VERSION}:",
        max_pending: int = 1000,
        retry_s: float = 0.5,
    ) -> None:
        super().__init__()
        self.description = f"Redis at {describe_uri(url)}"
        self.max_value_bytes = max_value_bytes
        self.lock_ms = lock_ms
        self.poll_s = poll_s
        self.prefix = prefix
        self.breaker = breaker or CircuitBreaker(f"Redis cache ({describe_uri(url)})")
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout_s,
            socket_connect_timeout=socket_timeout_s,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
            health_check_interval=0,
            client_name="spendlens",
        )
        self._lookup = self._client.register_script(_LOOKUP)
        self._unlock = self._client.register_script(_UNLOCK)
        self.retry_s = retry_s
        self._pending = PendingInvalidations(limit=max_pending)
        self._delivering = threading.Lock()
        self._retrier: threading.Thread | None = None
        self._retrier_lock = threading.Lock()
        self._closed = threading.Event()
        _OPEN.add(self)

    # -- Redis calls guarded by the breaker ---------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """``(ok, result)``; never raises a Redis error."""
        if not self.breaker.allow():
            return False, None
        try:
            result = fn(*args, **kwargs)
        except _CONNECTION_ERRORS as exc:
            self._stats.count("errors")
            self.breaker.failure(exc, trip=isinstance(exc, redis.exceptions.TimeoutError))
            return False, None
        except redis.exceptions.RedisError as exc:
            # A full Redis (OOM) or a script error: this call failed, the server is alive.
            self._stats.count("errors")
            self.breaker.success()
            log.debug("Redis error: %s", exc)
            return False, None
        self.breaker.success()
        return True, result

    # -- the cache ----------------------------------------------------------------------------------
    def fetch(
        self, key: str, compute: Compute, *, ttl: float, scope: str = "global"
    ) -> CacheResult:
        started = time.perf_counter()
        if ttl <= 0:
            return self._uncached(compute, started)
        if self._pending:
            self._deliver(guarded=True)
            if self._pending.covers(scope):
                # This process invalidated the scope and Redis has not recorded it: the stored
                # entries may predate the write, so neither read nor store them.
                self._stats.count("bypasses")
                return self._uncached(compute, started)
        ok, found = self._call(self._lookup, args=[self.prefix, scope, key])
        if not ok:
            return self._uncached(compute, started)
        full = found[0].decode() if isinstance(found[0], bytes) else str(found[0])
        cached = self._decode(found[1])
        if cached is not None:
            stale = time.time() * 1000 >= cached.fresh_until_ms
            if stale:
                self._revalidate(full, compute, ttl)
            self._stats.hit((time.perf_counter() - started) * 1000, stale=stale)
            return CacheResult(cached.frame, from_ms(cached.computed_at_ms), True, stale)
        result = self._compute_once(full, compute, ttl)
        self._stats.miss((time.perf_counter() - started) * 1000)
        return result

    def _decode(self, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            return unpack(data)
        except Exception:  # noqa: BLE001 - an unreadable value is a miss, never an error page
            self._stats.count("errors")
            return None

    def _fresh(self, full: str) -> Any:
        """The stored envelope under ``full`` if it exists and is still fresh, else None."""
        ok, data = self._call(self._client.get, full)
        cached = self._decode(data) if ok else None
        if cached is None or time.time() * 1000 >= cached.fresh_until_ms:
            return None
        return cached

    def _compute_once(self, full: str, compute: Compute, ttl: float) -> CacheResult:
        token = uuid.uuid4().hex
        lock = f"{full}:lock"
        deadline = time.monotonic() + self.lock_ms / 1000
        while True:
            ok, acquired = self._call(self._client.set, lock, token, nx=True, px=self.lock_ms)
            if ok and acquired:
                # Someone may have stored the value between our lookup and our lock.
                cached = self._fresh(full)
                if cached is not None:
                    self._call(self._unlock, keys=[lock], args=[token])
                    return CacheResult(cached.frame, from_ms(cached.computed_at_ms), True)
            if not ok or acquired:
                break
            self._stats.count("waits")
            time.sleep(self.poll_s)
            ok, data = self._call(self._client.get, full)
            cached = self._decode(data) if ok else None
            if cached is not None:
                return CacheResult(cached.frame, from_ms(cached.computed_at_ms), True)
            if not ok or time.monotonic() > deadline:
                break
        try:
            frame, at = self._compute(compute)
            self._store(full, frame, at, ttl)
        finally:
            if acquired:
                self._call(self._unlock, keys=[lock], args=[token])
        return CacheResult(frame, from_ms(at), from_cache=False)

    def _store(self, full: str, frame: Any, at: int, ttl: float) -> None:
        fresh_until = at + int(ttl * 1000)
        data = pack(frame, computed_at_ms=at, fresh_until_ms=fresh_until)
        if len(data) > self.max_value_bytes:
            self._stats.count("oversize")
            return
        expire_ms = int((ttl + stale_window_s(ttl)) * 1000)
        self._call(self._client.set, full, data, px=expire_ms)

    def _revalidate(self, full: str, compute: Compute, ttl: float) -> None:
        """Recompute a stale entry in the background if no one else is already doing it."""
        token = uuid.uuid4().hex
        lock = f"{full}:lock"
        ok, acquired = self._call(self._client.set, lock, token, nx=True, px=self.lock_ms)
        if not ok or not acquired:
            return
        if self._fresh(full) is not None:  # refreshed by another replica since our read
            self._call(self._unlock, keys=[lock], args=[token])
            return

        def work() -> None:
            try:
                frame, at = self._compute(compute)
                self._store(full, frame, at, ttl)
            finally:
                self._call(self._unlock, keys=[lock], args=[token])

        self._refresh_in_background(full, work)

    # -- invalidation that survives an outage -------------------------------------------------------
    def invalidate(self, scope: str) -> None:
        self._pending.add(scope)
        self._deliver_or_retry(f"cache scope {scope}")

    def invalidate_all(self) -> None:
        self._pending.add_all()
        self._deliver_or_retry("the whole cache")

    def _deliver_or_retry(self, what: str) -> None:
        # Wait for a delivery running in another thread (milliseconds when Redis is healthy) so a
        # healthy Redis gets this increment now, not at the background thread's next turn.
        if self._deliver(guarded=True, wait_s=1.0):
            return
        log.warning(
            "could not invalidate %s now (Redis unavailable): this process reads it without the "
            "cache and retries until Redis records it",
            what,
        )
        self._start_retrier()

    def _deliver(self, *, guarded: bool, wait_s: float = 0.0) -> bool:
        """Send the pending increments in one round trip; True when nothing is pending after.

        ``guarded`` calls go through the breaker (a page is waiting); the background retry and
        :meth:`close` call Redis directly and close the breaker when it answers. A delivery already
        running in another thread is not waited for (unless ``wait_s``): the scope stays pending.
        """
        if wait_s > 0:
            acquired = self._delivering.acquire(timeout=wait_s)
        else:
            acquired = self._delivering.acquire(blocking=False)
        if not acquired:
            return not self._pending
        try:
            batch = self._pending.batch()
            if batch is None:
                return True
            keys = (
                [f"{self.prefix}gen"]
                if batch.everything
                else [f"{self.prefix}ver:{scope}" for scope in batch.scopes]
            )
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.incr(key)
            if guarded:
                ok, results = self._call(pipe.execute, raise_on_error=False)
            else:
                ok, results = self._direct(pipe.execute, raise_on_error=False)
            if ok:
                failed = [r for r in results if isinstance(r, Exception)]
                if failed:  # e.g. OOM with maxmemory-policy noeviction: stays pending
                    log.debug("Redis refused %d invalidations: %s", len(failed), failed[0])
                applied = [
                    scope
                    for scope, result in zip(batch.scopes, results, strict=False)
                    if not isinstance(result, Exception)
                ]
                if batch.everything and failed:
                    return False
                self._pending.settle(batch, applied=applied)
            return not self._pending
        finally:
            self._delivering.release()

    def _direct(self, fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        """Call Redis without asking the breaker; an answer closes it (Redis is back)."""
        try:
            result = fn(*args, **kwargs)
        except redis.exceptions.RedisError as exc:
            log.debug("invalidation retry failed: %s", exc)
            return False, None
        self.breaker.success()
        return True, result

    def _start_retrier(self) -> None:
        with self._retrier_lock:
            if self._retrier is not None or self._closed.is_set():
                return
            self._retrier = threading.Thread(
                target=self._retry_pending, name="cache-invalidation-retry", daemon=True
            )
            self._retrier.start()

    def _retry_pending(self) -> None:
        """Every ``retry_s`` until nothing is pending (or the cache is closed)."""
        while not self._closed.wait(self.retry_s):
            if self._deliver(guarded=False):
                with self._retrier_lock:
                    if not self._pending:
                        self._retrier = None
                        return
        with self._retrier_lock:
            self._retrier = None

    def ping(self) -> float:
        """Round-trip time in ms; raises ``redis.RedisError`` when Redis does not answer."""
        started = time.perf_counter()
        self._client.ping()
        return (time.perf_counter() - started) * 1000

    def stats(self) -> dict[str, object]:
        return {
            **super().stats(),
            "breaker": self.breaker.state,
            "pending_invalidations": len(self._pending.scopes),
            "pending_invalidate_all": self._pending.everything,
        }

    def flush_invalidations(self, *, wait_s: float = 5.0) -> bool:
        """Try to deliver pending invalidations now, ignoring the breaker; True when none remain.

        For a command that must not finish with the cache still stale (a reseed): it can fail
        loudly instead of leaving the retry to a process that is about to exit.
        """
        return not self._pending or self._deliver(guarded=False, wait_s=wait_s)

    def close(self) -> None:
        """Deliver what is still pending (one last direct try), then release the connections.

        What cannot be delivered is logged as an error: other replicas may serve those scopes'
        old entries until they expire (the query family's TTL plus the stale window).
        """
        self._closed.set()
        _OPEN.discard(self)
        if not self.flush_invalidations():
            log.error(
                "cache invalidations lost at shutdown (Redis did not answer) for %s: other "
                "replicas may serve results older than the last writes until they expire; once "
                "Redis answers, `redis-cli INCR %sgen` (or `python -m dashboard rollups`) "
                "invalidates everything",
                self._pending.describe(),
                self.prefix,
            )
        self._client.close()
