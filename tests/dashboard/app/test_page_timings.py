"""The page-load recorder: this process's page runs reach ``page_load_minutely`` once each."""

from __future__ import annotations

import datetime as dt

from dashboard.app.page_timings import PageLoadFlusher, PageTiming, PageTimings
from dashboard.store import Store


def test_each_run_is_written_once_and_what_is_left_on_stop(store: Store) -> None:
    timings = PageTimings()
    flusher = PageLoadFlusher(store, timings=timings, interval_s=3600)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    for i in range(3):
        timings.record(PageTiming(later + dt.timedelta(seconds=i), "Overview", 120.0, "ok"))
    assert flusher.flush() == 3
    assert flusher.flush() == 0  # nothing new
    timings.record(PageTiming(later + dt.timedelta(seconds=5), "Budgets", 2500.0, "ok"))
    flusher.start()
    flusher.stop()  # stopping writes the rest
    total = sum(d["n"] for d in store.find("page_load_minutely", {}))
    assert total == 4
    assert {d["replica"] for d in store.find("page_load_minutely", {})} == {flusher.replica}
