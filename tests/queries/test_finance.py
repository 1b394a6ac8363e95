"""Finance queries on hand-built documents: roles, exact cents, soft deletes, the reporting zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from dashboard.core.identity import PermissionDenied
from dashboard.core.periods import Period
from dashboard.store import Store
from queries import finance
from tests.finance_data import BOB, expected_totals, finance_user, seed_finance

OCT = Period(dt.date(2025, 10, 1), dt.date(2025, 10, 31), "Europe/Paris")


def _run(store: Store, query) -> pl.DataFrame:
    return store.aggregate_frame(query.collection, query.pipeline, schema=query.schema)


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_finance(store)
    return store


@pytest.mark.parametrize(
    "build",
    [
        lambda u: finance.totals_by_currency(u, OCT),
        lambda u: finance.totals_by_category(u, OCT),
        lambda u: finance.totals_by_month(u, OCT),
        lambda u: finance.top_spenders(u, OCT),
        lambda u: finance.spender_count(u, OCT),
        lambda u: finance.deleted_expenses(u, OCT),
        lambda u: finance.hourly_counts(u, OCT),
        lambda u: finance.export_rows(u, OCT),
        finance.usernames,
    ],
)
def test_every_query_needs_the_finance_role_and_spans_all_users(build) -> None:
    for roles in (("user",), ("product",), ("user", "product")):
        with pytest.raises(PermissionDenied):
            build(finance_user(roles))
    for roles in (("finance",), ("admin",)):
        query = build(finance_user(roles))
        assert query.scope == "global"
        assert query.name.startswith("finance.")


def test_totals_are_exact_cents_where_the_float_sum_drifts(seeded: Store) -> None:
    user = finance_user()
    per_currency, per_category, counts, _ = expected_totals(seeded, OCT.start, OCT.end, OCT.tz)
    floats: dict[str, float] = {}
    lo, hi = OCT.utc_bounds()
    for doc in seeded.find("expenses", {"deletedAt": None}):
        if lo <= doc["date"] < hi:
            floats[doc["currency"]] = floats.get(doc["currency"], 0.0) + doc["amount"]
    # The test data is chosen so that a plain float sum is off by a little.
    assert any(Decimal(repr(floats[c])) != per_currency[c] for c in floats)
    totals = _run(seeded, finance.totals_by_currency(user, OCT))
    got = {r["currency"]: Decimal(r["cents"]).scaleb(-2) for r in totals.iter_rows(named=True)}
    assert got == per_currency
    assert dict(zip(totals["currency"], totals["count"], strict=True)) == counts
    cats = _run(seeded, finance.totals_by_category(user, OCT))
    got_cats = {
        (r["category"], r["currency"]): Decimal(r["cents"]).scaleb(-2)
        for r in cats.iter_rows(named=True)
    }
    assert got_cats == per_category


def test_soft_deleted_expenses_are_excluded_and_listed_separately(seeded: Store) -> None:
    user = finance_user()
    totals = _run(seeded, finance.totals_by_currency(user, OCT))
    eur_docs = [
        d for d in seeded.find("expenses", {"userId": BOB, "currency": "EUR"})
        if d["deletedAt"] is None and OCT.utc_bounds()[0] <= d["date"] < OCT.utc_bounds()[1]
    ]  # fmt: skip
    assert totals.filter(pl.col("currency") == "EUR")["count"][0] == len(eur_docs)
    deleted = _run(seeded, finance.deleted_expenses(user, OCT))
    assert deleted.height == 5
    assert set(deleted["cents"]) == {9999}
    assert set(deleted["user_id"]) == {str(BOB)}
    rows = _run(seeded, finance.export_rows(user, OCT))
    assert not set(rows["expense_id"]) & set(deleted["expense_id"])


def test_periods_are_read_in_the_reporting_zone(seeded: Store) -> None:
    user = finance_user()
    paris = _run(seeded, finance.export_rows(user, OCT))
    utc = _run(seeded, finance.export_rows(user, Period(OCT.start, OCT.end, "UTC")))
    # 2025-09-30 22:30 UTC is October 1st in Paris; 2025-10-31 23:30 UTC is November 1st there.
    early = str(
        seeded.find("expenses", {"date": dt.datetime(2025, 9, 30, 22, 30, tzinfo=dt.UTC)})[0]["_id"]
    )
    late = str(
        seeded.find("expenses", {"date": dt.datetime(2025, 10, 31, 23, 30, tzinfo=dt.UTC)})[0][
            "_id"
        ]
    )
    assert early in paris["expense_id"] and late not in paris["expense_id"]
    assert late in utc["expense_id"] and early not in utc["expense_id"]
    assert paris["date"].is_sorted()


def test_months_are_local_and_top_spenders_are_ranked_per_currency(seeded: Store) -> None:
    user = finance_user()
    q3 = Period(dt.date(2025, 8, 1), dt.date(2025, 10, 31), "Europe/Paris")
    months = _run(seeded, finance.totals_by_month(user, q3))
    local = months["month"].dt.convert_time_zone("Europe/Paris").dt.date().unique().sort()
    assert local.to_list() == [dt.date(2025, 8, 1), dt.date(2025, 9, 1), dt.date(2025, 10, 1)]
    top = _run(seeded, finance.top_spenders(user, q3, limit=1))
    assert top["currency"].to_list() == ["EUR", "USD"]
    assert top["place"].to_list() == [1, 1]
    two = _run(seeded, finance.top_spenders(user, q3, limit=2))
    usd = two.filter(pl.col("currency") == "USD")
    assert usd["cents"].is_sorted(descending=True) and usd.height == 2


def test_an_export_window_is_clamped_to_the_period(seeded: Store) -> None:
    user = finance_user()
    lo, hi = OCT.utc_bounds()
    wide = (lo - dt.timedelta(days=90), hi + dt.timedelta(days=90))
    assert (
        _run(seeded, finance.export_rows(user, OCT, window=wide)).height
        == _run(seeded, finance.export_rows(user, OCT)).height
    )
    counts = _run(seeded, finance.hourly_counts(user, OCT))
    assert counts["count"].sum() == _run(seeded, finance.export_rows(user, OCT)).height
