"""Hand-built documents for query tests: one user in Los Angeles, another user, a soft delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import bson
import pytest

from dashboard.auth.models import AuthUser
from dashboard.store import Store, connect


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def la_user() -> AuthUser:
    return AuthUser(
        id=bson.ObjectId("650000000000000000000001"),
        username="ana",
        name="Ana",
        email=None,
        roles=("user",),
        timezone="America/Los_Angeles",
        currency="USD",
    )


@pytest.fixture
def store() -> Iterator[Store]:
    s = connect("memory://")
    yield s
    s.close()


def expense(user: AuthUser | bson.ObjectId, when: dt.datetime, amount: float, category: str = "Food",
            description: str = "Lunch", deleted: dt.datetime | None = None) -> dict:  # fmt: skip
    uid = user.id if isinstance(user, AuthUser) else user
    return {
        "userId": uid, "amount": amount, "currency": "USD", "category": category,
        "description": description, "tags": [], "date": when, "createdAt": when,
        "updatedAt": when, "deletedAt": deleted,
    }  # fmt: skip
