"""Login throttling that stops guessing without letting anyone lock an account's owner out.

Every login attempt is counted **before** its password is checked, in one atomic step that also
decides whether it may go ahead (:meth:`LoginThrottle.attempt`): parallel attempts cannot all pass
the check before any of them is counted. A successful attempt is forgotten again
(:meth:`LoginThrottle.succeeded`); every other attempt stays counted as a failure. Sliding windows
of ``window_s`` (15 minutes as in the scaling notes):

- **per (username, client)**: ``max_attempts`` attempts (5) lock that client out of that username
  until the oldest of them leaves the window. Another client (the owner's) is not affected.
- **per client, across usernames**: ``client_max_attempts`` attempts (20) lock the client out of
  every username the same way: one client cannot try 40 usernames.
- **per username, across clients**: from ``username_soft_limit`` attempts (10) on, each further
  try waits ``2 ** (attempts - limit)`` seconds after the latest one, at most ``max_delay_s``
  (60 s). Guessing from many clients slows to one try per minute.
- **device cookies** (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): an attempt
  that presents a valid device cookie of the account (given after an earlier successful login in
  that browser) is exempt from the per-username delay, so an attacker who keeps the delay running
  cannot keep the owner out. Its attempts are also counted per device cookie: after
  ``max_attempts`` of them in the window (a stolen cookie) it no longer exempts.

A client is its address, an IPv6 address grouped by its /64 prefix (one subscriber's network: a
host may pick any address in it for free). Keys are SHA-256 digests of the username, the client
and the device cookie's id, so a counter's key has a fixed size whatever a visitor sends.

A refusal says whether it is the first of its lock (:attr:`Attempt.first_refusal`), so the caller
audits a lock once per lock window, not once per refused submit.

Counters live in Redis when configured (every replica sees them; the check-and-count step is one
Lua script), in-process otherwise (the same step under a lock). Redis calls go through a
:class:`~dashboard.cache.breaker.CircuitBreaker`: after a timeout or two errors the in-process
counters answer at once until a probe finds Redis again, so a hung Redis never adds its timeout to
every login.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.cache.breaker import CircuitBreaker

__all__ = [
    "Attempt",
    "LoginThrottle",
    "MemoryThrottle",
    "RedisThrottle",
    "client_group",
    "make_throttle",
]

log = logging.getLogger("spendlens.auth")
_T = TypeVar("_T")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def client_group(address: str) -> str:
    """The counters' name for a client address: an IPv6 address's /64 network, an IPv4 address
    (also when written IPv4-mapped, ``::ffff:192.0.2.1``) as itself, anything else unchanged.

    >>> client_group("2001:db8:1:2:aaaa::1"), client_group("::ffff:192.0.2.1")
    ('2001:db8:1:2::/64', '192.0.2.1')
    """
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        network = ipaddress.IPv6Address(int(ip) >> 64 << 64)
        return f"{network}/64"
    return str(ip)


class _Keys(NamedTuple):
    """An attempt's counters: ``device`` only when it presented a valid device cookie."""

    pair: str
    client: str
    user: str
    device: str | None


@dataclass(frozen=True)
class Attempt:
    """One login attempt as the throttle saw it."""

    keys: _Keys
    #: Its entry in each counter (admitted attempts only).
    member: str
    #: Refused: seconds until this client may try this username again. None: it may go ahead.
    wait: float | None
    #: Attempts of this (username, client) in the window, this one included when admitted.
    failures: int
    #: Refused, and the first refusal of this lock (audit it; later ones are not).
    first_refusal: bool = False

    @property
    def refused(self) -> bool:
        """Whether the attempt must not go ahead (no password is checked)."""
        return self.wait is not None


