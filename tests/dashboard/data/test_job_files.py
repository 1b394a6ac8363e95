"""Job files: stored in chunks, read back whole, only by their owner."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import bson
import pytest

from dashboard.data import job_files
from dashboard.store import Store

ANA = bson.ObjectId("650000000000000000000001")
BEN = bson.ObjectId("650000000000000000000002")


@pytest.mark.parametrize("size", [0, 1, job_files.CHUNK_BYTES, job_files.CHUNK_BYTES * 2 + 7])
def test_a_file_reads_back_byte_for_byte(store: Store, size: int) -> None:
    data = os.urandom(size)
    file_id = job_files.put(store, data, owner_id=ANA, name="s.csv", kind="upload")
    assert job_files.read(store, file_id, owner_id=ANA) == data
    assert job_files.size(store, file_id, owner_id=ANA) == size


def test_another_user_cannot_read_the_file(store: Store) -> None:
    file_id = job_files.put(store, b"secret", owner_id=ANA, name="s.csv", kind="upload")
    assert job_files.read(store, file_id, owner_id=BEN) is None
    assert job_files.size(store, file_id, owner_id=BEN) is None


def test_deleted_and_expired_files_are_gone(store: Store) -> None:
    old = job_files.put(store, b"a", owner_id=ANA, name="a", kind="upload")
    assert job_files.delete_older_than(store, timedelta(hours=1)) == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    assert job_files.delete_older_than(store, timedelta(hours=1), now=later) == 1
    assert job_files.read(store, old, owner_id=ANA) is None
    new = job_files.put(store, b"b", owner_id=ANA, name="b", kind="upload")
    assert job_files.delete(store, new) == 1
    assert job_files.read(store, new, owner_id=ANA) is None
