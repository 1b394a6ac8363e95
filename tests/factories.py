"""Document factories shared by the tests: hand-built expenses, API requests and signed-in users.

Plain functions (not fixtures) so a test states its data in its own body; the fixtures that need them
(stores, users) are in the ``conftest.py`` files.
"""

from __future__ import annotations

import datetime as dt

import bson

from dashboard.core.identity import AuthUser

__all__ = [
    "ADMIN", "MISSING", "PLAIN", "PRODUCT", "account", "broken_expense", "expense", "request", "utc",
]  # fmt: skip


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def account(*roles: str) -> AuthUser:
    """A signed-in user with ``roles``, named after the first one."""
    return AuthUser(id=bson.ObjectId(), username=roles[0], name=roles[0], email=None, roles=roles)


PRODUCT, ADMIN, PLAIN = account("product"), account("admin"), account("user", "finance")


def request(when: dt.datetime, latency: float, *, status: int = 200, route: str = "/api/expenses",
            method: str = "GET", db: float = 1.0) -> dict:  # fmt: skip
    return {
        "ts": when, "method": method, "route": route, "status": status, "latencyMs": latency,
        "dbMs": db, "userId": None, "bytes": 100,
    }  # fmt: skip


def expense(user: AuthUser | bson.ObjectId, when: dt.datetime, amount: float, category: str = "Food",
            description: str = "Lunch", deleted: dt.datetime | None = None) -> dict:  # fmt: skip
    uid = user.id if isinstance(user, AuthUser) else user
    return {
        "userId": uid, "amount": amount, "currency": "USD", "category": category,
        "description": description, "tags": [], "date": when, "createdAt": when,
        "updatedAt": when, "deletedAt": deleted,
    }  # fmt: skip


#: Given as a field's value to :func:`broken_expense`: the field is left out of the document.
MISSING = object()


def broken_expense(user: AuthUser | bson.ObjectId, when: dt.datetime, **fields: object) -> dict:
    """A 10.00 Food expense of ``user`` at ``when`` with ``fields`` replaced (``MISSING``: removed),
    as the Expense Tracker may store it: ``broken_expense(u, t, amount=math.nan)``."""
    doc = expense(user, when, 10.0)
    for name, value in fields.items():
        if value is MISSING:
            doc.pop(name)
        else:
            doc[name] = value
    return doc
