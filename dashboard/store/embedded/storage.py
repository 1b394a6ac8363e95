"""Crash-safe files for the embedded engine: a folder per collection, Arrow IPC segments, a manifest.

``<dir>/<collection>/manifest.json`` lists the segment files that make up the collection (with each
file's size and CRC-32), its indexes, and the cluster order a segment was written in. Every file is
written to a temporary name, fsynced and renamed into place, and the manifest is replaced the same
way *after* its segments exist, so a crash at any point leaves either the old or the new committed
state. Files a crash leaves behind (temporary files, segments no manifest names) are removed when the
collection is next loaded. Inserts append a segment; updates, deletes and compaction write one
segment holding the whole collection. One process owns a data directory at a time (an exclusive
``flock`` on ``<dir>/.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import uuid
import weakref
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl
from polars.exceptions import PanicException

from dashboard.store.errors import DatabaseUnavailable, OperationFailure

__all__ = ["CollectionFiles", "DataDirLock", "StorageCorrupted", "remove_temp_files"]

_MANIFEST = "manifest.json"
_FORMAT = 1
_SEGMENT_PREFIX = "seg-"
_SEGMENT_SUFFIX = ".arrow"
_TMP_SUFFIX = ".tmp"


class StorageCorrupted(OperationFailure):
    """A data file cannot be read or fails its checksum: the message names the file."""


class DataDirLock:
    """An exclusive lock on a data directory for the life of the store.

    ``flock`` locks belong to an open file description, so a second store on the same directory is
    refused whether it lives in another process or in this one. The lock is released by
    :meth:`release`, when the object is garbage-collected, or by the kernel when the process dies.
    """

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / ".lock"
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            raise DatabaseUnavailable(_in_use_message(root, self.path)) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        self._fd = fd
        self._finalizer = weakref.finalize(self, _close_fd, fd)

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def release(self) -> None:
        """Unlock and close (idempotent)."""
        self._finalizer()


def _close_fd(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _in_use_message(root: Path, lock_path: Path) -> str:
    try:
        holder = lock_path.read_text().strip()
    except OSError:
        holder = ""
    if holder == f"pid {os.getpid()}":
        who = f"another EmbeddedStore in this process (pid {os.getpid()}); close it first"
    else:
        who = f"another process ({holder})" if holder else "another process"
    return (
        f"the data directory {root} is in use by {who}. The embedded engine lets one process own "
        "a data directory at a time: stop the other one, or use another SPENDLENS_DATA_DIR"
    )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through a fsynced temporary file and a rename (all or nothing)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{_TMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)


class CollectionFiles:
    """The files of one collection."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.dir = root / name
        self.name = name

    def exists(self) -> bool:
        return (self.dir / _MANIFEST).exists()

    def read_manifest(self) -> dict[str, Any]:
        """The committed manifest (an empty one when the collection has none)."""
        path = self.dir / _MANIFEST
        if not path.exists():
            return {"format": _FORMAT, "segments": [], "indexes": [], "files": {}}
        try:
            manifest = json.loads(path.read_bytes())
            _check_layout(manifest)
        except (ValueError, OSError, TypeError) as exc:
            msg = f"collection {self.name!r}: the manifest {path} is damaged ({exc})"
            raise StorageCorrupted(msg) from exc
        manifest.setdefault("files", {})
        return manifest

    def load(self) -> tuple[list[pl.DataFrame], dict[str, Any]]:
        """The committed segments (in order) and the manifest; leftovers of a crash are removed."""
        manifest = self.read_manifest()
        self._remove_leftovers(manifest)
        frames = [
            self._read_segment(name, manifest["files"].get(name)) for name in manifest["segments"]
        ]
        return frames, manifest

    def append(self, frame: pl.DataFrame, manifest: dict[str, Any]) -> dict[str, Any]:
        """Commit ``frame`` as a new segment; return the new manifest."""
        self._ensure_dir()
        name, meta = self._write_segment(frame)
        new = {
            **manifest,
            "format": _FORMAT,
            "segments": [*manifest.get("segments", []), name],
            "files": {**manifest.get("files", {}), name: meta},
            "clustered": None,
        }
        self._write_manifest(new)
        return new

    def replace(
        self, frame: pl.DataFrame, manifest: dict[str, Any], *, clustered: Any = None
    ) -> dict[str, Any]:
        """Commit ``frame`` as the whole collection (one segment); old segments are removed after.

        ``clustered`` records the sort order ``frame`` is in, so loading it can skip the sort.
        """
        self._ensure_dir()
        old = list(manifest.get("segments", []))
        segments: list[str] = []
        files: dict[str, Any] = {}
        if frame.height or frame.width:
            name, meta = self._write_segment(frame)
            segments, files = [name], {name: meta}
        new = {
            **manifest,
            "format": _FORMAT,
            "segments": segments,
            "files": files,
            "clustered": clustered,
        }
        self._write_manifest(new)
        for name in old:  # committed already: a file left behind is removed at the next load
            with contextlib.suppress(OSError):
                (self.dir / name).unlink(missing_ok=True)
        return new

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self._ensure_dir()
        self._write_manifest({**manifest, "format": _FORMAT})

    def drop(self) -> None:
        """Remove the collection: the manifest first, so a crash midway leaves no collection."""
        if not self.dir.exists():
            return
        manifest_path = self.dir / _MANIFEST
        manifest_path.unlink(missing_ok=True)
        _fsync_dir(self.dir)
        for child in self.dir.iterdir():
            child.unlink()
        self.dir.rmdir()

    # -- internals --------------------------------------------------------------------------------
    def _ensure_dir(self) -> None:
        if not self.dir.exists():
            self.dir.mkdir(parents=True, exist_ok=True)
            _fsync_dir(self.root)

    def _read_segment(self, name: str, meta: dict[str, Any] | None) -> pl.DataFrame:
        path = self.dir / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            msg = f"collection {self.name!r}: data file {path} is missing or unreadable ({exc})"
            raise StorageCorrupted(msg) from exc
        if meta is not None:
            if len(data) != meta.get("bytes"):
                msg = (
                    f"collection {self.name!r}: data file {path} is damaged (it has {len(data)} "
                    f"bytes, the manifest recorded {meta.get('bytes')})"
                )
                raise StorageCorrupted(msg)
            if zlib.crc32(data) != meta.get("crc32"):
                msg = f"collection {self.name!r}: data file {path} is damaged (checksum mismatch)"
                raise StorageCorrupted(msg)
        try:
            return pl.read_ipc(io.BytesIO(data))
        except (pl.exceptions.PolarsError, PanicException, OSError, ValueError) as exc:
            msg = f"collection {self.name!r}: data file {path} is damaged ({exc})"
            raise StorageCorrupted(msg) from exc

    def _write_segment(self, frame: pl.DataFrame) -> tuple[str, dict[str, Any]]:
        name = f"{_SEGMENT_PREFIX}{uuid.uuid4().hex}{_SEGMENT_SUFFIX}"
        buf = io.BytesIO()
        frame.write_ipc(buf, compression="lz4")
        data = buf.getbuffer()
        meta = {"bytes": len(data), "crc32": zlib.crc32(data), "rows": frame.height}
        _atomic_write(self.dir / name, lambda fh: fh.write(data))
        data.release()
        return name, meta

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        _atomic_write(self.dir / _MANIFEST, lambda fh: fh.write(data))

    def _remove_leftovers(self, manifest: dict[str, Any]) -> None:
        """Delete temporary files and segments no committed manifest names (a crash's leftovers).

        Safe because this process holds the directory's lock: nothing else is writing here.
        """
        if not self.dir.is_dir():
            return
        live = set(manifest["segments"])
        for child in self.dir.iterdir():
            stale_tmp = child.name.startswith(".") and child.name.endswith(_TMP_SUFFIX)
            orphan = (
                child.name.startswith(_SEGMENT_PREFIX)
                and child.name.endswith(_SEGMENT_SUFFIX)
                and child.name not in live
            )
            if stale_tmp or orphan:
                child.unlink(missing_ok=True)

    @staticmethod
    def names(root: Path) -> list[str]:
        if not root.exists():
            return []
        return sorted(p.parent.name for p in root.glob(f"*/{_MANIFEST}"))


def remove_temp_files(root: Path) -> int:
    """Delete the temporary files a crash left in ``root``'s collection folders; return how many.

    Call it only while holding the directory's lock (no write of this process is in flight yet).
    """
    removed = 0
    for tmp in root.glob(f"*/.*{_TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
        removed += 1
    return removed


def _check_layout(manifest: Any) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        raise ValueError("unexpected manifest layout or format version")
    segments = manifest.get("segments")
    if not isinstance(segments, list) or not all(isinstance(s, str) for s in segments):
        raise ValueError("'segments' must be a list of file names")
    if any("/" in s or s.startswith(".") for s in segments):
        raise ValueError("a segment name points outside the collection folder")
    if not isinstance(manifest.get("indexes", []), list):
        raise ValueError("'indexes' must be a list")
    if not isinstance(manifest.get("files", {}), dict):
        raise ValueError("'files' must be an object")
