"""Issue 15, item 6, as the user saw it: a budget saved while Redis was stalled (SIGSTOP) must show
on the Budgets page, through the same view functions, on this replica and on another one."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.redis_cache import RedisCache
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner
from dashboard.store import Store
from dashboard.views.budgets import month_status, save_budget
from tests.dashboard.cache.conftest import until
from tests.factories import account

pytestmark = pytest.mark.redis

MONTH, TODAY = dt.date(2026, 11, 1), dt.date(2026, 11, 20)


def replica(store: Store, url: str) -> Runner:
    breaker = CircuitBreaker("stalled Redis", threshold=2, cooldown_s=0.05, max_cooldown_s=0.2)
    cache = RedisCache(url, socket_timeout_s=0.1, breaker=breaker)
    return Runner(store=store, cache=cache, settings=Settings())


def test_a_budget_saved_during_a_redis_stall_shows_on_every_replica(
    store: Store, spare_redis
) -> None:
    url = spare_redis("start")
    saving, other = replica(store, url), replica(store, url)
    user = account("user")

    def food_budget(runner: Runner) -> float:
        status = month_status(runner, user, month=MONTH, today=TODAY)
        return status.filter(category="Food")["budget"].item()

    save_budget(saving, user, month=MONTH, category="Food", limit=100)
    assert food_budget(saving) == 100
    assert food_budget(other) == 100  # from the cache

    spare_redis("pause")
    assert food_budget(saving) == 100  # Redis times out: the breaker opens, computed
    save_budget(saving, user, month=MONTH, category="Food", limit=250)  # "saved"
    assert food_budget(saving) == 250
    spare_redis("resume")

    shown: list[float] = []

    def served_from_redis_again() -> bool:
        hits = saving.cache.stats()["hits"]
        shown.append(food_budget(saving))
        return saving.cache.stats()["hits"] > hits

    assert until(served_from_redis_again)
    assert set(shown) == {250}  # never the old 100, computed or cached
    assert until(lambda: food_budget(other) == 250)
    assert food_budget(other) == 250
    saving.cache.close()
    other.cache.close()
