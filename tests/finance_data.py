"""Hand-built data for the finance tests: users in two currencies, amounts whose float sums drift,
soft deletes, spreadsheet-formula descriptions, and an independent plain-Python computation."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import bson

from dashboard.cache import connect as connect_cache
from dashboard.core.identity import AuthUser
from dashboard.core.settings import Settings
from dashboard.data.runner import Runner
from dashboard.store import Store
from tests.factories import broken_expense, expense, utc

UTC = dt.UTC
ALICE = bson.ObjectId("660000000000000000000001")
BOB = bson.ObjectId("660000000000000000000002")
EVIL = bson.ObjectId("660000000000000000000003")
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(1)", "\tTabbed", "\rReturn"]
CATEGORIES = ("Food", "Transport", "Housing", "Other")


def finance_user(roles: tuple[str, ...] = ("finance",)) -> AuthUser:
    return AuthUser(
        id=bson.ObjectId("6600000000000000000000ff"),
        username="fin",
        name="Fin",
        email=None,
        roles=roles,
    )


def runner_for(store: Store) -> Runner:
    return Runner(store=store, cache=connect_cache(None), settings=Settings())


def _expense(user: bson.ObjectId, when: dt.datetime, amount: float, category: str,
             currency: str, description: str = "Lunch",
             deleted: dt.datetime | None = None) -> dict:  # fmt: skip
    return {
        "userId": user, "amount": amount, "currency": currency, "category": category,
        "description": description, "tags": [], "date": when, "createdAt": when,
        "updatedAt": when, "deletedAt": deleted,
    }  # fmt: skip


def seed_finance(store: Store, *, seed: int = 11) -> None:
    """Users alice (USD), bob (EUR) and ``@evil`` (USD); expenses Aug–Oct 2025 and Oct 2024."""
    store.insert_many(
        "users",
        [
            {"_id": ALICE, "username": "alice", "name": "Alice", "currency": "USD", "roles": ["user"]},
            {"_id": BOB, "username": "bob", "name": "Bob", "currency": "EUR", "roles": ["user"]},
            {"_id": EVIL, "username": "@evil", "name": "Evil", "currency": "USD", "roles": ["user"]},
        ],
    )  # fmt: skip
    rng = random.Random(seed)
    docs = []
    start = dt.datetime(2025, 8, 1, tzinfo=UTC)
    for i in range(900):
        user, currency = [(ALICE, "USD"), (BOB, "EUR"), (EVIL, "USD")][i % 3]
        when = start + dt.timedelta(minutes=rng.randrange(92 * 24 * 60))
        amount = rng.choice([0.1, 0.2, 0.3, 0.7, 1.15, 2.675 - 0.005, rng.randint(1, 99999) / 100])
        description = FORMULAS[i % len(FORMULAS)] if i % 50 == 0 else f"Item {i} café"
        docs.append(
            _expense(user, when, round(amount, 2), CATEGORIES[i % 4], currency, description)
        )
    for i in range(60):  # the same month a year earlier
        when = dt.datetime(2024, 10, 1, tzinfo=UTC) + dt.timedelta(hours=12 * i)
        docs.append(_expense(ALICE, when, 10.1, CATEGORIES[i % 4], "USD"))
    # Oct 1 00:30 in Paris, still Sep 30 in UTC; and Oct 31 23:30 UTC = Nov 1 in Paris.
    docs.append(_expense(ALICE, dt.datetime(2025, 9, 30, 22, 30, tzinfo=UTC), 7.77, "Food", "USD"))
    docs.append(_expense(BOB, dt.datetime(2025, 10, 31, 23, 30, tzinfo=UTC), 8.88, "Food", "EUR"))
    deleted_at = dt.datetime(2025, 11, 2, tzinfo=UTC)
    for i in range(5):
        when = dt.datetime(2025, 10, 10 + i, 12, tzinfo=UTC)
        docs.append(_expense(BOB, when, 99.99, "Other", "EUR", "=deleted", deleted=deleted_at))
    store.insert_many("expenses", docs)


def bounds(start: dt.date, end: dt.date, tz: str) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(tz)
    lo = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return lo.astimezone(UTC), hi.astimezone(UTC)


def expected_totals(
    store: Store, start: dt.date, end: dt.date, tz: str
) -> tuple[dict[str, Decimal], dict[tuple[str, str], Decimal], dict[str, int], list[dict]]:
    """Plain Python over the raw documents: totals per currency and per (category, currency) as
    ``Decimal`` sums of the two-decimal amounts, counts per currency, and the soft-deleted docs."""
    lo, hi = bounds(start, end, tz)
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    per_category: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[str, int] = defaultdict(int)
    deleted = []
    for doc in store.find("expenses", {}):
        if not lo <= doc["date"] < hi:
            continue
        if doc.get("deletedAt") is not None:
            deleted.append(doc)
            continue
        amount = Decimal(str(doc["amount"]))
        per_currency[doc["currency"]] += amount
        per_category[(doc["category"], doc["currency"])] += amount
        counts[doc["currency"]] += 1
    return dict(per_currency), dict(per_category), dict(counts), deleted


def seed_malformed(store: Store) -> None:
    """Usable: alice USD 12.34 + 0.10 + 0.20, bob EUR 5.00. Unusable: eight live, one deleted."""
    when = utc(2025, 10, 15, 12)
    store.insert_many(
        "users",
        [{"_id": ALICE, "username": "alice", "roles": ["user"]},
         {"_id": BOB, "username": "bob", "roles": ["user"]}],
    )  # fmt: skip
    bob_eur = {"currency": "EUR"}
    store.insert_many(
        "expenses",
        [
            expense(ALICE, when, 12.34, "Food"),
            expense(ALICE, utc(2025, 10, 16, 8), 0.1, "Transport"),
            expense(ALICE, utc(2025, 10, 17, 8), 0.2, "Transport"),
            {**expense(BOB, when, 5.0, "Food"), **bob_eur},
            broken_expense(ALICE, when, amount=math.nan),
            broken_expense(BOB, when, amount=math.inf, **bob_eur),
            broken_expense(ALICE, utc(2025, 10, 20), amount=1e308),
            broken_expense(ALICE, when, amount=3.0, category=None),
            broken_expense(BOB, when, amount=4.0, currency=None),
            broken_expense(ALICE, when, date=None),
            broken_expense(ALICE, when, date=utc(9999, 12, 31)),  # a typo: read as no date
            broken_expense(ALICE, when, amount=6.0, userId=None),  # nobody's: no spender
            broken_expense(ALICE, when, amount=math.nan, deletedAt=utc(2025, 11, 1)),
        ],
    )
