"""Fixtures for the auth tests: the cache tests' spare redis-server (start, pause, resume, stop)."""

from __future__ import annotations

from tests.dashboard.cache.conftest import spare_redis

__all__ = ["spare_redis"]
