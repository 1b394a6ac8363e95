"""Spendlens' own page runs, recorded per minute and bin by every replica, read back as an hourly
p95 over all of them (the percentile is the bin's middle: within 2.5 % of the exact value)."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.core.identity import AuthUser
from dashboard.core.periods import parse_period
from dashboard.data import page_load
from dashboard.data.runner import Runner
from queries.system import page_load_hourly

HOUR = dt.datetime(2025, 3, 20, 10, tzinfo=dt.UTC)


def test_the_hourly_p95_spans_every_replica(runner: Runner, la_user: AuthUser) -> None:
    product = AuthUser(id=la_user.id, username="p", name="P", email=None, roles=("product",))
    # 10:00-10:59: replica a 60 fast runs, replica b 34 fast and 6 slow: 94 of 100 fast, so the
    # 95th run is a slow one. 11:00: 100 fast runs only.
    fast = [(HOUR + dt.timedelta(minutes=i % 60), 100.0) for i in range(60)]
    page_load.record(runner.store, fast, replica="a")
    mixed = [(HOUR + dt.timedelta(minutes=i), 100.0) for i in range(34)]
    mixed += [(HOUR + dt.timedelta(minutes=50 + i), 3000.0) for i in range(6)]
    page_load.record(runner.store, mixed, replica="b")
    page_load.record(
        runner.store, [(HOUR + dt.timedelta(hours=1, seconds=i), 100.0) for i in range(100)],
        replica="a",
    )  # fmt: skip
    day = parse_period("2025-03-20:2025-03-20", tz="UTC")
    hourly = runner.frame(page_load_hourly(product, day))
    assert hourly["bucket"].to_list() == [HOUR, HOUR + dt.timedelta(hours=1)]
    assert hourly["runs"].to_list() == [100, 100]
    assert hourly["p95"][0] == pytest.approx(3000, rel=0.025)
    assert hourly["p95"][1] == pytest.approx(100, rel=0.025)


def test_records_are_one_document_per_minute_and_bin(runner: Runner) -> None:
    runs = [(HOUR + dt.timedelta(seconds=s), 100.0) for s in (1, 2, 59)]
    runs += [(HOUR + dt.timedelta(minutes=1), 100.0), (HOUR, float("nan"))]
    assert page_load.record(runner.store, runs, replica="a") == 2  # 10:00 ×3, 10:01 ×1; NaN skipped
    docs = runner.store.find("page_load_minutely", {}, sort=[("minute", 1)])
    assert [(d["minute"], d["n"]) for d in docs] == [(HOUR, 3), (HOUR + dt.timedelta(minutes=1), 1)]
