"""Cache keys derived from a query function's name and a stable hash of its arguments.

Two pages asking the same question (same function, same arguments) share one entry. The hash is of a
canonical JSON form, so it is the same in every process and every run (Python's ``hash`` is not).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

import bson

__all__ = ["KEY_VERSION", "make_key"]

#: Bump when the shape of cached values changes, so a new release never reads old entries.
KEY_VERSION = "v1"


def _canonical(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return {"$date": value.astimezone(dt.UTC).isoformat()}
    if isinstance(value, dt.date):
        return {"$day": value.isoformat()}
    if isinstance(value, bson.ObjectId):
        return {"$oid": str(value)}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$dc": type(value).__name__, **_canonical(dataclasses.asdict(value))}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, set | frozenset):
        return {"$set": sorted((_canonical(v) for v in value), key=json.dumps)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    msg = f"cannot derive a cache key from a {type(value).__name__}"
    raise TypeError(msg)


def make_key(function: Callable[..., Any] | str, *args: Any, **kwargs: Any) -> str:
    """``"<module.function>:<hash of the arguments>"``.

    >>> make_key("spending.by_category", "u1", period="2025-10")
    'spending.by_category:0f1b...'  # doctest: +SKIP
    """
    name = (
        function if isinstance(function, str) else f"{function.__module__}.{function.__qualname__}"
    )
    payload = json.dumps([_canonical(list(args)), _canonical(kwargs)], separators=(",", ":"))
    digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
    return f"{name}:{digest}"
