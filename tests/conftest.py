"""Shared fixtures: stores and a live-MongoDB switch."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dashboard.store import Store, connect


@pytest.fixture
def memory_store() -> Iterator[Store]:
    store = connect("memory://")
    yield store
    store.close()


@pytest.fixture
def embedded_store(tmp_path) -> Iterator[Store]:
    store = connect(f"embedded://{tmp_path / 'db'}")
    yield store
    store.close()


@pytest.fixture
def mongo_uri() -> str:
    """The live MongoDB to test against; skipped loudly when MONGODB_URI is not set."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        pytest.skip("needs a live MongoDB: set MONGODB_URI to run the MongoDB-backend tests")
    return uri
