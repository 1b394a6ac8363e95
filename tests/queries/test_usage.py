"""Usage queries on hand-built documents, with hand-computed answers.

The period is Monday 2 March .. Sunday 15 March 2026, in UTC: ``utc_bounds`` = [2 Mar 00:00,
16 Mar 00:00). Activity is read from the daily activity rollup, which each test builds from its
requests and expenses with :func:`usage.activity_refresh` first.
"""

from __future__ import annotations

import datetime as dt

import bson
import polars as pl
import pytest

from dashboard.core.identity import AuthUser, PermissionDenied
from dashboard.core.periods import Period
from dashboard.store import Store
from dashboard.views.usage import activation_table
from queries import usage
from tests.factories import expense, utc

PERIOD = Period(dt.date(2026, 3, 2), dt.date(2026, 3, 15), tz="UTC")
A, B, C, D = (bson.ObjectId(f"6600000000000000000000a{i}") for i in range(4))


def _user(*roles: str) -> AuthUser:
    return AuthUser(id=bson.ObjectId(), username="p", name="P", email=None, roles=roles)


@pytest.fixture
def product() -> AuthUser:
    return _user("product")


def _run(store: Store, query) -> pl.DataFrame:
    return store.aggregate_frame(query.collection, query.pipeline, schema=query.schema)


def request(when: dt.datetime, route: str, user: bson.ObjectId | None) -> dict:
    return {"ts": when, "method": "GET", "route": route, "status": 200, "latencyMs": 5.0,
            "dbMs": 1.0, "userId": user, "bytes": 100}  # fmt: skip


def account(uid: bson.ObjectId, created: dt.datetime, **more: object) -> dict:
    return {"_id": uid, "username": str(uid), "createdAt": created, "timezone": "UTC",
            "currency": "USD", "roles": ["user"], **more}  # fmt: skip


def _roll_up(store: Store, user: AuthUser) -> None:
    """Build the activity rollup from everything before April, as a rebuild does."""
    query = usage.activity_refresh(user, since=None, until=utc(2026, 4, 1))
    assert store.aggregate(query.collection, query.pipeline) == []


def test_the_activity_rollup_has_one_document_per_utc_day_and_user(
    store: Store, product: AuthUser
) -> None:
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 2, 10), "/api/expenses", A),
            request(utc(2026, 3, 2, 23, 59), "/api/expenses/:id", A),  # same day and family
            request(utc(2026, 3, 2, 11), "/api/budgets", A),
            request(utc(2026, 3, 4, 12), "/api/health", None),  # anonymous: nobody's activity
            request(utc(2026, 3, 4, 13), "/api/auth/login", None),
            request(utc(2026, 2, 1, 0, 0), "/api/users/me", B),
        ],
    )
    store.insert_many(
        "expenses",
        [
            # Creating counts (``createdAt``), not the day the money was spent (``date``).
            {**expense(A, utc(2026, 1, 5), 1.0), "createdAt": utc(2026, 3, 2, 12)},
            expense(A, utc(2026, 3, 3, 0, 30), 2.0),  # A on the 3rd, by an expense only
            expense(C, utc(2026, 3, 15, 23, 59), 3.0, deleted=utc(2026, 3, 16)),  # still created
        ],
    )
    store.insert_many("users", [account(A, utc(2026, 1, 2)), account(D, utc(2026, 3, 1))])
    _roll_up(store, product)
    rows = store.find(usage.ACTIVITY, {}, sort=[("day", 1), ("requests", -1)])
    got = [
        (r["day"], r.get("userId"), r["requests"], r["expenses"],
         sorted((f["family"], f["requests"]) for f in r["families"]), r.get("signedUp"))
        for r in rows
    ]  # fmt: skip
    assert got == [
        (utc(2026, 2, 1), B, 1, 0, [("users", 1)], None),  # B has no account document
        (utc(2026, 3, 2), A, 3, 1, [("budgets", 1), ("expenses", 2)], utc(2026, 1, 2)),
        (utc(2026, 3, 3), A, 0, 1, [], utc(2026, 1, 2)),
        (utc(2026, 3, 4), None, 2, 0, [("auth", 1), ("health", 1)], None),
        (utc(2026, 3, 15), C, 0, 1, [], None),
    ]
    days = store.aggregate_frame(usage.ACTIVITY, usage.activity_days(product).pipeline)
    assert days.rows() == [(utc(2026, 2, 1), 1), (utc(2026, 3, 2), 3), (utc(2026, 3, 3), 0),
                           (utc(2026, 3, 4), 2), (utc(2026, 3, 15), 0)]  # fmt: skip


def test_a_recount_replaces_its_days_and_keeps_the_others(store: Store, product: AuthUser) -> None:
    store.insert_many("api_requests", [request(utc(2026, 3, d, 9), "/api/expenses", A) for d in (2, 3)])  # fmt: skip
    _roll_up(store, product)
    store.insert_many("api_requests", [request(utc(2026, 3, 3, 10), "/api/budgets", A)])
    query = usage.activity_refresh(product, since=utc(2026, 3, 3), until=utc(2026, 3, 4))
    store.aggregate(query.collection, query.pipeline)
    rows = store.find(usage.ACTIVITY, {}, sort=[("day", 1)])
    assert [(r["day"], r["requests"]) for r in rows] == [(utc(2026, 3, 2), 1), (utc(2026, 3, 3), 2)]


