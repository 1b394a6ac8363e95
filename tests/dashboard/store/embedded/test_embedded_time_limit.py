"""The store's time limit (MONGODB_MAX_TIME_MS) on every operation of the embedded engine.

MongoDB stops an operation that runs past ``maxTimeMS`` with error 50 (MaxTimeMSExpired) and
leaves the data as it was (manual: "Terminate Running Operations", cursor.maxTimeMS()). The engine
must do the same for reads and writes, and a stopped query must not take the process down.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pymongo.errors import ExecutionTimeout

from dashboard.core.settings import Settings
from dashboard.store import connect, open_store

ROOT = Path(__file__).resolve().parents[4]
SLOW = {"d": {"$regex": "9.*9.*9"}}  # a regex over every row: far more than 1 ms


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [{"d": f"row {i} of text", "n": i} for i in range(200_000)]


def test_every_operation_stops_at_the_limit_and_changes_nothing(rows: list[dict]) -> None:
    store = connect("memory://", max_time_ms=1)
    store.insert_many("big", rows)
    operations = {
        "count": lambda: store.count_documents("big", SLOW),
        "find": lambda: store.find("big", SLOW),
        "aggregate": lambda: store.aggregate("big", [{"$match": SLOW}]),
        "update": lambda: store.update_many("big", SLOW, {"$set": {"touched": True}}),
        "delete": lambda: store.delete_many("big", SLOW),
    }
    for name, operation in operations.items():
        with pytest.raises(ExecutionTimeout, match=r"exceeded time limit \(1 ms\)") as caught:
            operation()
        assert caught.value.code == 50, name
    store.max_time_ms = None
    assert store.count_documents("big", {}) == len(rows)
    assert store.count_documents("big", {"touched": True}) == 0
    # A call's own limit wins over the store's.
    assert store.aggregate("big", [{"$count": "n"}], max_time_ms=60_000) == [{"n": len(rows)}]


def test_a_stopped_query_does_not_abort_the_process() -> None:
    script = textwrap.dedent(
        """
        import gc, time
        from pymongo.errors import ExecutionTimeout
        from dashboard.store import connect
        store = connect("memory://", max_time_ms=1)
        store.insert_many("big", [{"d": f"row {i} of text"} for i in range(200_000)])
        for _ in range(3):
            try:
                store.count_documents("big", {"d": {"$regex": "9.*9.*9"}})
            except ExecutionTimeout:
                pass
        gc.collect()
        time.sleep(1.0)  # the cancelled jobs finish meanwhile
        print("alive")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "alive"
    assert "panicked" not in done.stderr


def test_the_settings_limit_reaches_the_store() -> None:
    with open_store(Settings(max_time_ms=1234), uri="memory://") as store:
        assert store.max_time_ms == 1234
