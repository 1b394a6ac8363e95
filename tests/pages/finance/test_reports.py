"""The finance reports page through app.py: who reaches it, and its numbers against the raw data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as, open_url_path
from tests.finance_data import expected_totals

PAGE = "pages/finance/reports.py"


def _open(new_app, role: str = "finance", month: str = "2026-05") -> AppTest:
    at = login_as(new_app, role).switch_page(PAGE).run()
    assert not at.exception, at.exception
    at.selectbox(key="fr_month").set_value(month).run()
    assert not at.exception, at.exception
    return at


_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "INR": "₹", "JPY": "¥"}


def _money(amount: Decimal, currency: str) -> str:
    """A second, plain implementation of the table's money rule: symbol, separators, 2 decimals
    (0 for JPY)."""
    places = 0 if currency == "JPY" else 2
    text = f"{abs(amount):,.{places}f}"
    return f"{'-' if amount < 0 else ''}{_SYMBOL.get(currency, currency + ' ')}{text}"


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_reach_the_page(new_app, role: str) -> None:
    at = _open(new_app, role)
    assert at.title[0].value == "Finance reports"
    assert any("Reconciled" in s.value for s in at.success)


def test_a_plain_user_cannot_open_it_and_the_attempt_is_audited(new_app, app_store: Store) -> None:
    at = login_as(new_app, "user")
    with pytest.raises(ValueError, match="Could not find"):
        at.switch_page(PAGE)
    open_url_path(at, "finance-reports")
    assert not at.exception
    assert "finance role" in at.error[0].value
    assert not at.metric
    denied = app_store.find("audit_log", {"event": "access.denied", "actor": "demo-user"})
    assert [d["target"] for d in denied] == ["finance-reports"]


def test_the_numbers_equal_a_decimal_computation_over_the_raw_documents(
    new_app, app_store: Store
) -> None:
    at = _open(new_app)
    per_currency, _, counts, deleted = expected_totals(
        app_store, dt.date(2026, 5, 1), dt.date(2026, 5, 31), "UTC"
    )
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Expenses"].replace(",", "")) == sum(counts.values())
    assert int(metrics["Soft-deleted"].replace(",", "")) == len(deleted)
    table = at.dataframe[0].value  # totals by currency, cells as people read them
    shown = {row["Currency"]: (row["Total"], row["Count"]) for row in table.to_dict("records")}
    assert shown == {c: (_money(per_currency[c], c), f"{counts[c]:,}") for c in per_currency}
    assert len(at.get("plotly_chart")) == 2
    assert len(at.get("download_button")) == 4


def test_the_reporting_zone_comes_from_the_settings(new_app, monkeypatch) -> None:
    monkeypatch.setenv("SPENDLENS_REPORT_TIMEZONE", "Asia/Tokyo")
    at = _open(new_app)
    assert "days in Asia/Tokyo" in at.caption[0].value
    at.selectbox(key="fr_period").set_value("custom").run()
    assert not at.exception
    at.selectbox(key="fr_period").set_value("quarter").run()
    assert not at.exception
    assert "Q" in at.caption[0].value


def test_tables_use_human_headers_no_none_and_follow_the_currency_picker(new_app) -> None:
    at = _open(new_app)
    by_currency = at.dataframe[0].value
    assert "vs_previous" not in by_currency.columns
    assert {"Vs previous", "Vs last year", "Last year"} <= set(by_currency.columns)
    for frame in (d.value for d in at.dataframe):
        cells = {str(v) for v in frame.to_numpy().ravel()}
        assert not cells & {"None", "nan", "{}", "NaT"}
    currencies = at.selectbox(key="fr_currency_pick").options
    assert len(currencies) > 1
    for currency in currencies:
        at.selectbox(key="fr_currency_pick").set_value(currency).run()
        categories = at.dataframe[1].value
        assert set(categories["Currency"]) == {currency}
        symbol = _SYMBOL.get(currency, currency + " ")
        assert all(cell.startswith(symbol) for cell in categories["Total"])


def test_a_comparison_with_a_period_before_the_data_says_so(new_app, app_store: Store) -> None:
    first = min(e["date"] for e in app_store.find("expenses", {"deletedAt": None}))
    at = _open(new_app, month=f"{first:%Y-%m}")
    by_currency = at.dataframe[0].value
    before = first.replace(day=1) - dt.timedelta(days=1)  # the previous month ends before the data
    assert set(by_currency["Vs previous"]) == {f"no data before {first:%b %Y}"}
    assert before < first
    assert not any("%" in cell for cell in by_currency["Vs last year"])
