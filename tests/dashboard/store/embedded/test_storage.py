"""Durability of the embedded engine's files: round trips, damage, the directory lock, crashes.

Expected documents are written by hand from what was inserted: pymongo's ``tz_aware=True`` form
(``ObjectId`` ids, UTC datetimes at BSON's millisecond precision, ints as ints, floats as floats,
an explicit null kept, a missing field left out).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId

from dashboard.store import DatabaseUnavailable, DuplicateKeyError, connect
from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded.storage import StorageCorrupted

ROOT = Path(__file__).resolve().parents[4]
UTC = dt.UTC


def _open(path: Path) -> EmbeddedStore:
    store = connect(f"embedded://{path}")
    assert isinstance(store, EmbeddedStore)
    return store


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db"


@pytest.fixture
def opened(db: Path) -> Iterator[EmbeddedStore]:
    store = _open(db)
    yield store
    store.close()


# -- round trips ------------------------------------------------------------------------------------
A, B, U = ObjectId("65a000000000000000000001"), ObjectId("65a000000000000000000002"), ObjectId()
DOCS: list[dict[str, Any]] = [
    {
        "_id": A,
        "userId": U,
        "count": 3,
        "amount": 12.5,
        "whole": 2.0,
        "date": dt.datetime(2024, 3, 31, 22, 15, 0, 123000, tzinfo=UTC),
        "meta": {"source": "app", "tags": ["food", "work"], "rating": 4},
        "items": [1, 2, 3],
        "lines": [{"sku": "x", "qty": 1}],
        "note": None,
    },
    {
        "_id": B,
        "userId": U,
        "count": -7,
        "amount": 0.1,
        "whole": 3.0,
        "date": dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        "meta": {"source": "web", "tags": [], "rating": 5},
        "items": [],
        "lines": [],
    },
]


def _by_id(store: EmbeddedStore, collection: str = "expenses") -> list[dict[str, Any]]:
    return store.find(collection, {}, sort=[("_id", 1)])


def test_round_trip_keeps_types_nulls_and_missing_fields(db: Path) -> None:
    with _open(db) as store:
        store.insert_many("expenses", DOCS)
    with _open(db) as store:
        got = _by_id(store)
    assert got == DOCS
    first, second = got
    assert type(first["count"]) is int and type(first["whole"]) is float
    assert first["date"].utcoffset() == dt.timedelta(0)
    assert "note" in first and first["note"] is None
    assert "note" not in second
    assert isinstance(first["_id"], ObjectId) and isinstance(first["userId"], ObjectId)


def test_generated_ids_are_fresh_object_ids_returned_in_order(db: Path) -> None:
    before = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    with _open(db) as store:
        ids = store.insert_many("c", [{"n": i} for i in range(1000)])
        ids += store.insert_many("c", [{"n": 1000}, {"_id": A, "n": 1001}, {}])
    with _open(db) as store:
        docs = store.find("c", {})
    n_by_id = {d["_id"]: d.get("n") for d in docs}
    assert [n_by_id[i] for i in ids] == [*range(1002), None] and ids[1001] == A
    assert len({*ids}) == len(ids) == 1003
    assert all(isinstance(i, ObjectId) and i.generation_time >= before for i in ids if i != A)


def test_round_trip_converts_other_time_zones_and_truncates_to_milliseconds(db: Path) -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    with _open(db) as store:
        store.insert_many("t", [{"_id": 1, "at": dt.datetime(2024, 6, 1, 12, 0, 0, 456789, paris)}])
    with _open(db) as store:
        (doc,) = store.find("t", {})
    # BSON dates are UTC milliseconds: 12:00 at +02:00 is 10:00Z; 456789 µs keeps 456 ms.
    assert doc["at"] == dt.datetime(2024, 6, 1, 10, 0, 0, 456000, tzinfo=UTC)
    assert doc["at"].utcoffset() == dt.timedelta(0)


def test_updates_deletes_and_many_inserts_survive_reopen(db: Path) -> None:
    with _open(db) as store:
        for i in range(40):  # more batches than segments are kept: compaction happens
            store.insert_many("c", [{"_id": i * 10 + j, "batch": i, "v": j} for j in range(10)])
        assert store.update_many("c", {"batch": {"$lt": 5}}, {"$set": {"v": -1}}) == 50
        assert store.delete_many("c", {"batch": {"$gte": 35}}) == 50
    with _open(db) as store:
        docs = _by_id(store, "c")
        manifest = json.loads((db / "c" / "manifest.json").read_text())
    assert [d["_id"] for d in docs] == list(range(350))
    assert all(d["v"] == (-1 if d["batch"] < 5 else d["_id"] % 10) for d in docs)
    assert len(manifest["segments"]) <= 16
    assert sorted(p.name for p in (db / "c").glob("seg-*")) == sorted(manifest["segments"])


def test_indexes_survive_reopen(db: Path) -> None:
    with _open(db) as store:
        store.create_index("expenses", [("userId", 1), ("date", -1)])
        store.create_index("expenses", [("description", "text")])
        store.create_index("expenses", "deletedAt", expireAfterSeconds=2592000)
        store.create_index("users", "email", unique=True)
        store.insert_many("users", [{"email": "a@x"}])
        before = {c: store.index_information(c) for c in ("expenses", "users")}
    with _open(db) as store:
        assert {c: store.index_information(c) for c in ("expenses", "users")} == before
        assert set(store.list_collection_names()) == {"expenses", "users"}
        with pytest.raises(DuplicateKeyError, match="email_1"):
            store.insert_many("users", [{"email": "a@x"}])
    assert before["expenses"]["deletedAt_1"]["expireAfterSeconds"] == 2592000


# -- damaged files ----------------------------------------------------------------------------------
def _segment(db: Path, collection: str = "expenses") -> Path:
    (name,) = json.loads((db / collection / "manifest.json").read_text())["segments"]
    return db / collection / name


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncate, _garbage, _flip_byte, Path.unlink])
def test_damaged_segment_raises_naming_the_file(db: Path, damage: Any) -> None:
    with _open(db) as store:
        store.insert_many("expenses", DOCS)
        store.insert_many("other", [{"_id": 1}])
    segment = _segment(db)
    damage(segment)
    with _open(db) as store:
        with pytest.raises(StorageCorrupted, match=segment.name):
            store.find("expenses", {})
        with pytest.raises(StorageCorrupted, match=segment.name):
            store.count_documents("expenses", {})
        assert store.find("other", {}) == [{"_id": 1}]  # the other collections still work


@pytest.mark.parametrize(
    "content", [b"", b'{"format": 1, "segm', b"\x00\xff garbage", b'{"format": 1, "segments": 7}']
)
def test_damaged_manifest_raises_naming_the_file(db: Path, content: bytes) -> None:
    with _open(db) as store:
        store.insert_many("expenses", DOCS)
    (db / "expenses" / "manifest.json").write_bytes(content)
    with _open(db) as store, pytest.raises(StorageCorrupted, match=r"manifest\.json"):
        store.aggregate("expenses", [{"$match": {}}])


# -- the directory lock -----------------------------------------------------------------------------
def test_second_store_in_the_same_process_is_refused(opened: EmbeddedStore, db: Path) -> None:
    with pytest.raises(
        DatabaseUnavailable, match="in use by another EmbeddedStore in this process"
    ):
        _open(db)
    opened.insert_many("c", [{"_id": 1}])  # the first store is unaffected
    assert opened.count_documents("c", {}) == 1


_HOLD = """
import sys
from dashboard.store import connect
store = connect("embedded://" + sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.close()
"""

_TRY = """
import sys
from dashboard.store import connect, DatabaseUnavailable
try:
    connect("embedded://" + sys.argv[1]).close()
    print("opened")
except DatabaseUnavailable as exc:
    print("refused:", exc)
"""


def _python(code: str, *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, text=True, stdout=subprocess.PIPE, **kwargs
    )


def test_store_held_by_another_process_is_refused(db: Path) -> None:
    holder = _python(_HOLD, str(db), stdin=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(
            DatabaseUnavailable, match=rf"in use by another process \(pid {holder.pid}\)"
        ):
            _open(db)
    finally:
        holder.kill()
        holder.wait()
    _open(db).close()  # a killed holder's lock is gone with it


def test_store_held_here_is_refused_in_a_subprocess_until_closed(db: Path) -> None:
    store = _open(db)
    out, _ = _python(_TRY, str(db)).communicate(timeout=60)
    assert out.startswith("refused:") and str(db) in out and f"pid {os.getpid()}" in out
    store.close()
    assert store.close() is None  # idempotent
    with pytest.raises(DatabaseUnavailable, match="closed"):
        store.find("c", {})
    out, _ = _python(_TRY, str(db)).communicate(timeout=60)
    assert out.strip() == "opened"


# -- crashes ----------------------------------------------------------------------------------------
BATCH = 500

_INSERTER = """
import sys
from dashboard.store import connect
store = connect("embedded://" + sys.argv[1])
BATCH = int(sys.argv[2])
batch = store.count_documents("c", {}) // BATCH
while True:
    store.insert_many("c", [{"batch": batch, "seq": i, "pad": "x" * 40} for i in range(BATCH)])
    print(batch, flush=True)
    batch += 1
"""

_REWRITER = """
import sys
from dashboard.store import connect
store = connect("embedded://" + sys.argv[1])
BATCH = int(sys.argv[2])
if not store.count_documents("c", {}):
    store.insert_many("c", [{"batch": b, "seq": i, "v": 0} for b in range(100) for i in range(BATCH)])
while True:
    low = store.find("c", {}, sort=[("batch", 1)], limit=1)[0]["batch"]
    store.update_many("c", {}, {"$inc": {"v": 1}})
    print("updated", store.find("c", {}, limit=1)[0]["v"], flush=True)
    store.delete_many("c", {"batch": low})
    print("deleted", low, flush=True)
"""


def _run_and_kill(code: str, db: Path, rng: random.Random) -> list[str]:
    """Start ``code``, let it report a few commits, SIGKILL it at a random moment; its reports."""
    proc = _python(code, str(db), str(BATCH))
    assert proc.stdout is not None
    lines = [proc.stdout.readline().strip() for _ in range(rng.randint(1, 4))]
    time.sleep(rng.uniform(0, 0.05))
    proc.send_signal(signal.SIGKILL)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, lines
    return [line for line in [*lines, *rest.splitlines()] if line]


def _assert_clean_files(db: Path) -> None:
    manifest = json.loads((db / "c" / "manifest.json").read_text())
    on_disk = {p.name for p in (db / "c").iterdir()}
    assert on_disk == {"manifest.json", *manifest["segments"]}, "leftovers were not removed"


@pytest.mark.slow
def test_sigkill_during_inserts_loses_no_committed_batch(db: Path) -> None:
    rng = random.Random(7)
    known: set[int] = set()  # batches present after the previous round
    for _ in range(8):
        reported = {int(x) for x in _run_and_kill(_INSERTER, db, rng)}
        with _open(db) as store:
            counts = store.aggregate("c", [{"$group": {"_id": "$batch", "n": {"$sum": 1}}}])
        per_batch = {d["_id"]: d["n"] for d in counts}
        assert all(n == BATCH for n in per_batch.values()), "a batch is half-written"
        assert known | reported <= set(per_batch), "a batch reported committed is missing"
        # At most the one batch in flight at the kill committed without being reported.
        assert set(per_batch) - known - reported <= {max(reported) + 1}
        assert sorted(per_batch) == list(range(len(per_batch)))
        _assert_clean_files(db)
        known = set(per_batch)


@pytest.mark.slow
def test_sigkill_during_updates_and_deletes_leaves_the_old_or_new_state(db: Path) -> None:
    rng = random.Random(11)
    for _ in range(8):
        reports = _run_and_kill(_REWRITER, db, rng)
        with _open(db) as store:
            docs = store.find("c", {})
        versions = {d["v"] for d in docs}
        assert len(versions) == 1, "an update was applied to part of the collection"
        updated = [int(r.split()[1]) for r in reports if r.startswith("updated")]
        if updated:
            assert versions.pop() >= max(updated)
        per_batch: dict[int, int] = {}
        for d in docs:
            per_batch[d["batch"]] = per_batch.get(d["batch"], 0) + 1
        assert all(n == BATCH for n in per_batch.values()), "a delete removed part of a batch"
        deleted = {int(r.split()[1]) for r in reports if r.startswith("deleted")}
        assert not deleted & set(per_batch), "a delete reported committed came back"
        _assert_clean_files(db)


def test_stale_temporary_and_orphan_files_are_ignored_and_removed(db: Path) -> None:
    with _open(db) as store:
        store.insert_many("c", [{"_id": 1}])
    folder = db / "c"
    (folder / ".seg-0123.arrow.abcd.tmp").write_bytes(os.urandom(100))
    (folder / ".manifest.json.abcd.tmp").write_bytes(b'{"format": 1, "segments": ["nope"]}')
    (folder / "seg-00000000000000000000000000000000.arrow").write_bytes(os.urandom(100))
    with _open(db) as store:
        assert not list(folder.glob(".*.tmp"))
        assert store.find("c", {}) == [{"_id": 1}]
    _assert_clean_files(db)
