"""The login throttle: 5 failures per 15 minutes per (username, client), 20 per client, a doubling
delay (never a lock) from 10 failures per username; in-process and in Redis, with a breaker."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from dashboard.auth.throttle import (
    Attempt,
    LoginThrottle,
    MemoryThrottle,
    RedisThrottle,
    client_group,
)
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


def _fail(throttle: LoginThrottle, username: str, client: str, **kw: str) -> Attempt:
    """One attempt that goes ahead and fails (it stays counted)."""
    attempt = throttle.attempt(username, client, **kw)
    assert not attempt.refused, attempt
    return attempt


def test_five_failures_lock_that_client_until_the_oldest_leaves_the_window(
    make, clock: Clock
) -> None:
    throttle = make()
    name = f"u-{uuid.uuid4().hex[:6]}"
    for i in range(4):
        assert _fail(throttle, name, "203.0.113.9").failures == i + 1
        assert throttle.retry_after(name, "203.0.113.9") is None
        clock.now += 60
    assert _fail(throttle, name, "203.0.113.9").failures == 5
    # Failures at t=0,60,120,180,240: locked until the first is 900 s old.
    assert throttle.retry_after(name, "203.0.113.9") == pytest.approx(900 - 240)
    refused = throttle.attempt(name, "203.0.113.9")
    assert refused.refused and refused.wait == pytest.approx(900 - 240)
    clock.now += 900 - 240 - 1
    assert throttle.retry_after(name, "203.0.113.9") == pytest.approx(1)
    clock.now += 1
    assert throttle.retry_after(name, "203.0.113.9") is None


def test_a_locked_out_attacker_does_not_lock_out_the_owner(make) -> None:
    """Before: 5 failures from anyone locked the username for everyone (an admin's too)."""
    throttle = make()
    for _ in range(5):
        _fail(throttle, "demo-admin", "203.0.113.9")
    assert throttle.retry_after("demo-admin", "203.0.113.9") is not None
    assert throttle.retry_after("demo-admin", "198.51.100.7") is None


def test_one_client_cannot_try_many_usernames(make, clock: Clock) -> None:
    """20 failures from one client lock it out of every username, one failure each or not."""
    throttle = make()
    for i in range(19):
        _fail(throttle, f"user-{i}", "203.0.113.9")
        clock.now += 1
    assert throttle.retry_after("user-new", "203.0.113.9") is None
    _fail(throttle, "user-19", "203.0.113.9")  # the 20th, at t=19
    # Locked until the first (t=0) is 900 s old: 900 - 19 s from now, for any username.
    assert throttle.retry_after("user-new", "203.0.113.9") == pytest.approx(900 - 19)
    assert throttle.retry_after("user-new", "198.51.100.7") is None


def test_many_clients_on_one_username_meet_a_doubling_delay_not_a_lock(make, clock: Clock) -> None:
    """From the 10th failure on a username (all clients), the next try waits 2^(n-10) s after
    the latest failure, at most 60 s; a try during the delay is refused and not counted."""
    throttle = make()
    owner = "198.51.100.7"
    for i in range(9):
        _fail(throttle, "demo-admin", f"203.0.113.{i}")
    assert throttle.retry_after("demo-admin", owner) is None
    expected = {10: 1, 11: 2, 12: 4, 13: 8, 14: 16, 15: 32, 16: 60, 17: 60}
    for failures, delay in expected.items():
        _fail(throttle, "demo-admin", f"203.0.113.{failures}")
        assert throttle.retry_after("demo-admin", owner) == pytest.approx(delay)
        assert throttle.attempt("demo-admin", "203.0.113.99").refused
        clock.now += delay
    assert throttle.retry_after("demo-admin", owner) is None


def test_a_success_forgets_the_attempt_and_clears_only_its_own_client(make) -> None:
    throttle = make()
    for _ in range(4):
        _fail(throttle, "ana", "203.0.113.9")
        _fail(throttle, "ana", "198.51.100.7")
    throttle.succeeded(_fail(throttle, "ana", "198.51.100.7"))
    assert _fail(throttle, "ana", "198.51.100.7").failures == 1
    assert _fail(throttle, "ana", "203.0.113.9").failures == 5
    assert throttle.retry_after("ana", "203.0.113.9") is not None
    # The client's earlier 4 failures and the 1 since count, not the success: 14 more make 19.
    for i in range(14):
        _fail(throttle, f"other-{i}", "198.51.100.7")
    assert throttle.retry_after("someone", "198.51.100.7") is None


def _in_parallel(count: int, call: Callable[[int], Attempt]) -> list[Attempt]:
    """``call(i)`` for i in range(count), all started together on their own threads."""
    barrier = threading.Barrier(count)

    def run(i: int) -> Attempt:
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_parallel_attempts_from_one_client_never_exceed_the_limits(make) -> None:
    """Before: every parallel login passed the check before any failure was recorded (60
    parallel guesses from one client against a limit of 20). Now the check counts the attempt."""
    throttle = make()
    many = _in_parallel(60, lambda i: throttle.attempt(f"user-{i}", "203.0.113.9"))
    assert sum(not a.refused for a in many) == 20  # the per-client limit
    one = _in_parallel(30, lambda i: throttle.attempt("ana", "198.51.100.7"))
    assert sum(not a.refused for a in one) == 5  # the per-(username, client) limit
    assert sorted(a.failures for a in one if not a.refused) == [1, 2, 3, 4, 5]


def test_a_lock_is_reported_as_first_refusal_once_per_lock_window(make, clock: Clock) -> None:
    """Before: each of 200 refused submits wrote its own login.locked entry."""
    throttle = make()
    for _ in range(5):
        _fail(throttle, "ana", "203.0.113.9")
    refusals = [throttle.attempt("ana", "203.0.113.9") for _ in range(50)]
    assert all(r.refused for r in refusals)
    assert [r.first_refusal for r in refusals] == [True] + [False] * 49
    clock.now += 900  # the window passed: a new failure, a new lock, reported once again
    for _ in range(5):
        _fail(throttle, "ana", "203.0.113.9")
    again = [throttle.attempt("ana", "203.0.113.9") for _ in range(3)]
    assert [r.first_refusal for r in again] == [True, False, False]


def test_ipv6_clients_are_counted_by_their_64_prefix(make) -> None:
    """Before: each of the 2^64 addresses of one IPv6 subscriber was a new client."""
    assert client_group("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_group("::ffff:192.0.2.1") == "192.0.2.1"
    assert client_group("local") == "local"
    throttle = make()
    for i in range(5):
        _fail(throttle, "ana", f"2001:db8:1:2::{i + 1:x}")
    assert throttle.retry_after("ana", "2001:db8:1:2:ffff:ffff:ffff:ffff") is not None
    assert throttle.retry_after("ana", "2001:db8:1:3::1") is None  # the next /64
    for i in range(15):
        _fail(throttle, f"user-{i}", f"2001:db8:1:2:{i:x}::9")
    assert throttle.retry_after("bob", "2001:db8:1:2:1234::1") is not None  # the client limit
    for i in range(5):
        _fail(throttle, "carol", f"::ffff:192.0.2.{i}" if i % 2 else "192.0.2.77")
    assert throttle.retry_after("carol", "192.0.2.77") is None  # IPv4 addresses stay apart
    for _ in range(2):  # 3 + 2: the fifth failure of 192.0.2.77
        _fail(throttle, "carol", "::ffff:192.0.2.77")
    assert throttle.retry_after("carol", "192.0.2.77") is not None  # mapped is the same address


def test_a_device_cookie_exempts_from_the_username_delay_until_it_fails_too_often(
    make, clock: Clock
) -> None:
    """An attacker keeping the username's delay running from several clients does not delay
    the owner's browser that holds a device cookie; five failures with that cookie end it."""
    throttle = make()
    for i in range(16):  # 4 clients, 4 failures each, each sent as soon as the delay ran out
        clock.now += throttle.retry_after("demo-admin", f"203.0.113.{i % 4}") or 0
        _fail(throttle, "demo-admin", f"203.0.113.{i % 4}")
    assert throttle.retry_after("demo-admin", "198.51.100.7") == pytest.approx(60)
    assert throttle.attempt("demo-admin", "198.51.100.7").refused
    owner = throttle.attempt("demo-admin", "198.51.100.7", device="device-jti-1")
    assert not owner.refused
    throttle.succeeded(owner)
    # A stolen device cookie tried from many clients: exempt for 5 failures, then not.
    for i in range(5):
        _fail(throttle, "demo-admin", f"192.0.2.{i}", device="device-jti-2")
    assert throttle.attempt("demo-admin", "192.0.2.9", device="device-jti-2").refused
    assert not throttle.attempt("demo-admin", "198.51.100.7", device="device-jti-1").refused


def test_keys_have_a_fixed_size_whatever_is_sent(clock: Clock, prefix: str) -> None:
    """Before: a 1 MB username was a 1 MB key (20 tries added 20 MB)."""
    huge = "x" * 1_000_000
    memory = MemoryThrottle(clock=clock)
    _fail(memory, huge, huge, device=huge)
    assert {len(k) for k in memory._attempts} == {
        len("pair:") + 65,
        len("client:") + 32,
        len("user:") + 32,
        len("device:") + 32,
    }
    shared = RedisThrottle(_redis_or_skip(), prefix=prefix, clock=clock)
    _fail(shared, huge, huge, device=huge)
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(match=f"{prefix}*"))
    assert len(keys) == 4
    assert max(len(k) for k in keys) == len(prefix) + len("pair:") + 32 + 1 + 32


def test_redis_counters_are_shared_by_replicas(clock: Clock, prefix: str) -> None:
    url = _redis_or_skip()
    one = RedisThrottle(url, prefix=prefix, max_attempts=5, window_s=900, clock=clock)
    two = RedisThrottle(url, prefix=prefix, max_attempts=5, window_s=900, clock=clock)
    for throttle in (one, two, one, two, one):
        _fail(throttle, "shared", "203.0.113.9")
    assert two.retry_after("shared", "203.0.113.9") is not None


def test_a_dead_redis_falls_back_to_counting_in_process(clock: Clock) -> None:
    throttle = RedisThrottle("redis://127.0.0.1:1/0", max_attempts=2, window_s=900, clock=clock)
    _fail(throttle, "x", "c")
    _fail(throttle, "x", "c")
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
    _fail(throttle, "ana", "203.0.113.9")
    assert breaker.state == "closed"
    spare_redis("pause")
    try:
        _fail(throttle, "ana", "203.0.113.9")  # the first call times out and trips it
        assert breaker.state == "open"
        real_client, throttle._client = throttle._client, _Unreachable()
        for _ in range(4):
            _fail(throttle, "ana", "203.0.113.9")
        # Counted in-process: five failures since Redis hung lock this client out.
        assert throttle.retry_after("ana", "203.0.113.9") is not None
        assert throttle.retry_after("ana", "198.51.100.7") is None
    finally:
        spare_redis("resume")
    throttle._client = real_client
    breaker_clock.now += 5
    throttle.retry_after("ana", "203.0.113.9")  # the probe finds Redis again
    assert breaker.state == "closed"
