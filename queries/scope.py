"""Isolation in the query layer: whose documents a query may see, and values kept as data.

Every user-scoped query begins with :func:`own_expenses` (or :func:`own_documents`), built from the
authenticated :class:`~dashboard.auth.models.AuthUser` that only the login flow creates. Queries
spanning users call :func:`require_roles` first. Values that come from widgets, URLs or uploads go
into pipelines only through :func:`literal` / :func:`literal_in`, so ``"$gt"`` or
``{"$ne": None}`` is matched as the value it is, never run as an operator.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable
from typing import Any

import bson

from dashboard.core.identity import AuthUser, PermissionDenied

__all__ = [
    "literal",
    "literal_in",
    "own_documents",
    "own_expenses",
    "require_admin",
    "require_roles",
]

_SCALARS = (str, int, float, bool, dt.datetime, bson.ObjectId, decimal.Decimal, type(None))


def own_expenses(user: AuthUser, **conditions: Any) -> dict[str, Any]:
    """The first stage of every query over the user's own expenses: theirs, not soft-deleted.

    ``conditions`` (built with :func:`literal` and friends) join the same ``$match``, so a date
    range uses the ``{userId, date}`` index and ``$text`` can be in the first stage as MongoDB
    requires; they can never replace the user or the soft-delete condition.
    """
    reserved = {"userId", "deletedAt", "$or", "$nor", "$expr", "$where"} & set(conditions)
    if reserved:
        msg = f"cannot override {sorted(reserved)} in a user-scoped query"
        raise ValueError(msg)
    return {"$match": {"userId": user.id, "deletedAt": None, **conditions}}


def own_documents(user: AuthUser, **conditions: Any) -> dict[str, Any]:
    """The first stage of a query over the user's own documents in a collection without soft delete."""
    reserved = {"userId", "$or", "$nor", "$expr", "$where"} & set(conditions)
    if reserved:
        msg = f"cannot override {sorted(reserved)} in a user-scoped query"
        raise ValueError(msg)
    return {"$match": {"userId": user.id, **conditions}}


def require_roles(user: AuthUser, *roles: str) -> None:
    """Raise :class:`PermissionDenied` unless ``user`` holds one of ``roles`` (or is admin)."""
    if not isinstance(user, AuthUser) or not user.has_role(*roles):
        msg = f"this query spans users and needs the {' or '.join(roles)} role"
        raise PermissionDenied(msg)


def require_admin(user: AuthUser, action: str) -> None:
    """Raise :class:`PermissionDenied` ("only an admin can <action>") unless ``user`` is an admin."""
    if not isinstance(user, AuthUser) or "admin" not in user.roles:
        msg = f"only an admin can {action}"
        raise PermissionDenied(msg)


def literal(value: Any) -> dict[str, Any]:
    """A query condition that matches ``value`` exactly, whatever it looks like."""
    return {"$eq": _scalar(value)}


def literal_in(values: Iterable[Any]) -> dict[str, Any]:
    """A query condition that matches any of ``values`` exactly."""
    return {"$in": [_scalar(v) for v in values]}


def _scalar(value: Any) -> Any:
    if not isinstance(value, _SCALARS):
        msg = f"a filter value must be a plain value, not {type(value).__name__}"
        raise TypeError(msg)
    return value