class LoginThrottle:
    """The policy above; subclasses store the attempts and run its check-and-count atomically."""

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

    @property
    def options(self) -> dict[str, object]:
        """The policy's numbers and clock (for a fallback with the same policy)."""
        return {
            "max_attempts": self.max_attempts,
            "window_s": self.window_s,
            "client_max_attempts": self.client_max_attempts,
            "username_soft_limit": self.username_soft_limit,
            "max_delay_s": self.max_delay_s,
            "clock": self.clock,
        }

    @staticmethod
    def _keys(username: str, client: str, device: str | None) -> _Keys:
        user, source = _digest(username), _digest(client_group(client))
        return _Keys(
            f"pair:{user}:{source}",
            f"client:{source}",
            f"user:{user}",
            f"device:{_digest(device)}" if device else None,
        )

    def attempt(self, username: str, client: str, *, device: str | None = None) -> Attempt:
        """Check and count one attempt of ``client`` on ``username`` (``device``: the id of a
        valid device cookie of that account, when the browser presented one)."""
        now = self.clock()
        keys = self._keys(username, client, device)
        member = f"{now!r}:{uuid.uuid4().hex[:12]}"
        wait, count, first = self._check(keys, member, now, record=True)
        if wait is None:
            return Attempt(keys, member, None, count)
        return Attempt(keys, "", wait, count, first_refusal=first)

    def retry_after(self, username: str, client: str, *, device: str | None = None) -> float | None:
        """Seconds until ``client`` may try ``username`` again, or None when it may now
        (nothing is counted)."""
        now = self.clock()
        return self._check(self._keys(username, client, device), "", now, record=False)[0]

    def counted(self, username: str, client: str) -> int:
        """Attempts of ``client`` on ``username`` in the window (nothing is counted)."""
        return self._check(self._keys(username, client, None), "", self.clock(), record=False)[1]

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt logged in: forget it, and this (username, client)'s earlier failures."""
        if not attempt.refused:
            self._forget(attempt.keys, attempt.member)

    # -- the decision, shared by the in-process store (Redis runs the same steps in Lua) -------
    def _decide(self, keys: _Keys, times: dict[str, list[float]], now: float) -> tuple[float, str]:
        """The longest wait the counters ``times`` (each pruned, oldest first) impose, and the
        key that imposes it (wait 0: none)."""
        waits = [(0.0, "")]
        for key, limit in ((keys.pair, self.max_attempts), (keys.client, self.client_max_attempts)):
            if len(times[key]) >= limit:
                waits.append((times[key][-limit] + self.window_s - now, key))
        trusted = keys.device is not None and len(times[keys.device]) < self.max_attempts
        excess = len(times[keys.user]) - self.username_soft_limit
        if not trusted and excess >= 0:
            delay = min(self.max_delay_s, 2.0**excess)
            waits.append((times[keys.user][-1] + delay - now, keys.user))
        return max(waits)

    # -- storage -------------------------------------------------------------------------------
    def _check(
        self, keys: _Keys, member: str, now: float, *, record: bool
    ) -> tuple[float | None, int, bool]:
        """Atomically: prune, decide, and when ``record`` either count the attempt (admitted) or
        mark its lock as audited. Returns (wait or None, the pair's count, first refusal)."""
        raise NotImplementedError

    def _forget(self, keys: _Keys, member: str) -> None:
        raise NotImplementedError