def test_active_users_are_the_distinct_signed_in_users_of_the_period(
    store: Store, product: AuthUser
) -> None:
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 2, 0, 0), "/api/expenses", A),  # the period's first instant
            request(utc(2026, 3, 9), "/api/expenses", A),  # A again: once
            request(utc(2026, 3, 1, 23, 59), "/api/expenses", B),  # the day before
            request(utc(2026, 3, 16, 0, 0), "/api/expenses", C),  # the day after
            request(utc(2026, 3, 5), "/api/health", None),  # anonymous
        ],
    )
    store.insert_many("expenses", [expense(D, utc(2026, 3, 15, 23, 59), 1.0)])
    _roll_up(store, product)
    assert _run(store, usage.active_users(product, PERIOD))["userId"].to_list() == sorted(
        [str(A), str(D)]
    )


def test_active_counts_with_no_activity_are_empty_with_their_columns(
    store: Store, product: AuthUser
) -> None:
    store.insert_many("users", [account(D, utc(2026, 3, 3))])
    _roll_up(store, product)
    out = _run(store, usage.active_counts(product, PERIOD))
    assert out.height == 0
    assert out.columns == ["day", "dau", "wau", "mau"]


def test_active_counts_change_where_spans_start_and_end(store: Store, product: AuthUser) -> None:
    # A on 2 and 4 March, B on 4 March. Spans: A from the 2nd, cut on the 4th by A's next active
    # day; A and B from the 4th, until the 11th in the weekly window (4 + 7) and 3 April in the
    # monthly one (4 + 30). Rows come only on days where spans start or end; DAU is the day's
    # starts (0 on the other rows), WAU and MAU running sums of starts minus ends.
    store.insert_many(
        "api_requests",
        [request(utc(2026, 3, d, 9), "/api/expenses", A) for d in (2, 4)]
        + [request(utc(2026, 3, 4, 18), "/api/budgets", B)],
    )
    _roll_up(store, product)
    out = _run(store, usage.active_counts(product, PERIOD))
    assert out.rows() == [
        (utc(2026, 3, 2), 1, 1, 1),
        (utc(2026, 3, 4), 2, 2, 2),  # A's first span ends (−1), A and B start (+2)
        (utc(2026, 3, 11), 0, 0, 2),
        (utc(2026, 4, 3), 0, 0, 0),
    ]


def test_cohort_activity_counts_each_user_once_per_week(store: Store, product: AuthUser) -> None:
    store.insert_many(
        "users",
        [
            account(A, utc(2026, 3, 3, 8)),  # cohort of 2 March
            account(B, utc(2026, 3, 10, 8)),  # cohort of 9 March
            account(C, utc(2026, 2, 20)),  # signed up before the period: no cohort
        ],
    )
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 3, 9), "/api/expenses", A),
            request(utc(2026, 3, 4, 9), "/api/expenses", A),  # same week: once
            request(utc(2026, 3, 12, 9), "/api/expenses", A),
            request(utc(2026, 3, 15, 9), "/api/expenses", B),  # Sunday: still the 9 March week
            request(utc(2026, 3, 3, 9), "/api/expenses", C),
        ],
    )
    _roll_up(store, product)
    out = _run(store, usage.cohort_activity(product, PERIOD))
    assert out.rows() == [
        (utc(2026, 3, 2), utc(2026, 3, 2), 1),
        (utc(2026, 3, 2), utc(2026, 3, 9), 1),
        (utc(2026, 3, 9), utc(2026, 3, 9), 1),
    ]
    sunday = _run(store, usage.cohort_activity(product, PERIOD, week_start=7))
    assert sunday.rows() == [  # weeks from Sunday 1, 8 and 15 March
        (utc(2026, 3, 1), utc(2026, 3, 1), 1),
        (utc(2026, 3, 1), utc(2026, 3, 8), 1),
        (utc(2026, 3, 8), utc(2026, 3, 15), 1),
    ]


def test_route_families_count_requests_and_distinct_users(store: Store, product: AuthUser) -> None:
    store.insert_many(
        "api_requests",
        [
            request(utc(2026, 3, 3, 9), "/api/expenses", A),
            request(utc(2026, 3, 3, 10), "/api/expenses", A),
            request(utc(2026, 3, 4, 9), "/api/expenses/:id", A),
            request(utc(2026, 3, 5, 9), "/api/expenses/stats", B),
            request(utc(2026, 3, 5, 9), "/api/auth/login", A),
            request(utc(2026, 3, 6, 9), "/api/budgets", B),  # the only request of its route
            request(utc(2026, 3, 6, 9), "/api", C),  # no second segment
            request(utc(2026, 3, 6, 9), "/api/health", None),  # anonymous: a request, no user
            request(utc(2026, 3, 7, 9), "/api/auth/register", None),
            request(utc(2026, 3, 16, 0), "/api/budgets", A),  # after the period
        ],
    )
    _roll_up(store, product)
    out = _run(store, usage.route_families(product, PERIOD))
    # expenses: A ×3 (/api/expenses ×2, /:id) + B ×1 (/stats) = 4 requests by 2 users;
    # auth: A's login + an anonymous sign-up = 2 requests by 1 user.
    assert out.rows() == [
        ("expenses", 4, 2),
        ("auth", 2, 1),
        ("budgets", 1, 1),
        ("health", 1, 0),
        ("other", 1, 1),
    ]


