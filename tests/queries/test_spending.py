"""Spending queries on hand-built documents, with hand-computed answers.

The user lives in America/Los_Angeles (UTC−8 in winter, UTC−7 from 2026-03-08 02:00 local).
"""

from __future__ import annotations

import datetime as dt

import bson
import polars as pl
from polars.testing import assert_frame_equal

from dashboard.core.identity import AuthUser
from dashboard.core.periods import Period
from dashboard.store import Store
from queries import spending
from tests.factories import expense, utc

OTHER = bson.ObjectId("650000000000000000000099")


def _run(store: Store, query) -> pl.DataFrame:
    return store.aggregate_frame(query.collection, query.pipeline, schema=query.schema)


def test_a_late_evening_expense_counts_on_its_local_day(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            # 2026-01-02 07:30 UTC is 2026-01-01 23:30 in Los Angeles: it belongs to January 1st.
            expense(la_user, utc(2026, 1, 2, 7, 30), 20.0),
            # 2026-01-02 08:30 UTC is 00:30 on the 2nd.
            expense(la_user, utc(2026, 1, 2, 8, 30), 5.0),
        ],
    )
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 2), tz=la_user.timezone)
    out = _run(store, spending.over_time(la_user, period, unit="day"))
    expected = pl.DataFrame(
        {
            "bucket": [utc(2026, 1, 1, 8), utc(2026, 1, 2, 8)],  # local midnights in UTC
            "total": [20.0, 5.0],
            "count": [1, 1],
        },
        schema=out.schema,
    )
    assert_frame_equal(out, expected)
    hours = _run(store, spending.by_hour(la_user, period))
    assert hours.rows() == [(0, 5.0, 1), (23, 20.0, 1)]


def test_period_bounds_are_local_days(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            expense(la_user, utc(2026, 1, 1, 7, 59), 1.0),  # Dec 31 23:59 local: outside
            expense(la_user, utc(2026, 1, 1, 8, 0), 2.0),  # Jan 1 00:00 local: inside
            expense(la_user, utc(2026, 2, 1, 7, 59), 4.0),  # Jan 31 23:59 local: inside
            expense(la_user, utc(2026, 2, 1, 8, 0), 8.0),  # Feb 1 00:00 local: outside
        ],
    )
    period = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31), tz=la_user.timezone)
    assert _run(store, spending.totals(la_user, period)).rows() == [(6.0, 2, 4.0)]


def test_weeks_across_the_dst_change_start_on_the_users_day(
    store: Store, la_user: AuthUser
) -> None:
    # DST starts Sunday 2026-03-08. Expenses at local noon on Sat 7th, Sun 8th, Mon 9th.
    store.insert_many(
        "expenses",
        [
            expense(la_user, utc(2026, 3, 7, 20), 1.0),  # 12:00 PST
            expense(la_user, utc(2026, 3, 8, 19), 2.0),  # 12:00 PDT
            expense(la_user, utc(2026, 3, 9, 19), 4.0),  # 12:00 PDT
        ],
    )
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 15), tz=la_user.timezone)
    monday_weeks = _run(
        store, spending.over_time(la_user, period, unit="week", week_start="monday")
    )
    # Monday weeks: Mon 2 Mar (00:00 PST = 08:00 UTC) holds Sat+Sun; Mon 9 Mar (00:00 PDT = 07:00 UTC).
    assert monday_weeks.select("bucket", "total").rows() == [
        (utc(2026, 3, 2, 8), 3.0),
        (utc(2026, 3, 9, 7), 4.0),
    ]
    sunday_weeks = _run(
        store, spending.over_time(la_user, period, unit="week", week_start="sunday")
    )
    # Sunday weeks: Sun 1 Mar (08:00 UTC) holds Sat; Sun 8 Mar 00:00 is still PST (DST starts at 02:00).
    assert sunday_weeks.select("bucket", "total").rows() == [
        (utc(2026, 3, 1, 8), 1.0),
        (utc(2026, 3, 8, 8), 6.0),
    ]


