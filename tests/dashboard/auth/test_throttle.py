"""The login throttle: 5 failures per 15 minutes per (username, client), 20 per client, a doubling
delay (never a lock) from 10 failures per username; in-process and in Redis, with a breaker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from dashboard.auth.throttle import LoginThrottle, MemoryThrottle, RedisThrottle
from dashboard.cache.breaker import CircuitBreaker
from tests.apptest import Clock

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis, removed afterwards."""
    name = f"spendlens-test:{uuid.uuid4().hex[:8]}:"
    yield name
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=0.5)
        keys = list(client.scan_iter(match=f"{name}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass


@pytest.fixture(params=["memory", "redis"])
def make(request: pytest.FixtureRequest, clock: Clock, prefix: str) -> Callable[[], LoginThrottle]:
    def build() -> LoginThrottle:
        if request.param == "memory":
            return MemoryThrottle(max_attempts=5, window_s=900, clock=clock)
        return RedisThrottle(
            _redis_or_skip(), prefix=prefix, max_attempts=5, window_s=900, clock=clock
        )

    return build


def test_five_failures_lock_that_client_until_the_oldest_leaves_the_window(
    make, clock: Clock
) -> None:
    throttle = make()
    name = f"u-{uuid.uuid4().hex[:6]}"
    for i in range(4):
        assert throttle.record_failure(name, "203.0.113.9") == i + 1
        assert throttle.retry_after(name, "203.0.113.9") is None
        clock.now += 60
    assert throttle.record_failure(name, "203.0.113.9") == 5
    # Failures at t=0,60,120,180,240: locked until the first is 900 s old.
    assert throttle.retry_after(name, "203.0.113.9") == pytest.approx(900 - 240)
    clock.now += 900 - 240 - 1
    assert throttle.retry_after(name, "203.0.113.9") == pytest.approx(1)
    clock.now += 1
    assert throttle.retry_after(name, "203.0.113.9") is None


def test_a_locked_out_attacker_does_not_lock_out_the_owner(make) -> None:
    """Before: 5 failures from anyone locked the username for everyone (an admin's too)."""
    throttle = make()
    for _ in range(5):
        throttle.record_failure("demo-admin", "203.0.113.9")
    assert throttle.retry_after("demo-admin", "203.0.113.9") is not None
    assert throttle.retry_after("demo-admin", "198.51.100.7") is None


def test_one_client_cannot_try_many_usernames(make, clock: Clock) -> None:
    """20 failures from one client lock it out of every username, one failure each or not."""
    throttle = make()
    for i in range(19):
        throttle.record_failure(f"user-{i}", "203.0.113.9")
        clock.now += 1
    assert throttle.retry_after("user-new", "203.0.113.9") is None
    throttle.record_failure("user-19", "203.0.113.9")  # the 20th, at t=19
    # Locked until the first (t=0) is 900 s old: 900 - 19 s from now, for any username.
    assert throttle.retry_after("user-new", "203.0.113.9") == pytest.approx(900 - 19)
    assert throttle.retry_after("user-new", "198.51.100.7") is None


def test_many_clients_on_one_username_meet_a_doubling_delay_not_a_lock(make, clock: Clock) -> None:
    """From the 10th failure on a username (all clients), the next try waits 2^(n-10) s after
    the latest failure, at most 60 s: the owner is never more than a minute away."""
    throttle = make()
    owner = "198.51.100.7"
    for i in range(9):
        throttle.record_failure("demo-admin", f"203.0.113.{i}")
    assert throttle.retry_after("demo-admin", owner) is None
    expected = {10: 1, 11: 2, 12: 4, 13: 8, 14: 16, 15: 32, 16: 60, 17: 60}
    for failures, delay in expected.items():
        throttle.record_failure("demo-admin", f"203.0.113.{failures}")
        assert throttle.retry_after("demo-admin", owner) == pytest.approx(delay)
    clock.now += 60
    assert throttle.retry_after("demo-admin", owner) is None


def test_a_success_clears_only_its_own_client(make) -> None:
    throttle = make()
    for _ in range(4):
        throttle.record_failure("ana", "203.0.113.9")
        throttle.record_failure("ana", "198.51.100.7")
    throttle.reset("ana", "198.51.100.7")
    assert throttle.record_failure("ana", "198.51.100.7") == 1
    assert throttle.record_failure("ana", "203.0.113.9") == 5
    assert throttle.retry_after("ana", "203.0.113.9") is not None


def test_keys_have_a_fixed_size_whatever_is_sent(clock: Clock, prefix: str) -> None:
    """Before: a 1 MB username was a 1 MB key (20 tries added 20 MB)."""
    huge = "x" * 1_000_000
    memory = MemoryThrottle(clock=clock)
    memory.record_failure(huge, huge)
    assert {len(k) for k in memory._failures} <= {len("pair:") + 65, len("client:") + 32, 37}
    shared = RedisThrottle(_redis_or_skip(), prefix=prefix, clock=clock)
    shared.record_failure(huge, huge)
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}*"))
    assert len(keys) == 3
    assert max(len(k) for k in keys) == len(prefix) + len("pair:") + 32 + 1 + 32


def test_redis_counters_are_shared_by_replicas(clock: Clock, prefix: str) -> None:
    url = _redis_or_skip()
    one = RedisThrottle(url, prefix=prefix, max_attempts=5, window_s=900, clock=clock)
    two = RedisThrottle(url, prefix=prefix, max_attempts=5, window_s=900, clock=clock)
    for throttle in (one, two, one, two, one):
        throttle.record_failure("shared", "203.0.113.9")
    assert two.retry_after("shared", "203.0.113.9") is not None


def test_a_dead_redis_falls_back_to_counting_in_process(clock: Clock) -> None:
    throttle = RedisThrottle("redis://127.0.0.1:1/0", max_attempts=2, window_s=900, clock=clock)
    throttle.record_failure("x", "c")
    throttle.record_failure("x", "c")
    assert throttle.retry_after("x", "c") is not None


class _Unreachable:
    """Stands in for the Redis client once the breaker is open: any use fails the test."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the open breaker let a call through to Redis ({name})")


def test_a_hung_redis_opens_the_breaker_and_logins_count_in_process_at_once(
    spare_redis, clock: Clock
) -> None:
    """Before: every login waited for Redis' timeouts (0.6-1.8 s) while Redis hung."""
    url = spare_redis("start")
    breaker_clock = Clock()
    breaker = CircuitBreaker("test throttle", threshold=2, cooldown_s=5, clock=breaker_clock)
    throttle = RedisThrottle(url, breaker=breaker, max_attempts=5, window_s=900, clock=clock)
    throttle.record_failure("ana", "203.0.113.9")
    assert breaker.state == "closed"
    spare_redis("pause")
    try:
        throttle.record_failure("ana", "203.0.113.9")  # the first call times out and trips it
        assert breaker.state == "open"
        real_client, throttle._client = throttle._client, _Unreachable()
        for _ in range(4):
            throttle.record_failure("ana", "203.0.113.9")
        # Counted in-process: five failures since Redis hung lock this client out.
        assert throttle.retry_after("ana", "203.0.113.9") is not None
        assert throttle.retry_after("ana", "198.51.100.7") is None
    finally:
        spare_redis("resume")
    throttle._client = real_client
    breaker_clock.now += 5
    throttle.retry_after("ana", "203.0.113.9")  # the probe finds Redis again
    assert breaker.state == "closed"
