"""Data access: one interface, a MongoDB backend and an embedded Polars engine."""

from dashboard.store.base import Store
from dashboard.store.connect import connect, open_store
from dashboard.store.errors import (
    DatabaseUnavailable,
    DuplicateKeyError,
    OperationFailure,
    UnsupportedOperation,
)

__all__ = [
    "DatabaseUnavailable",
    "DuplicateKeyError",
    "OperationFailure",
    "Store",
    "UnsupportedOperation",
    "connect",
    "open_store",
]