def test_only_the_users_own_live_expenses_count(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            expense(la_user, utc(2026, 5, 10, 18), 10.0, "Food"),
            expense(la_user, utc(2026, 5, 11, 18), 30.0, "Travel"),
            expense(la_user, utc(2026, 5, 12, 18), 99.0, "Food", deleted=utc(2026, 5, 13)),
            expense(OTHER, utc(2026, 5, 10, 18), 500.0, "Food"),
        ],
    )
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), tz=la_user.timezone)
    assert _run(store, spending.by_category(la_user, period)).rows() == [
        ("Travel", 30.0, 1),
        ("Food", 10.0, 1),
    ]
    assert _run(store, spending.by_category(la_user, period, categories=["Food"])).rows() == [
        ("Food", 10.0, 1)
    ]
    assert _run(store, spending.categories(la_user)).to_series().to_list() == ["Food", "Travel"]


def test_category_filters_are_literal(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            expense(la_user, utc(2026, 5, 10, 18), 7.0, "$gt"),
            expense(la_user, utc(2026, 5, 10, 19), 3.0, "Food"),
        ],
    )
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), tz=la_user.timezone)
    assert _run(store, spending.totals(la_user, period, categories=["$gt"])).rows() == [
        (7.0, 1, 7.0)
    ]


def test_weekday_and_months_in_local_time(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            # 2026-06-01 03:00 UTC = Sun 31 May 20:00 PDT: a Sunday (7) in May.
            expense(la_user, utc(2026, 6, 1, 3), 9.0),
            # 2026-06-01 19:00 UTC = Mon 1 June 12:00 PDT: a Monday (1) in June.
            expense(la_user, utc(2026, 6, 1, 19), 1.0),
        ],
    )
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 6, 30), tz=la_user.timezone)
    assert _run(store, spending.by_weekday(la_user, period)).select("weekday", "total").rows() == [
        (1, 1.0),
        (7, 9.0),
    ]
    months = _run(store, spending.over_time(la_user, period, unit="month"))
    assert months.select("bucket", "total").rows() == [
        (utc(2026, 5, 1, 7), 9.0),
        (utc(2026, 6, 1, 7), 1.0),
    ]


def test_top_descriptions_and_rows(store: Store, la_user: AuthUser) -> None:
    store.insert_many(
        "expenses",
        [
            expense(la_user, utc(2026, 5, 2, 18), 4.0, "Food", "Coffee"),
            expense(la_user, utc(2026, 5, 3, 18), 4.5, "Food", "Coffee"),
            expense(la_user, utc(2026, 5, 4, 18), 12.0, "Food", "Lunch"),
            expense(la_user, utc(2026, 5, 5, 18), 50.0, "Travel", "Train"),
        ],
    )
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), tz=la_user.timezone)
    top = _run(store, spending.top_descriptions(la_user, period, category="Food"))
    assert top.rows() == [("Lunch", 12.0, 1), ("Coffee", 8.5, 2)]
    rows = _run(store, spending.expense_rows(la_user, period, categories=["Travel"]))
    assert rows.select("category", "description", "amount").rows() == [("Travel", "Train", 50.0)]
    assert len(rows["id"][0]) == 24


def test_every_query_starts_with_the_users_match(la_user: AuthUser) -> None:
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31), tz=la_user.timezone)
    queries = [
        spending.totals(la_user, period),
        spending.by_category(la_user, period, categories=["Food"]),
        spending.over_time(la_user, period, unit="week"),
        spending.by_category_over_time(la_user, period, unit="month"),
        spending.by_weekday(la_user, period),
        spending.by_hour(la_user, period),
        spending.top_descriptions(la_user, period, category="Food"),
        spending.expense_rows(la_user, period),
        spending.categories(la_user),
    ]
    for q in queries:
        first = q.pipeline[0]["$match"]
        assert (first["userId"], first["deletedAt"]) == (la_user.id, None), q.name
        assert q.scope == la_user.scope
