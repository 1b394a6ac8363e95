"""Registration's abuse control: a readable question and a per-client submit limit."""

from __future__ import annotations

from dashboard.auth import registration
from dashboard.auth.throttle import MemoryThrottle, RedisThrottle
from tests.apptest import Clock


def test_the_question_is_plain_text_and_wants_the_sum_in_digits() -> None:
    question = registration.Question(7, 4)
    assert question.text == "What is 7 plus 4?"
    assert question.answered_by("11")
    assert question.answered_by(" 11 ")
    assert not question.answered_by("12")
    assert not question.answered_by("")
    assert not question.answered_by("eleven")


def test_new_questions_use_two_numbers_from_1_to_9() -> None:
    asked = {(q.first, q.second) for q in (registration.new_question() for _ in range(2_000))}
    assert asked <= {(a, b) for a in range(1, 10) for b in range(1, 10)}
    assert len(asked) > 40  # not a handful of fixed questions


def test_each_client_has_its_own_limit_and_an_ipv6_network_counts_as_one() -> None:
    clock = Clock()
    throttle = registration.make_registration_throttle(None, max_submits=3, window_minutes=60)
    assert isinstance(throttle, MemoryThrottle)
    throttle.clock = clock
    for _ in range(3):
        assert registration.count_submit(throttle, "2001:db8:1:2::1").wait is None
    # Another address of the same /64 network: the same client, over its limit.
    refused = registration.count_submit(throttle, "2001:db8:1:2::9")
    assert refused.wait is not None and refused.wait == 60 * 60
    assert refused.first_refusal
    assert not registration.count_submit(throttle, "2001:db8:1:2::9").first_refusal
    # Any other client is not affected, however many submits the first one made.
    assert registration.count_submit(throttle, "192.0.2.7").wait is None
    clock.now += 60 * 60 + 1
    assert registration.count_submit(throttle, "2001:db8:1:2::1").wait is None


def test_many_clients_are_not_slowed_down_together() -> None:
    """The login throttle's per-username delay must not turn into a site-wide sign-up delay."""
    throttle = registration.make_registration_throttle(None, max_submits=2)
    throttle.clock = Clock()
    for i in range(200):
        assert registration.count_submit(throttle, f"198.51.100.{i}").wait is None


def test_in_redis_the_counters_have_their_own_prefix() -> None:
    throttle = registration.make_registration_throttle("redis://127.0.0.1:1/0")
    assert isinstance(throttle, RedisThrottle)
    assert throttle._prefix == "spendlens:register:"
    assert (throttle.max_attempts, throttle.client_max_attempts, throttle.window_s) == (
        registration.MAX_SUBMITS,
        registration.MAX_SUBMITS,
        registration.WINDOW_MINUTES * 60,
    )


def test_in_redis_every_replica_shares_the_limit(redis_url: str) -> None:
    import uuid

    token = uuid.uuid4().int
    client = f"2001:db8:{token % 65536:x}:{token // 65536 % 65536:x}::1"  # a fresh /64 per run
    one = registration.make_registration_throttle(redis_url, max_submits=2)
    other = registration.make_registration_throttle(redis_url, max_submits=2)
    assert registration.count_submit(one, client).wait is None
    assert registration.count_submit(other, client).wait is None
    assert registration.count_submit(one, client).wait is not None  # counted in Redis, shared
    assert one.breaker.opened_count == other.breaker.opened_count == 0  # no in-process fallback
