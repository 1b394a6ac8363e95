"""Fixtures for the embedded engine's conformance tests.

Expected values in these tests come from the MongoDB manual (its examples and definitions), never from
running the engine: write the expected documents by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from dashboard.store import connect
from dashboard.store.embedded import EmbeddedStore

RunFn = Callable[[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], list[dict[str, Any]]]


@pytest.fixture
def store() -> Iterator[EmbeddedStore]:
    """A fresh in-memory embedded store."""
    s = connect("memory://")
    assert isinstance(s, EmbeddedStore)
    yield s
    s.close()


@pytest.fixture
def run(store: EmbeddedStore) -> RunFn:
    """``run(documents, pipeline)``: insert into a fresh collection and aggregate.

    Documents without ``_id`` get one; use ``{"$project": {"_id": 0, ...}}`` or give ids to compare.
    """
    counter = iter(range(1_000_000))

    def _run(
        documents: Sequence[Mapping[str, Any]], pipeline: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        name = f"c{next(counter)}"
        if documents:
            store.insert_many(name, [dict(d) for d in documents])
        return store.aggregate(name, list(pipeline))

    return _run
