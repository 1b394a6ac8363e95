"""The result cache: Redis shared by every replica, or an in-process cache without ``REDIS_URL``.

>>> from dashboard.cache import connect
>>> cache = connect(None)
>>> cache.get_or_compute("k", lambda: pl.DataFrame({"a": [1]}), ttl=60)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from dashboard.cache.base import Cache, CacheResult
from dashboard.cache.keys import KEY_VERSION, make_key
from dashboard.cache.memory import MemoryCache

__all__ = ["KEY_VERSION", "Cache", "CacheResult", "MemoryCache", "connect", "make_key"]


def connect(url: str | None, **options: Any) -> Cache:
    """``redis://``/``rediss://``/``unix://`` → :class:`RedisCache`; ``None`` → :class:`MemoryCache`."""
    if url is None or url == "":
        return MemoryCache(**options)
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("redis", "rediss", "unix"):
        from dashboard.cache.redis_cache import RedisCache

        return RedisCache(url, **options)
    msg = f"unsupported cache URL {url!r}; expected redis://, rediss:// or none for in-process"
    raise ValueError(msg)
