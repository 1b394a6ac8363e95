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
    table = at.dataframe[0].value  # totals by currency
    shown = {
        row["currency"]: (Decimal(str(row["total"])).quantize(Decimal("0.01")), row["count"])
        for row in table.to_dict("records")
    }
    assert shown == {c: (per_currency[c], counts[c]) for c in per_currency}
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
