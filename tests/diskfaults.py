"""Real storage faults for tests: a full disk (a small tmpfs filled up) and a read-only directory
(a read-only bind mount of it). Both need mount rights (root with CAP_SYS_ADMIN); without them the
tests that use these skip and say so. ``chmod`` is no substitute: root writes through it.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["copy_into", "fill", "read_only", "require_mounts", "small_disk"]


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _unmount(path: Path) -> None:
    # Lazy: the store under test may still hold its lock file open on the mount.
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def require_mounts(tmp_path: Path) -> None:
    """Skip the test unless this process may mount a tmpfs (the faults below need it)."""
    probe = tmp_path / f"mount-probe-{uuid.uuid4().hex[:6]}"
    probe.mkdir()
    try:
        _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"needs mount rights (root with CAP_SYS_ADMIN) for a real full disk: {exc}")
    _unmount(probe)


@contextmanager
def small_disk(path: Path, *, size_kb: int = 2048) -> Iterator[Path]:
    """A ``size_kb`` tmpfs mounted at ``path`` (created), unmounted afterwards."""
    path.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path))
    try:
        yield path
    finally:
        _unmount(path)


def fill(disk: Path) -> Path:
    """Fill the file system of ``disk`` to the last byte; delete the returned file to free it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
        except OSError:
            pass
    with open(filler, "ab", buffering=0) as fh:  # the last partial block
        try:
            while True:
                fh.write(b"\0")
        except OSError:
            pass
    return filler


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` made read-only in place (a read-only bind mount over itself) until the end."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,ro,bind", str(path))
        yield path
    finally:
        _unmount(path)


def copy_into(source: Path, disk: Path) -> Path:
    """A copy of the data directory ``source`` on ``disk`` (without its lock file)."""
    target = disk / source.name
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".lock"))
    return target