class MemoryThrottle(LoginThrottle):
    """Counters in this process (one replica, or while Redis is away)."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self._attempts: dict[str, deque[tuple[float, str]]] = {}
        #: Lock key → the end of the lock window already audited.
        self._audited: dict[str, float] = {}
        self._lock = threading.Lock()

    def _pruned(self, key: str, now: float) -> list[float]:
        entries = self._attempts.get(key)
        if entries is None:
            return []
        while entries and entries[0][0] <= now - self.window_s:
            entries.popleft()
        if not entries:
            del self._attempts[key]  # keeps the dict to the keys with attempts in the window
        return [t for t, _ in entries]

    def _check(
        self, keys: _Keys, member: str, now: float, *, record: bool
    ) -> tuple[float | None, int, bool]:
        present = [k for k in keys if k is not None]
        with self._lock:
            times = {key: self._pruned(key, now) for key in present}
            wait, lock_key = self._decide(keys, times, now)
            count = len(times[keys.pair])
            if wait > 0:
                first = False
                if record and self._audited.get(lock_key, -math.inf) <= now:
                    self._audited = {k: t for k, t in self._audited.items() if t > now}
                    self._audited[lock_key] = now + wait
                    first = True
                return wait, count, first
            if record:
                for key in present:
                    self._attempts.setdefault(key, deque()).append((now, member))
                count += 1
            return None, count, False

    def _forget(self, keys: _Keys, member: str) -> None:
        with self._lock:
            self._attempts.pop(keys.pair, None)
            for key in (keys.client, keys.user, keys.device):
                entries = self._attempts.get(key) if key else None
                if entries is not None:
                    kept = deque(e for e in entries if e[1] != member)
                    if kept:
                        self._attempts[key] = kept  # type: ignore[index]
                    else:
                        del self._attempts[key]  # type: ignore[arg-type]


#: :meth:`LoginThrottle._check` in Redis, atomically. KEYS: pair, client, user, device, then each
#: one's audit marker. ARGV: now, window, max attempts, client max, soft limit, max delay, member,
#: has device (1/0), record (1/0). Returns {wait as text ("0": none), pair count, first refusal}.
_CHECK_LUA = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_attempts, client_max = tonumber(ARGV[3]), tonumber(ARGV[4])
local soft, max_delay = tonumber(ARGV[5]), tonumber(ARGV[6])
local has_device, record = ARGV[8] == '1', ARGV[9] == '1'
local n = has_device and 4 or 3
local times = {}
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', string.format('%.17g', now - window))
  local flat = redis.call('ZRANGE', KEYS[i], 0, -1, 'WITHSCORES')
  local scores = {}
  for j = 2, #flat, 2 do scores[#scores + 1] = tonumber(flat[j]) end
  times[i] = scores
end
local best, which = 0, 0
local function lock(i, limit)
  local c = #times[i]
  if c >= limit then
    local w = times[i][c - limit + 1] + window - now
    if w > best then best, which = w, i end
  end
end
lock(1, max_attempts)
lock(2, client_max)
local trusted = has_device and #times[4] < max_attempts
local excess = #times[3] - soft
if not trusted and excess >= 0 then
  local w = math.min(max_delay, 2 ^ excess) + times[3][#times[3]] - now
  if w > best then best, which = w, 3 end
end
if best > 0 then
  local first = 0
  if record then
    local marker = KEYS[4 + which]
    if tonumber(redis.call('GET', marker) or '-1') <= now then
      redis.call('SET', marker, string.format('%.17g', now + best), 'PX', math.ceil(best * 1000))
      first = 1
    end
  end
  return {string.format('%.17g', best), #times[1], first}
end
if record then
  for i = 1, n do
    redis.call('ZADD', KEYS[i], ARGV[1], ARGV[7])
    redis.call('PEXPIRE', KEYS[i], math.ceil(window * 1000) + 1000)
  end
  return {'0', #times[1] + 1, 0}
end
return {'0', #times[1], 0}
"""


class RedisThrottle(LoginThrottle):
    """Attempts as a sorted set of timestamps per key, shared by every replica."""

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
        self._script = self._client.register_script(_CHECK_LUA)
        self._prefix = prefix
        self.breaker = breaker or CircuitBreaker(
            "login throttle Redis", threshold=2, cooldown_s=1.0, max_cooldown_s=30.0, logger=log
        )
        self._fallback = MemoryThrottle(**self.options)

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

    def _check(
        self, keys: _Keys, member: str, now: float, *, record: bool
    ) -> tuple[float | None, int, bool]:
        names = [self._prefix + (k or "device:-") for k in keys]
        markers = [self._prefix + "audited:" + (k or "device:-") for k in keys]
        args = [repr(now), repr(self.window_s), self.max_attempts, self.client_max_attempts,
                self.username_soft_limit, repr(self.max_delay_s), member,
                int(keys.device is not None), int(record)]  # fmt: skip

        def call() -> tuple[float | None, int, bool]:
            wait, count, first = self._script(keys=names + markers, args=args, client=self._client)
            seconds = float(wait)
            return (seconds if seconds > 0 else None), int(count), bool(first)

        return self._guarded(call, lambda: self._fallback._check(keys, member, now, record=record))

    def _forget(self, keys: _Keys, member: str) -> None:
        def call() -> None:
            pipe = self._client.pipeline()
            pipe.delete(self._prefix + keys.pair)
            for key in (keys.client, keys.user, keys.device):
                if key:
                    pipe.zrem(self._prefix + key, member)
            pipe.execute()

        self._guarded(call, lambda: None)
        self._fallback._forget(keys, member)


def make_throttle(
    redis_url: str | None,
    *,
    max_attempts: int,
    window_minutes: int,
    client_max_attempts: int = 20,
    username_soft_limit: int = 10,
    prefix: str = "spendlens:login:",
) -> LoginThrottle:
    """The throttle for these settings: in Redis when ``redis_url`` is set (its keys under
    ``prefix``), else in-process."""
    options: dict[str, object] = {
        "max_attempts": max_attempts,
        "window_s": window_minutes * 60,
        "client_max_attempts": client_max_attempts,
        "username_soft_limit": username_soft_limit,
    }
    if redis_url:
        return RedisThrottle(redis_url, prefix=prefix, **options)
    return MemoryThrottle(**options)
