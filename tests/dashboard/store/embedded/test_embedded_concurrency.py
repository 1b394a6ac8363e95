"""Readers and writers on one embedded store from many threads.

Every write swaps one immutable snapshot, so a read sees each write entirely or not at all: the
invariants below (batch-sized counts, one version across all documents, a constant per-document sum)
hold in every single read, and concurrent writers lose nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard.store import connect
from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded import collection as collection_module

BATCH = 25
READERS = 4

STATS = [
    {
        "$group": {
            "_id": None,
            "n": {"$sum": 1},
            "vmin": {"$min": "$v"},
            "vmax": {"$max": "$v"},
            "a": {"$sum": "$a"},
            "b": {"$sum": "$b"},
        }
    }
]


@pytest.fixture(params=["memory", "disk"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedStore]:
    s = connect("memory://" if request.param == "memory" else f"embedded://{tmp_path}/db")
    assert isinstance(s, EmbeddedStore)
    yield s
    s.close()


def _batch(batch: int, version: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"batch": batch, "seq": i, "v": version, "a": i, "b": 100 - i, **extra}
        for i in range(BATCH)
    ]


def _run_readers(
    check: Callable[[], None], writer: Callable[[], None], readers: int = READERS
) -> list[BaseException]:
    """Run ``check`` in a loop on reader threads while ``writer`` runs; return every error."""
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                check()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)

    def write() -> None:
        try:
            writer()
        except BaseException as exc:  # noqa: BLE001 - reported to the test below
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=read) for _ in range(readers)]
    threads.append(threading.Thread(target=write))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_readers_see_consistent_snapshots_while_a_writer_inserts_updates_deletes(
    store: EmbeddedStore,
) -> None:
    store.create_index("c", [("batch", 1), ("seq", 1)])
    store.insert_many("c", _batch(0, 0))
    reads = [0]

    def check() -> None:
        (stats,) = store.aggregate("c", STATS)
        assert stats["n"] % BATCH == 0, f"a read saw part of a batch: {stats}"
        assert stats["vmin"] == stats["vmax"], f"a read saw part of an update: {stats}"
        assert stats["a"] + stats["b"] == 100 * stats["n"], stats
        count = store.count_documents("c", {"batch": {"$gte": 0}})
        assert count % BATCH == 0
        one = store.aggregate("c", [{"$match": {"batch": 0}}, {"$count": "n"}])
        assert one in ([{"n": BATCH}], [])
        reads[0] += 1

    def writer() -> None:
        for batch in range(1, 41):
            store.insert_many("c", _batch(batch, batch - 1))  # the version all documents have
            modified = store.update_many("c", {}, {"$inc": {"v": 1}})
            assert modified > 0 and modified % BATCH == 0
            if batch % 3 == 0:
                assert store.delete_many("c", {"batch": batch - 1}) == BATCH

    errors = _run_readers(check, writer)
    assert not errors, errors[:3]
    assert reads[0] > 0
    # 41 batches inserted, batches 2, 5, …, 38 deleted (13 of them).
    assert store.count_documents("c", {}) == (41 - 13) * BATCH


def test_concurrent_writers_serialise_and_lose_no_insert(store: EmbeddedStore) -> None:
    writers, batches = 6, 15
    errors: list[BaseException] = []

    def write(w: int) -> None:
        try:
            for b in range(batches):
                store.insert_many("c", _batch(b, 0, writer=w))
                store.update_many("c", {"writer": w}, {"$inc": {"v": 1}})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not errors, errors[:3]
    per_writer = store.aggregate(
        "c",
        [
            {"$group": {"_id": "$writer", "n": {"$sum": 1}, "v": {"$min": "$v"}}},
            {"$sort": {"_id": 1}},
        ],
    )
    # Writer w's b-th batch saw (batches - b) of its own updates; the first batch saw them all.
    assert per_writer == [{"_id": w, "n": batches * BATCH, "v": 1} for w in range(writers)]
    ids = store.aggregate("c", [{"$group": {"_id": "$_id"}}, {"$count": "n"}])
    assert ids == [{"n": writers * batches * BATCH}]


def test_ttl_sweeps_from_reader_threads_lose_no_insert(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers trigger the TTL sweep (a write) on every scan here; it must not race the writer."""
    monkeypatch.setattr(collection_module, "_TTL_INTERVAL_S", 0.0)
    store.create_index("c", "deletedAt", expireAfterSeconds=3600)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)

    def check() -> None:
        kept = store.count_documents("c", {"deletedAt": None})
        assert kept % BATCH == 0

    def writer() -> None:
        for batch in range(30):
            store.insert_many("c", _batch(batch, 0, deletedAt=None))
            store.insert_many("c", _batch(batch, 0, deletedAt=old))

    errors = _run_readers(check, writer)
    assert not errors, errors[:3]
    store.count_documents("c", {})  # one more sweep after the writer finished
    assert store.count_documents("c", {"deletedAt": None}) == 30 * BATCH
    assert store.count_documents("c", {}) == 30 * BATCH
