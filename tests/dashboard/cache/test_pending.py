"""The bookkeeping of invalidations Redis has not confirmed: ordering, the bound, what a retry sends."""

from __future__ import annotations

import pytest

from dashboard.cache.pending import Batch, PendingInvalidations


def test_a_pending_scope_is_bypassed_until_its_batch_is_applied() -> None:
    pending = PendingInvalidations(limit=10)
    pending.add("user:1")
    assert pending.covers("user:1")
    assert not pending.covers("user:2")
    batch = pending.batch()
    assert batch == Batch(("user:1",), everything=False, upto=1)
    pending.settle(batch, applied=["user:1"])
    assert not pending
    assert not pending.covers("user:1")
    assert pending.batch() is None


def test_a_scope_invalidated_again_while_its_increment_is_in_flight_stays_pending() -> None:
    pending = PendingInvalidations(limit=10)
    pending.add("user:1")
    batch = pending.batch()  # the INCR is sent now...
    pending.add("user:1")  # ...and a second write lands before Redis answers
    pending.settle(batch, applied=["user:1"])
    assert pending.covers("user:1")  # the INCR may have been applied before the second write
    assert pending.batch() == Batch(("user:1",), everything=False, upto=2)


def test_only_the_scopes_redis_applied_are_settled() -> None:
    pending = PendingInvalidations(limit=10)
    pending.add("user:1")
    pending.add("user:2")
    pending.settle(pending.batch(), applied=["user:2"])  # user:1's INCR was refused (OOM)
    assert pending.scopes == ("user:1",)


def test_past_the_limit_everything_is_invalidated_instead() -> None:
    pending = PendingInvalidations(limit=2)
    pending.add("user:1")
    pending.add("user:2")
    pending.add("user:1")  # already held: no growth
    assert not pending.everything
    pending.add("user:3")
    assert pending.everything
    assert pending.scopes == ()
    assert pending.covers("user:9")  # every scope reads without the cache meanwhile
    assert pending.batch() == Batch((), everything=True, upto=4)
    assert pending.describe() == "every scope"


def test_the_generation_bump_settles_every_request_made_before_it_was_sent() -> None:
    pending = PendingInvalidations(limit=10)
    pending.add_all()
    pending.add("user:1")
    batch = pending.batch()
    pending.add("user:2")  # after the snapshot: not covered by this bump
    pending.settle(batch)
    assert not pending.everything
    assert pending.scopes == ("user:2",)


def test_describe_names_at_most_ten_scopes() -> None:
    pending = PendingInvalidations(limit=100)
    for n in range(12):
        pending.add(f"user:{n}")
    assert pending.describe() == (
        "scopes user:0, user:1, user:2, user:3, user:4, user:5, user:6, user:7, user:8, user:9 "
        "and 2 more"
    )


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1, got 0"):
        PendingInvalidations(limit=0)
