"""Invalidations survive a stalled Redis: a real redis-server is paused (SIGSTOP) and resumed.

The user-visible sequence of issue 15, item 6: a budget is cached (A), Redis stalls, the user saves
B (the write invalidates their scope while Redis cannot answer), Redis resumes. Every read must
then give B, on this replica and, once this replica has retried, on every other replica.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import redis

from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.redis_cache import RedisCache
from tests.dashboard.cache.conftest import until

pytestmark = pytest.mark.redis

SCOPE = "user:u1"


class Database:
    """The budgets of a few scopes; ``reader(scope)`` is the computation the cache stores."""

    def __init__(self, **values: str) -> None:
        self.values = dict(values)
        self.computes = 0

    def reader(self, scope: str) -> Callable[[], pl.DataFrame]:
        def compute() -> pl.DataFrame:
            self.computes += 1
            return pl.DataFrame({"limit": [self.values[scope]]})

        return compute


def limit_of(result_frame: pl.DataFrame) -> str:
    return result_frame["limit"].item()


def replica(url: str, **options: object) -> RedisCache:
    """A cache as one app replica holds it, with a fast breaker and short timeouts."""
    breaker = CircuitBreaker("stalled Redis", threshold=2, cooldown_s=0.05, max_cooldown_s=0.2)
    return RedisCache(url, socket_timeout_s=0.1, breaker=breaker, **options)  # type: ignore[arg-type]


def read(cache: RedisCache, db: Database, scope: str = SCOPE) -> tuple[str, bool]:
    result = cache.fetch("budgets.limit", db.reader(scope), ttl=600, scope=scope)
    return limit_of(result.frame), result.from_cache


def test_a_write_during_a_stall_is_never_answered_with_the_old_value(spare_redis) -> None:
    url = spare_redis("start")
    cache = replica(url)
    db = Database(**{SCOPE: "A"})
    assert read(cache, db) == ("A", False)
    assert read(cache, db) == ("A", True)

    spare_redis("pause")
    assert read(cache, db) == ("A", False)  # the lookup times out: the breaker opens, A computed
    db.values[SCOPE] = "B"
    cache.invalidate(SCOPE)  # the breaker is open: the INCR cannot even be tried now
    for _ in range(3):
        assert read(cache, db) == ("B", False)

    spare_redis("resume")
    answers: list[tuple[str, bool]] = []

    def cached_again() -> bool:
        answers.append(read(cache, db))
        return answers[-1][1]

    assert until(cached_again)
    assert {limit for limit, _ in answers} == {"B"}  # never A, from Redis or computed
    cache.close()


@pytest.mark.parametrize("breaker_open", [True, False], ids=["breaker open", "INCR timed out"])
def test_other_replicas_stop_serving_the_old_value_once_redis_answers(
    spare_redis, breaker_open: bool
) -> None:
    url = spare_redis("start")
    writer, other = replica(url), replica(url)
    db = Database(**{SCOPE: "A"})
    assert read(writer, db) == ("A", False)
    assert read(other, db) == ("A", True)

    spare_redis("pause")
    if breaker_open:
        read(writer, db)  # times out and opens the writer's breaker: the INCR is not even sent
    db.values[SCOPE] = "B"
    # Breaker closed, the INCR is sent and times out, but the stalled Redis applies it when it
    # resumes; the retry then increments once more, which is harmless (only a change matters).
    writer.invalidate(SCOPE)
    spare_redis("resume")

    # No read on the writer: its own retry, in the background, must reach Redis.
    assert until(lambda: read(other, db)[0] == "B")
    assert read(other, db) == ("B", True)
    assert until(lambda: writer.stats()["pending_invalidations"] == 0)
    writer.close()
    other.close()


def test_a_read_retries_the_pending_invalidation_first(spare_redis) -> None:
    url = spare_redis("start")
    writer, other = replica(url, retry_s=3600), replica(url)  # no background retry in this test
    db = Database(**{SCOPE: "A"})
    read(writer, db)
    assert read(other, db) == ("A", True)

    spare_redis("pause")
    read(writer, db)  # opens the writer's breaker: the INCR below is not sent
    db.values[SCOPE] = "B"
    writer.invalidate(SCOPE)
    spare_redis("resume")

    assert until(lambda: read(writer, db) == ("B", True))  # retried, then cached again
    assert read(other, db) == ("B", True)
    writer.close()
    other.close()


def test_too_many_pending_invalidations_invalidate_everything(spare_redis) -> None:
    url = spare_redis("start")
    writer, other = replica(url, max_pending=2), replica(url)
    scopes = ["user:1", "user:2", "user:3"]
    db = Database(**dict.fromkeys([*scopes, "global"], "A"))
    for scope in [*scopes, "global"]:
        read(writer, db, scope)
        assert read(other, db, scope) == ("A", True)

    spare_redis("pause")
    for scope in scopes:
        db.values[scope] = "B"
        writer.invalidate(scope)
    assert writer.stats()["pending_invalidate_all"]
    assert read(writer, db, "global") == ("A", False)  # every scope bypasses the cache now
    spare_redis("resume")

    assert until(lambda: not writer.stats()["pending_invalidate_all"])
    assert [read(other, db, scope)[0] for scope in scopes] == ["B", "B", "B"]
    assert read(other, db, "global") == ("A", False)  # the generation moved: recomputed too


def test_closing_delivers_a_pending_invalidation(spare_redis) -> None:
    url = spare_redis("start")
    writer, other = replica(url, retry_s=3600), replica(url)
    db = Database(**{SCOPE: "A"})
    read(writer, db)
    spare_redis("pause")
    read(writer, db)  # opens the writer's breaker: the INCR below is not sent
    db.values[SCOPE] = "B"
    writer.invalidate(SCOPE)
    spare_redis("resume")
    writer.close()  # what `python -m dashboard seed` does right after invalidating
    assert read(other, db) == ("B", False)
    other.close()


def test_closing_with_redis_still_stalled_says_what_was_lost(spare_redis, caplog) -> None:
    url = spare_redis("start")
    writer = replica(url, retry_s=3600)
    spare_redis("pause")
    writer.invalidate(SCOPE)
    with caplog.at_level("ERROR", logger="spendlens.cache"):
        writer.close()
    lost = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(lost) == 1
    assert SCOPE in lost[0]
    spare_redis("resume")


EXITING_REPLICA = """
import sys
import polars as pl
from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.redis_cache import RedisCache

