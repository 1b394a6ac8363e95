"""Whole collections at once: what the demo seed needs to check, clear and load a database.

Only :mod:`dashboard.seed` uses these; the app never drops or bulk-loads a collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from dashboard.store import Store

__all__ = ["drop", "filled", "insert"]


def filled(store: Store, collections: Iterable[str]) -> list[str]:
    """Those of ``collections`` that exist and hold at least one document."""
    present = set(store.list_collection_names())
    return [c for c in collections if c in present and store.count_documents(c, {}) > 0]


def drop(store: Store, collections: Iterable[str]) -> None:
    """Remove those of ``collections`` that exist, with their documents and indexes."""
    present = set(store.list_collection_names())
    for collection in collections:
        if collection in present:
            store.drop_collection(collection)


def insert(store: Store, collection: str, documents: Sequence[Mapping[str, Any]]) -> None:
    """Append ``documents`` to ``collection``."""
    store.insert_many(collection, documents)
