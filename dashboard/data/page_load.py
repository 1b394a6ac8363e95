"""The ``page_load_minutely`` collection: every app process's page runs, binned per minute, so the
System performance alerts (and any replica) see Spendlens' own page p95 across all replicas.

Each flush appends one document per minute and bin that had runs (``minute``, ``replica``,
``bin``, ``n``); bins are 5 % wide in ``ln(ms + 1)``, like the API latency rollup, and read by
:func:`queries.system.page_load_hourly`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from dashboard.store import Store
from queries.system import BIN_WIDTH, PAGE_LOAD

__all__ = ["bin_of", "record"]


def bin_of(duration_ms: float) -> int:
    """The histogram bin of a duration: ``floor(ln(ms + 1) / BIN_WIDTH)``."""
    return math.floor(math.log(max(duration_ms, 0.0) + 1) / BIN_WIDTH)


def record(store: Store, runs: Iterable[tuple[datetime, float]], *, replica: str) -> int:
    """Append page runs (the moment each started, its duration in ms) as per-minute bin counts;
    return how many documents were written."""
    counts: dict[tuple[datetime, int], int] = {}
    for at, duration in runs:
        if not math.isfinite(duration):
            continue
        minute = at.replace(second=0, microsecond=0)
        key = (minute, bin_of(duration))
        counts[key] = counts.get(key, 0) + 1
    docs = [
        {"minute": minute, "replica": replica, "bin": b, "n": n}
        for (minute, b), n in sorted(counts.items())
    ]
    if docs:
        store.insert_many(PAGE_LOAD, docs)
    return len(docs)