breaker = CircuitBreaker("stalled Redis", threshold=2, cooldown_s=0.05, max_cooldown_s=0.2)
cache = RedisCache(sys.argv[1], socket_timeout_s=0.1, breaker=breaker, retry_s=3600)
cache.fetch("k", lambda: pl.DataFrame({"a": [1]}), ttl=60)  # times out: the breaker opens
cache.invalidate(sys.argv[2])  # so this INCR is not sent
print("invalidated", flush=True)
sys.stdin.readline()  # exits without close(), as a stopped Streamlit server does
"""


def test_a_replica_that_exits_delivers_its_pending_invalidation(spare_redis) -> None:
    url = spare_redis("start")
    other = replica(url)
    db = Database(**{SCOPE: "A"})
    read(other, db)
    spare_redis("pause")
    db.values[SCOPE] = "B"
    exiting = subprocess.Popen(
        [sys.executable, "-c", EXITING_REPLICA, url, SCOPE],
        cwd=Path(__file__).resolve().parents[3],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert exiting.stdout is not None and exiting.stdin is not None
    assert exiting.stdout.readline().strip() == "invalidated"
    spare_redis("resume")
    exiting.stdin.write("\n")
    exiting.stdin.close()
    assert exiting.wait(timeout=60) == 0
    assert read(other, db) == ("B", False)
    other.close()


def test_a_full_redis_that_refuses_the_increment_keeps_it_pending(spare_redis) -> None:
    url = spare_redis("start")
    writer, other = replica(url), replica(url)
    db = Database(**{SCOPE: "A"})
    read(writer, db)
    assert read(other, db) == ("A", True)
    admin = redis.Redis.from_url(url)
    admin.config_set("maxmemory-policy", "noeviction")
    admin.config_set("maxmemory", 1)  # every write is refused with OOM; reads still answer
    try:
        db.values[SCOPE] = "B"
        writer.invalidate(SCOPE)
        assert writer.stats()["pending_invalidations"] == 1
        assert read(writer, db) == ("B", False)
    finally:
        admin.config_set("maxmemory", 0)
    assert until(lambda: read(other, db)[0] == "B")
    writer.close()
    other.close()
    admin.close()


def test_a_command_can_tell_whether_its_invalidation_reached_redis(spare_redis) -> None:
    url = spare_redis("start")
    reseed = replica(url, retry_s=3600)
    spare_redis("pause")
    reseed.invalidate_all()
    assert reseed.flush_invalidations(wait_s=1.0) is False
    spare_redis("resume")
    assert reseed.flush_invalidations(wait_s=1.0) is True
    assert reseed.stats()["pending_invalidate_all"] is False
    reseed.close()
