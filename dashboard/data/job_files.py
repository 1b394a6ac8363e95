"""The ``job_files`` collection: files a job reads or writes (an uploaded statement, a prepared
export), kept in the database so that any worker and any app replica can reach them.

A file is stored as base64 text in chunks of :data:`CHUNK_BYTES` (well under MongoDB's 16 MB
document limit; the embedded engine has no binary type), each chunk a document with the file's
``fileId``, its owner, a name, the chunk number ``n`` and ``createdAt``. Reads check the owner, so
one user's file id is useless to another.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import bson

from dashboard.store import Store

__all__ = ["CHUNK_BYTES", "JOB_FILES", "delete", "delete_older_than", "put", "read", "size"]

JOB_FILES = "job_files"
CHUNK_BYTES = 4 * 1024 * 1024


def put(
    store: Store, data: bytes, *, owner_id: bson.ObjectId, name: str, kind: str
) -> bson.ObjectId:
    """Store ``data`` and return the file's id."""
    file_id = bson.ObjectId()
    now = datetime.now(UTC)
    chunks = [data[i : i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)] or [b""]
    for n, chunk in enumerate(chunks):
        store.insert_many(
            JOB_FILES,
            [
                {
                    "fileId": file_id,
                    "ownerId": owner_id,
                    "name": name,
                    "kind": kind,
                    "n": n,
                    "chunks": len(chunks),
                    "bytes": len(data),
                    "data": base64.b64encode(chunk).decode("ascii"),
                    "createdAt": now,
                }
            ],
        )
    return file_id


def read(store: Store, file_id: bson.ObjectId, *, owner_id: bson.ObjectId) -> bytes | None:
    """The file's bytes, or None when it does not exist (deleted, expired, or not the owner's)."""
    query = {"fileId": {"$eq": file_id}, "ownerId": {"$eq": owner_id}}
    parts = store.find(JOB_FILES, query, sort=[("n", 1)])
    if not parts or [p["n"] for p in parts] != list(range(parts[0]["chunks"])):
        return None  # none, or a file still being written or partly deleted
    return b"".join(base64.b64decode(part["data"]) for part in parts)


def size(store: Store, file_id: bson.ObjectId, *, owner_id: bson.ObjectId) -> int | None:
    """The file's size in bytes, without reading it; None when it does not exist."""
    found = store.find(
        JOB_FILES,
        {"fileId": {"$eq": file_id}, "ownerId": {"$eq": owner_id}, "n": 0},
        projection={"bytes": 1},
        limit=1,
    )
    return int(found[0]["bytes"]) if found else None


def delete(store: Store, file_id: bson.ObjectId) -> int:
    """Remove the file; return how many chunks were removed."""
    return store.delete_many(JOB_FILES, {"fileId": {"$eq": file_id}})


def delete_older_than(
    store: Store, age: timedelta, *, kind: str | None = None, now: datetime | None = None
) -> int:
    """Remove the files (of ``kind``, or all) older than ``age``: uploads never imported, exports
    never downloaded."""
    query: dict = {"createdAt": {"$lt": (now or datetime.now(UTC)) - age}}
    if kind is not None:
        query["kind"] = {"$eq": kind}
    return store.delete_many(JOB_FILES, query)
