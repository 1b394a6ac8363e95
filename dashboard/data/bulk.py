"""Whole collections at once: what the demo seed needs to check, clear and load a database, and the
seed's marker that tells the demo data set (complete or not) apart from any other data.

Only :mod:`dashboard.seed` loads or drops collections; the app never does. The app reads the marker
once per process at start-up (:func:`store_kind`), to decide whether the public demo cookie key and
the demo account list may be used on this store.

The marker is one document in ``spendlens_seed``: written first with ``complete: false`` when a seed
begins, set to ``complete: true`` last, after the data and the indexes. A seed killed half-way leaves
``complete: false`` behind, which ``seed --if-empty`` recognises as its own unfinished work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from dashboard.store import Store

__all__ = [
    "SEED_MARKER",
    "begin_seed",
    "drop",
    "filled",
    "finish_seed",
    "insert",
    "seed_marker",
    "store_kind",
]

#: The collection holding the seed's marker document.
SEED_MARKER = "spendlens_seed"
_MARKER_ID = "demo"
#: Collections whose documents mean "this store holds data" for :func:`store_kind`.
_DATA = ("users", "expenses", "budgets", "api_requests")


def _has_documents(store: Store, collection: str) -> bool:
    """Whether ``collection`` holds a document (one indexed lookup, never a count of a big one)."""
    return bool(store.find(collection, {}, projection={"_id": 1}, limit=1))


def filled(store: Store, collections: Iterable[str]) -> list[str]:
    """Those of ``collections`` that exist and hold at least one document."""
    present = set(store.list_collection_names())
    return [c for c in collections if c in present and _has_documents(store, c)]


def drop(store: Store, collections: Iterable[str]) -> None:
    """Remove those of ``collections`` that exist, with their documents and indexes."""
    present = set(store.list_collection_names())
    for collection in collections:
        if collection in present:
            store.drop_collection(collection)


def insert(store: Store, collection: str, documents: Sequence[Mapping[str, Any]]) -> None:
    """Append ``documents`` to ``collection``."""
    store.insert_many(collection, documents)


def begin_seed(store: Store, details: Mapping[str, Any]) -> None:
    """Mark the store as a demo seed in progress (before anything else is written or dropped)."""
    fields = {**details, "complete": False, "startedAt": datetime.now(UTC), "completedAt": None}
    store.update_many(SEED_MARKER, {"_id": _MARKER_ID}, {"$set": fields}, upsert=True)


def finish_seed(store: Store) -> None:
    """Mark the demo seed complete: the last write of a seed, after its data and indexes."""
    store.update_many(
        SEED_MARKER,
        {"_id": _MARKER_ID},
        {"$set": {"complete": True, "completedAt": datetime.now(UTC)}},
    )


def seed_marker(store: Store) -> dict[str, Any] | None:
    """The seed's marker document, or None when no demo seed ever ran on this store."""
    found = store.find(SEED_MARKER, {"_id": _MARKER_ID}, limit=1)
    return found[0] if found else None


def store_kind(store: Store) -> str:
    """What the store holds: ``"demo"`` (a finished demo seed), ``"incomplete"`` (a demo seed that
    did not finish), ``"empty"`` (no data at all) or ``"other"`` (data the seed did not mark, which
    may be real)."""
    marker = seed_marker(store)
    if marker is not None:
        return "demo" if marker.get("complete") is True else "incomplete"
    return "other" if filled(store, _DATA) else "empty"
