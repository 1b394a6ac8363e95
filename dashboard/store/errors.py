"""Errors raised by every store backend, shaped like pymongo's so callers catch one family."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError, OperationFailure, PyMongoError

__all__ = [
    "DatabaseUnavailable",
    "DuplicateKeyError",
    "OperationFailure",
    "PyMongoError",
    "StoreError",
    "UnsupportedOperation",
]


class StoreError(PyMongoError):
    """Base class for Spendlens store errors that pymongo has no class for."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached (server down, wrong URI, data directory locked)."""


class UnsupportedOperation(OperationFailure):
    """The embedded engine does not implement an operator: it refuses rather than answer differently."""

    def __init__(self, operator: str, *, where: str = "") -> None:
        self.operator = operator
        self.where = where
        place = f" in {where}" if where else ""
        msg = f"embedded engine does not support {operator}{place}"
        super().__init__(msg, code=168)
