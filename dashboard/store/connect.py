"""``connect(uri)``: pick the backend from the URI's scheme."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dashboard.core.settings import Settings
from dashboard.store.base import Store

__all__ = ["connect", "open_store", "store_options"]

_SCHEMES = "mongodb://, mongodb+srv://, embedded:///absolute/dir or memory://"


def connect(uri: str, *, db_name: str = "expense_tracker", **options: Any) -> Store:
    """A store for ``uri``: MongoDB for ``mongodb[+srv]://``, the embedded engine otherwise.

    >>> store = connect("memory://")
    >>> store.insert_many("expenses", [{"amount": 1.5}])  # doctest: +ELLIPSIS
    [ObjectId(...)]
    """
    if not isinstance(uri, str) or not uri.strip():
        msg = f"store URI is empty; expected {_SCHEMES}"
        raise ValueError(msg)
    scheme = uri.split("://", 1)[0].lower() if "://" in uri else ""
    if scheme in ("mongodb", "mongodb+srv"):
        from dashboard.store.mongo import MongoStore

        return MongoStore(uri, db_name=db_name, **options)
    if scheme == "memory":
        if uri.rstrip("/") != "memory:":
            msg = f"memory:// takes no path, got {uri!r}"
            raise ValueError(msg)
        from dashboard.store.embedded import EmbeddedStore

        return EmbeddedStore(None, db_name=db_name, max_time_ms=options.get("max_time_ms"))
    if scheme == "embedded":
        return _embedded(uri, db_name=db_name, max_time_ms=options.get("max_time_ms"))
    msg = f"unsupported store URI {uri!r}; expected {_SCHEMES}"
    raise ValueError(msg)


def _embedded(uri: str, *, db_name: str, max_time_ms: int | None) -> Store:
    from dashboard.store.embedded import EmbeddedStore

    parts = urlsplit(uri)
    if parts.netloc not in ("", "localhost"):
        msg = f"embedded URI must be embedded:///absolute/dir (three slashes), got {uri!r}"
        raise ValueError(msg)
    path = Path(unquote(parts.path))
    if not path.is_absolute() or not parts.path or path == Path(path.anchor):
        msg = f"embedded URI needs an absolute directory, got {uri!r}"
        raise ValueError(msg)
    if path.exists() and not path.is_dir():
        msg = f"embedded URI points at {path}, which is a file, not a directory"
        raise ValueError(msg)
    return EmbeddedStore(path, db_name=db_name, max_time_ms=max_time_ms)


def store_options(settings: Settings, uri: str) -> dict[str, Any]:
    """The :func:`connect` options ``settings`` give a store at ``uri``: the time limit of every
    operation and, for MongoDB, the read preference, server selection timeout and pool size."""
    options: dict[str, Any] = {"max_time_ms": settings.max_time_ms}
    if uri.startswith("mongodb"):
        options |= {
            "read_preference": settings.read_preference,
            "server_selection_timeout_ms": settings.server_selection_timeout_ms,
            "max_pool_size": settings.max_pool_size,
        }
    return options


def open_store(settings: Settings, *, uri: str | None = None, **overrides: Any) -> Store:
    """The store ``settings`` describe (or ``uri``), opened with :func:`store_options`."""
    uri = uri or settings.store_uri
    return connect(uri, db_name=settings.mongodb_db, **(store_options(settings, uri) | overrides))
