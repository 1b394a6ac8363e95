"""The jobs collection: a job is claimed once, a dead worker's job can be claimed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bson

from dashboard.data import jobs
from dashboard.store import Store

ANA = bson.ObjectId("650000000000000000000001")
BEN = bson.ObjectId("650000000000000000000002")


def _job(store: Store, user: bson.ObjectId = ANA) -> bson.ObjectId:
    return jobs.create(
        store, kind="import", user_id=user, username="ana", title="t", params={"a": 1}
    )


def test_a_new_job_is_queued_with_no_progress(store: Store) -> None:
    job = jobs.get(store, _job(store))
    assert job is not None
    assert (job["state"], job["attempts"], job["progress"]) == (
        "queued",
        0,
        {"done": 0, "total": None},
    )
    assert job["params"] == {"a": 1}


def test_only_one_worker_claims_a_job(store: Store) -> None:
    job_id = _job(store)
    assert jobs.claim(store, job_id, worker="w1")
    assert not jobs.claim(store, job_id, worker="w2")
    job = jobs.get(store, job_id)
    assert (job["state"], job["worker"], job["attempts"]) == ("running", "w1", 1)


def test_a_running_job_without_heartbeat_for_a_minute_is_claimed_again(store: Store) -> None:
    job_id = _job(store)
    start = datetime.now(UTC)
    assert jobs.claim(store, job_id, worker="w1", now=start)
    later = start + jobs.STALE_AFTER - timedelta(seconds=1)
    assert not jobs.claim(store, job_id, worker="w2", now=later)
    assert [j["_id"] for j in jobs.stalled(store, now=later)] == []
    dead = start + jobs.STALE_AFTER + timedelta(seconds=1)
    assert [j["_id"] for j in jobs.stalled(store, now=dead)] == [job_id]
    assert jobs.claim(store, job_id, worker="w2", now=dead)
    assert jobs.get(store, job_id)["attempts"] == 2


def test_an_ended_job_is_never_claimed_again(store: Store) -> None:
    done, failed = _job(store), _job(store)
    for job_id in (done, failed):
        jobs.claim(store, job_id, worker="w1")
    jobs.finish(store, done, counts={"imported": 3})
    jobs.fail(store, failed, error="bad file")
    far = datetime.now(UTC) + timedelta(days=1)
    assert not jobs.claim(store, done, worker="w2", now=far)
    assert not jobs.claim(store, failed, worker="w2", now=far)
    assert jobs.stalled(store, now=far) == []
    assert jobs.get(store, done)["counts"] == {"imported": 3}
    assert jobs.get(store, failed)["error"] == "bad file"


def test_progress_is_recorded_only_while_running(store: Store) -> None:
    job_id = _job(store)
    jobs.heartbeat(store, job_id, stage="Writing", done=5, total=10)
    assert jobs.get(store, job_id)["progress"] == {"done": 0, "total": None}
    jobs.claim(store, job_id, worker="w1")
    jobs.heartbeat(store, job_id, stage="Writing", done=5, total=10)
    job = jobs.get(store, job_id)
    assert (job["stage"], job["progress"]) == ("Writing", {"done": 5, "total": 10})


def test_a_user_sees_only_their_own_jobs(store: Store) -> None:
    mine, theirs = _job(store, ANA), _job(store, BEN)
    assert [j["_id"] for j in jobs.for_user(store, ANA)] == [mine]
    assert jobs.get(store, theirs, user_id=ANA) is None
    assert jobs.get(store, theirs, user_id=BEN)["_id"] == theirs


def test_an_older_unfinished_job_of_the_same_user_and_kind_goes_first(store: Store) -> None:
    older, newer, bens = _job(store), _job(store), _job(store, BEN)
    job = jobs.get(store, newer)
    assert jobs.active_before(store, job)["_id"] == older  # still queued
    assert jobs.active_before(store, jobs.get(store, older)) is None
    assert jobs.active_before(store, jobs.get(store, bens)) is None  # another user's
    jobs.claim(store, older, worker="w1")
    assert jobs.active_before(store, job)["_id"] == older  # running on a live worker
    dead = datetime.now(UTC) + jobs.STALE_AFTER * 2
    assert jobs.active_before(store, job, now=dead) is None  # its worker died: no waiting on it
    jobs.finish(store, older, counts={})
    assert jobs.active_before(store, job) is None


def test_a_job_put_back_to_wait_gets_its_attempt_back(store: Store) -> None:
    job_id = _job(store)
    jobs.claim(store, job_id, worker="w1")
    jobs.requeue(store, job_id, stage="Waiting for your other import")
    job = jobs.get(store, job_id)
    assert (job["state"], job["attempts"], job["stage"]) == (
        "queued", 0, "Waiting for your other import",
    )  # fmt: skip


def test_an_attempt_that_lost_its_claim_cannot_overwrite_the_one_that_took_over(
    store: Store,
) -> None:
    job_id = _job(store)
    start = datetime.now(UTC)
    assert jobs.claim(store, job_id, worker="w1", token="a", now=start)
    assert jobs.claim(store, job_id, worker="w2", token="b", now=start + jobs.STALE_AFTER * 2)
    jobs.heartbeat(store, job_id, stage="stalled one", token="a")
    jobs.fail(store, job_id, error="from the stalled attempt", token="a")
    job = jobs.get(store, job_id)
    assert (job["state"], job["worker"], job["stage"]) == ("running", "w2", "Waiting for a worker")
    jobs.finish(store, job_id, counts={"imported": 1}, token="b")
    assert jobs.get(store, job_id)["state"] == "done"