def test_new_users_are_the_periods_sign_ups(store: Store, product: AuthUser) -> None:
    store.insert_many(
        "users",
        [
            account(A, utc(2026, 3, 15, 23)),
            account(B, utc(2026, 3, 2, 9)),
            account(C, utc(2026, 3, 1, 23, 59)),  # the day before
            account(D, utc(2026, 3, 16, 0)),  # the day after
        ],
    )
    out = _run(store, usage.new_users(product, PERIOD))
    assert out.rows() == [(str(B), utc(2026, 3, 2, 9)), (str(A), utc(2026, 3, 15, 23))]


def test_first_expenses_cover_seven_days_after_the_period(store: Store, product: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            expense(A, utc(2026, 3, 9, 8), 1.0),
            expense(A, utc(2026, 3, 4, 10), 1.0),  # A's first
            expense(B, utc(2026, 3, 22, 23, 59), 1.0),  # end + 7 days: still read
            expense(B, utc(2026, 3, 23, 0, 0), 1.0),  # one instant too late
            expense(C, utc(2026, 3, 1, 23), 1.0),  # before the period
        ],
    )
    out = _run(store, usage.first_expenses(product, PERIOD)).sort("userId")
    assert out.rows() == [(str(A), utc(2026, 3, 4, 10)), (str(B), utc(2026, 3, 22, 23, 59))]


def test_activation_counts_utc_days_day_seven_yes_day_eight_no(
    store: Store, product: AuthUser
) -> None:
    store.insert_many(
        "users",
        [
            account(A, utc(2026, 3, 2, 23)),
            account(B, utc(2026, 3, 2, 1)),
            account(C, utc(2026, 3, 3, 12)),  # never records an expense
        ],
    )
    store.insert_many(
        "expenses",
        [
            # A: signed up on the 2nd, first expense on the 9th = day 7 (only 6 days 30 min later).
            expense(A, utc(2026, 3, 9, 23, 30), 1.0),
            # B: signed up on the 2nd, first expense on the 10th = day 8 (7 days 23 h later).
            expense(B, utc(2026, 3, 10, 0, 10), 1.0),
            expense(B, utc(2026, 3, 12), 1.0),
        ],
    )
    table = activation_table(
        _run(store, usage.new_users(product, PERIOD)),
        _run(store, usage.first_expenses(product, PERIOD)),
    ).sort("user")
    assert table.select("user", "activated").rows() == [
        (str(A), True),
        (str(B), False),
        (str(C), False),
    ]
    assert table.filter(pl.col("user") == str(C))["first_expense"].to_list() == [None]


def test_user_segments_take_the_zones_first_part(store: Store, product: AuthUser) -> None:
    store.insert_many(
        "users",
        [
            account(A, utc(2026, 1, 1), timezone="Europe/Berlin", currency="EUR"),
            account(B, utc(2026, 1, 1), timezone="UTC"),
            account(C, utc(2026, 1, 1), timezone="America/Argentina/Buenos_Aires", currency="ARS"),
            {"_id": D, "username": "d", "createdAt": utc(2026, 1, 1)},  # no zone, no currency
        ],
    )
    out = _run(store, usage.user_segments(product)).sort("userId")
    assert out.rows() == [
        (str(A), "EUR", "Europe"),
        (str(B), "USD", "UTC"),
        (str(C), "ARS", "America"),
        (str(D), "Unknown", "UTC"),
    ]


ALL_QUERIES = [
    lambda user: usage.activity_refresh(user, since=None, until=utc(2026, 4, 1)),
    lambda user: usage.activity_days(user),
    lambda user: usage.active_counts(user, PERIOD),
    lambda user: usage.active_users(user, PERIOD),
    lambda user: usage.cohort_activity(user, PERIOD),
    lambda user: usage.new_users(user, PERIOD),
    lambda user: usage.first_expenses(user, PERIOD),
    lambda user: usage.route_families(user, PERIOD),
    lambda user: usage.user_segments(user),
]


@pytest.mark.parametrize("build", ALL_QUERIES)
@pytest.mark.parametrize("roles", [("user",), ("finance",), ()])
def test_usage_queries_refuse_other_roles(build, roles: tuple[str, ...]) -> None:
    with pytest.raises(PermissionDenied, match="product role"):
        build(_user(*roles))


@pytest.mark.parametrize("build", ALL_QUERIES)
@pytest.mark.parametrize("roles", [("product",), ("admin",), ("user", "product")])
def test_usage_queries_are_global_for_product_and_admin(build, roles: tuple[str, ...]) -> None:
    query = build(_user(*roles))
    assert query.scope == "global"
    assert query.name.startswith("usage.")
