"""Crash-safe files for the embedded engine: a folder per collection, Arrow IPC segments, a manifest.

``<dir>/<collection>/manifest.json`` lists the segment files that make up the collection and its
indexes. Every file is written to a temporary name, fsynced and renamed into place, and the manifest
is replaced the same way *after* its segments exist, so a crash at any point leaves either the old or
the new committed state. Inserts append a segment; updates and deletes write one compacted segment.
One process owns a data directory at a time (an exclusive ``flock`` on ``<dir>/.lock``).
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.store.errors import DatabaseUnavailable, OperationFailure

__all__ = ["CollectionFiles", "DataDirLock", "StorageCorrupted"]

_MANIFEST = "manifest.json"
_FORMAT = 1


class StorageCorrupted(OperationFailure):
    """A data file cannot be read: the message names the file."""


class DataDirLock:
    """An exclusive lock on a data directory for the life of the store."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = root / ".lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._fd)
            holder = self.path.read_text().strip() or "another process"
            msg = (
                f"the data directory {root} is in use by {holder}; the embedded engine lets one "
                "process own a data directory (stop the other one, or use another SPENDLENS_DATA_DIR)"
            )
            raise DatabaseUnavailable(msg) from exc
        os.ftruncate(self._fd, 0)
        os.write(self._fd, f"pid {os.getpid()}".encode())

    def release(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
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
        self.dir = root / name
        self.name = name

    def exists(self) -> bool:
        return (self.dir / _MANIFEST).exists()

    def read_manifest(self) -> dict[str, Any]:
        path = self.dir / _MANIFEST
        if not path.exists():
            return {"format": _FORMAT, "segments": [], "indexes": []}
        try:
            manifest = json.loads(path.read_text())
            if manifest.get("format") != _FORMAT or not isinstance(manifest.get("segments"), list):
                raise ValueError("unexpected manifest layout")
        except (ValueError, OSError) as exc:
            msg = f"collection {self.name!r}: cannot read {path}: {exc}"
            raise StorageCorrupted(msg) from exc
        return manifest

    def load(self) -> tuple[list[pl.DataFrame], dict[str, Any]]:
        """The committed segments (in order) and the manifest."""
        manifest = self.read_manifest()
        frames: list[pl.DataFrame] = []
        for segment in manifest["segments"]:
            path = self.dir / segment
            try:
                frames.append(pl.read_ipc(path))
            except Exception as exc:
                msg = f"collection {self.name!r}: data file {path} is damaged or missing ({exc})"
                raise StorageCorrupted(msg) from exc
        return frames, manifest

    def append(self, frame: pl.DataFrame, manifest: dict[str, Any]) -> dict[str, Any]:
        """Commit ``frame`` as a new segment; return the new manifest."""
        self.dir.mkdir(parents=True, exist_ok=True)
        segment = self._write_segment(frame)
        new = {**manifest, "format": _FORMAT, "segments": [*manifest.get("segments", []), segment]}
        self._write_manifest(new)
        return new

    def replace(self, frame: pl.DataFrame, manifest: dict[str, Any]) -> dict[str, Any]:
        """Commit ``frame`` as the whole collection (one segment); old segments are removed after."""
        self.dir.mkdir(parents=True, exist_ok=True)
        old = list(manifest.get("segments", []))
        segments = [self._write_segment(frame)] if frame.height or frame.width else []
        new = {**manifest, "format": _FORMAT, "segments": segments}
        self._write_manifest(new)
        for name in old:
            (self.dir / name).unlink(missing_ok=True)
        return new

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self._write_manifest({**manifest, "format": _FORMAT})

    def drop(self) -> None:
        if not self.dir.exists():
            return
        manifest_path = self.dir / _MANIFEST
        manifest_path.unlink(missing_ok=True)
        _fsync_dir(self.dir)
        for child in self.dir.iterdir():
            child.unlink()
        self.dir.rmdir()

    def _write_segment(self, frame: pl.DataFrame) -> str:
        name = f"seg-{uuid.uuid4().hex}.arrow"
        _atomic_write(self.dir / name, lambda fh: frame.write_ipc(fh, compression="lz4"))
        return name

    def _write_manifest(self, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, indent=1, sort_keys=True).encode()
        _atomic_write(self.dir / _MANIFEST, lambda fh: fh.write(data))

    @staticmethod
    def names(root: Path) -> list[str]:
        if not root.exists():
            return []
        return sorted(p.parent.name for p in root.glob(f"*/{_MANIFEST}"))
