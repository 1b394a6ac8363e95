"""The finance report against a plain-Python decimal computation over the raw documents."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from dashboard.core.identity import PermissionDenied
from dashboard.core.periods import parse_period
from dashboard.store import Store
from dashboard.views.finance import Report, build_report, cents_to_amount
from tests.finance_data import (
    ALICE,
    expected_totals,
    finance_user,
    runner_for,
    seed_finance,
)

TZ = "Europe/Paris"


@pytest.fixture
def report(store: Store) -> Report:
    seed_finance(store)
    return build_report(runner_for(store), finance_user(), parse_period("2025-10", tz=TZ))


def test_totals_equal_a_plain_decimal_computation(store: Store, report: Report) -> None:
    per_currency, per_category, counts, deleted = expected_totals(
        store, dt.date(2025, 10, 1), dt.date(2025, 10, 31), TZ
    )
    by_currency = {r["currency"]: r for r in report.by_currency.iter_rows(named=True)}
    assert {c: r["total"] for c, r in by_currency.items()} == per_currency
    assert {c: r["count"] for c, r in by_currency.items()} == counts
    assert report.expenses == sum(counts.values())
    for currency, row in by_currency.items():
        average = (per_currency[currency] / counts[currency]).quantize(Decimal("0.01"))
        assert row["average"] == average
    got = {
        (r["category"], r["currency"]): r["total"] for r in report.by_category.iter_rows(named=True)
    }
    assert got == per_category
    assert report.deleted.height == len(deleted)
    assert report.spenders == 3


def test_category_totals_add_up_exactly_to_the_grand_total(report: Report) -> None:
    assert report.reconciled
    for currency in report.currencies:
        grand = report.by_currency.filter(pl.col("currency") == currency)["total"][0]
        cats = report.by_category.filter(pl.col("currency") == currency)["total"].to_list()
        months = report.by_month.filter(pl.col("currency") == currency)["total"].to_list()
        assert sum(cats, Decimal(0)) == grand
        assert sum(months, Decimal(0)) == grand
    assert report.reconciliation["difference"].to_list() == [Decimal("0.00")] * 2
    assert report.by_currency["total"].dtype == pl.Decimal(38, 2)


def test_comparisons_with_the_previous_month_and_last_year(store: Store, report: Report) -> None:
    prev, _, _, _ = expected_totals(store, dt.date(2025, 9, 1), dt.date(2025, 9, 30), TZ)
    last, _, _, _ = expected_totals(store, dt.date(2024, 10, 1), dt.date(2024, 10, 31), TZ)
    usd = report.by_currency.filter(pl.col("currency") == "USD").row(0, named=True)
    assert usd["previous"] == prev["USD"]
    assert usd["last_year"] == last["USD"] == Decimal("606.00")  # 60 × 10.10
    assert usd["vs_previous"] == pytest.approx(float(usd["total"] / prev["USD"] - 1))
    eur = report.by_currency.filter(pl.col("currency") == "EUR").row(0, named=True)
    assert eur["last_year"] is None and eur["vs_last_year"] is None


def test_soft_deleted_expenses_are_listed_for_reconciliation(report: Report) -> None:
    deleted = report.deleted
    assert deleted.height == 5
    assert set(deleted["user"]) == {"bob"}
    assert deleted["amount"].to_list() == [Decimal("99.99")] * 5
    assert str(deleted["date"].dtype.time_zone) == TZ
    rec = report.reconciliation.filter(pl.col("currency") == "EUR").row(0, named=True)
    assert rec["deleted_count"] == 5
    assert rec["deleted_total"] == Decimal("499.95")


def test_top_spenders_are_named_and_ranked(report: Report) -> None:
    top = report.top_spenders
    assert set(top["user"]) == {"alice", "bob", "@evil"}
    usd = top.filter(pl.col("currency") == "USD")
    assert usd["place"].to_list() == [1, 2]
    assert usd["total"].to_list() == sorted(usd["total"].to_list(), reverse=True)
    assert str(ALICE) in usd["user_id"].to_list()


def test_months_cover_the_whole_period(store: Store) -> None:
    seed_finance(store)
    report = build_report(runner_for(store), finance_user(), parse_period("2025-Q4", tz=TZ))
    months = report.by_month.filter(pl.col("currency") == "USD")["month"].to_list()
    assert months == [dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)]
    assert report.by_month.filter(pl.col("month") == dt.date(2025, 12, 1))["count"].sum() == 0
    assert report.reconciled


def test_an_empty_period_and_the_role_check(store: Store) -> None:
    seed_finance(store)
    runner = runner_for(store)
    empty = build_report(runner, finance_user(), parse_period("2020", tz="UTC"))
    assert empty.expenses == 0 and empty.spenders == 0 and empty.reconciled
    assert empty.by_currency.is_empty() and empty.top_spenders.is_empty()
    with pytest.raises(PermissionDenied):
        build_report(runner, finance_user(("user",)), parse_period("2025-10", tz="UTC"))
    with pytest.raises(ValueError, match="is not one of"):
        build_report(runner, finance_user(), parse_period("October", tz="UTC"))


def test_cents_to_amount() -> None:
    assert cents_to_amount(12345) == Decimal("123.45")
    assert cents_to_amount(-5) == Decimal("-0.05")
    assert str(cents_to_amount(100)) == "1.00"


def test_chart_frames_carry_one_currency_as_floats(store: Store, report: Report) -> None:
    _, per_category, _, _ = expected_totals(store, dt.date(2025, 10, 1), dt.date(2025, 10, 31), TZ)
    currency = report.currencies[0]
    cats, months = report.chart_frames(currency)
    assert set(cats["currency"]) == {currency}
    assert cats.schema["total"] == pl.Float64
    expected = {cat: float(total) for (cat, cur), total in per_category.items() if cur == currency}
    assert dict(zip(cats["category"], cats["total"], strict=True)) == pytest.approx(expected)
    assert months["total"].sum() == pytest.approx(sum(expected.values()))
    assert months["budget"].null_count() == months.height


def test_chart_months_not_over_when_the_report_was_made_are_partial(store: Store) -> None:
    seed_finance(store)
    year = parse_period("2025", tz=TZ)
    # Made at 01:30 on 5 Dec 2025 in Paris (00:30 UTC): data complete up to 4 December, so
    # December is partial and November is not.
    made = dt.datetime(2025, 12, 5, 0, 30, tzinfo=dt.UTC)
    report = build_report(runner_for(store), finance_user(), year, now=made)
    assert report.last_day == dt.date(2025, 12, 4)
    _, months = report.chart_frames(report.currencies[0])
    assert months.filter("partial")["month"].to_list() == [dt.date(2025, 12, 1)]
    # A report made after the year is over has no partial month.
    later = build_report(
        runner_for(store), finance_user(), year, now=dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    )
    assert not later.chart_frames(later.currencies[0])[1]["partial"].any()
