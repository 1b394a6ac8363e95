"""The login throttle: 5 failures per 15 minutes per username, in-process and in Redis."""

from __future__ import annotations

import os
import uuid

import pytest
import redis

from dashboard.auth.throttle import LoginThrottle, MemoryThrottle, RedisThrottle
from tests.apptest import Clock


def _redis_or_skip() -> str:
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_timeout=0.5).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":
            pytest.fail("no Redis at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    return url


@pytest.fixture(params=["memory", "redis"])
def make(request: pytest.FixtureRequest, clock: Clock):
    def build() -> LoginThrottle:
        if request.param == "memory":
            return MemoryThrottle(max_attempts=5, window_s=900, clock=clock)
        return RedisThrottle(_redis_or_skip(), max_attempts=5, window_s=900, clock=clock)

    return build


def test_five_failures_lock_until_the_oldest_leaves_the_window(make, clock: Clock) -> None:
    throttle = make()
    name = f"u-{uuid.uuid4().hex[:6]}"
    for i in range(4):
        assert throttle.record_failure(name) == i + 1
        assert throttle.retry_after(name) is None
        clock.now += 60
    assert throttle.record_failure(name) == 5
    # Failures at t=0,60,120,180,240: locked until the first is 900 s old.
    assert throttle.retry_after(name) == pytest.approx(900 - 240)
    clock.now += 900 - 240 - 1
    assert throttle.retry_after(name) == pytest.approx(1)
    clock.now += 1
    assert throttle.retry_after(name) is None


def test_a_success_resets_and_usernames_are_independent(make) -> None:
    throttle = make()
    a, b = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    for _ in range(5):
        throttle.record_failure(a)
    assert throttle.retry_after(a) is not None
    assert throttle.retry_after(b) is None
    throttle.reset(a)
    assert throttle.retry_after(a) is None


def test_redis_counters_are_shared_by_replicas(clock: Clock) -> None:
    url = _redis_or_skip()
    name = f"shared-{uuid.uuid4().hex[:6]}"
    one = RedisThrottle(url, max_attempts=5, window_s=900, clock=clock)
    two = RedisThrottle(url, max_attempts=5, window_s=900, clock=clock)
    for throttle in (one, two, one, two, one):
        throttle.record_failure(name)
    assert two.retry_after(name) is not None


def test_a_dead_redis_falls_back_to_counting_in_process(clock: Clock) -> None:
    throttle = RedisThrottle("redis://127.0.0.1:1/0", max_attempts=2, window_s=900, clock=clock)
    throttle.record_failure("x")
    throttle.record_failure("x")
    assert throttle.retry_after("x") is not None
