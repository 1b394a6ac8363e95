"""The timing buffer and the MongoDB CommandListener that fills it, on a fake event stream."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from dashboard.store.mongo import CommandRecorder
from dashboard.store.timings import CommandTimings


def _started(request_id: int, name: str, collection: str, comment: str | None = None):
    command = {name: collection, **({"comment": comment} if comment else {})}
    return SimpleNamespace(command_name=name, command=command, request_id=request_id)


def _done(request_id: int, micros: int, failure: dict | None = None):
    return SimpleNamespace(request_id=request_id, duration_micros=micros, failure=failure)


def test_recorder_records_name_collection_comment_duration_and_outcome() -> None:
    buffer = CommandTimings()
    recorder = CommandRecorder(buffer)
    recorder.started(_started(1, "aggregate", "expenses", "spending.by_category"))
    recorder.started(_started(2, "find", "users"))
    recorder.succeeded(_done(1, 12_500))
    recorder.failed(_done(2, 3_000, {"codeName": "MaxTimeMSExpired"}))
    frame = buffer.frame()
    assert frame.select("operation", "collection", "comment", "duration_ms", "outcome").rows() == [
        ("aggregate", "expenses", "spending.by_category", 12.5, "ok"),
        ("find", "users", None, 3.0, "MaxTimeMSExpired"),
    ]


def test_recorder_ignores_handshakes_and_unknown_request_ids() -> None:
    buffer = CommandTimings()
    recorder = CommandRecorder(buffer)
    recorder.started(_started(1, "hello", "admin"))
    recorder.succeeded(_done(1, 100))
    recorder.succeeded(_done(99, 100))
    assert len(buffer) == 0


def test_buffer_is_bounded_and_keeps_the_newest() -> None:
    buffer = CommandTimings(maxlen=3)
    recorder = CommandRecorder(buffer)
    for i in range(5):
        recorder.started(_started(i, "aggregate", f"c{i}"))
        recorder.succeeded(_done(i, 1000))
    assert buffer.frame()["collection"].to_list() == ["c2", "c3", "c4"]


def test_measure_records_failures_with_the_error_class() -> None:
    buffer = CommandTimings()
    with buffer.measure("aggregate", "expenses", comment="q"):
        pass
    with pytest.raises(KeyError), buffer.measure("find", "users"):
        raise KeyError("x")
    assert buffer.frame()["outcome"].to_list() == ["ok", "KeyError"]


def test_empty_buffer_frame_has_the_schema() -> None:
    frame = CommandTimings().frame()
    assert frame.height == 0
    assert frame.schema["duration_ms"] == pl.Float64
