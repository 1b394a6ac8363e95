"""Fixtures for the cache tests: the real Redis at 127.0.0.1:6379 (a failure under CI=true)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
import redis

from dashboard.cache.breaker import CircuitBreaker
from dashboard.cache.redis_cache import RedisCache
from tests.conftest import redis_answers


@pytest.fixture
def make_redis_cache(redis_url: str) -> Iterator[Callable[..., RedisCache]]:
    """Caches on the real Redis, each test under its own key prefix (cleaned up after)."""
    prefix = f"spendlens-test:{uuid.uuid4().hex[:8]}:"
    made: list[RedisCache] = []

    def make(**options: object) -> RedisCache:
        options.setdefault("prefix", prefix)
        cache = RedisCache(redis_url, **options)  # type: ignore[arg-type]
        made.append(cache)
        return cache

    yield make
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    for cache in made:
        cache.close()


@pytest.fixture
def fast_breaker() -> CircuitBreaker:
    return CircuitBreaker("test Redis", threshold=2, cooldown_s=0.05, max_cooldown_s=0.2)


class Counter:
    """A compute function that counts its calls."""

    def __init__(self, frame: pl.DataFrame | None = None, *, delay: float = 0.0) -> None:
        self.calls = 0
        self.frame = frame if frame is not None else pl.DataFrame({"a": [1, 2, 3]})
        self.delay = delay

    def __call__(self) -> pl.DataFrame:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return self.frame


@pytest.fixture
def counter() -> Callable[..., Counter]:
    return Counter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def spare_redis(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Control a real redis-server on a spare port; each action returns its URL.

    ``ctl("start")`` / ``ctl("stop")`` start and stop it; ``ctl("pause")`` / ``ctl("resume")`` send it
    SIGSTOP / SIGCONT: a stalled Redis that accepts connections but answers nothing until resumed.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    procs: list[subprocess.Popen[bytes]] = []

    def ctl(action: str) -> str:
        if action == "start":
            procs.append(
                subprocess.Popen(
                    [
                        binary,
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        str(tmp_path),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            deadline = time.monotonic() + 10
            while not redis_answers(url):
                if time.monotonic() > deadline:
                    pytest.fail("spare redis-server did not start")
                time.sleep(0.05)
        elif action in ("pause", "resume"):
            for proc in procs:
                proc.send_signal(signal.SIGSTOP if action == "pause" else signal.SIGCONT)
        elif action == "stop":
            for proc in procs:
                proc.send_signal(signal.SIGCONT)  # a paused server would never handle SIGTERM
                proc.terminate()
                proc.wait(timeout=10)
            procs.clear()
        else:
            msg = f"unknown spare_redis action {action!r}; expected start, stop, pause or resume"
            raise ValueError(msg)
        return url

    yield ctl
    ctl("stop")


def until(condition: Callable[[], bool], *, within_s: float = 10.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``within_s`` has passed (False)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
