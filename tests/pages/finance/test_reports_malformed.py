"""The finance reports page through app.py with malformed expenses and a malformed profile: no
traceback, exact totals of the usable expenses, the unusable ones counted and listed."""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal

from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as
from tests.factories import MISSING, broken_expense, utc
from tests.finance_data import expected_totals

PAGE = "pages/finance/reports.py"
BROKEN = (
    {"amount": math.nan}, {"amount": math.inf}, {"amount": 1e308}, {"amount": MISSING},
    {"category": None}, {"category": ""}, {"currency": None}, {"date": None},
)  # fmt: skip
NOTICE = (
    "1 expense without a valid date, 4 expenses with an invalid amount, 2 expenses without a "
    "category and 1 expense without a currency were left out."
)


def _open(new_app) -> AppTest:
    at = login_as(new_app, "finance").switch_page(PAGE).run()
    assert not at.exception, at.exception
    at.selectbox(key="fr_month").set_value("2026-05").run()
    assert not at.exception, at.exception
    return at


def test_the_report_totals_the_usable_expenses_and_lists_the_rest(
    new_app, app_store: Store
) -> None:
    # Expected: a Decimal sum over the raw documents, all usable before the broken ones arrive.
    per_currency, _, counts, _ = expected_totals(
        app_store, dt.date(2026, 5, 1), dt.date(2026, 5, 31), "UTC"
    )
    owner = app_store.find("users", {"username": "demo-user"})[0]["_id"]
    app_store.insert_many(
        "expenses", [broken_expense(owner, utc(2026, 5, 14, 12), **f) for f in BROKEN]
    )
    at = _open(new_app)
    assert any(w.value.startswith(NOTICE) for w in at.warning), [w.value for w in at.warning]
    assert any("Reconciled" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Expenses"].replace(",", "")) == sum(counts.values())
    table = at.dataframe[0].value  # totals by currency
    shown = {  # cells read "$1,234.50": the digits after the symbol, without separators
        row["Currency"]: (
            Decimal(re.sub(r"[^0-9.-]", "", row["Total"])).quantize(Decimal("0.01")),
            int(row["Count"].replace(",", "")),
        )
        for row in table.to_dict("records")
    }
    assert shown == {c: (per_currency[c], counts[c]) for c in per_currency}
    excluded = at.dataframe[-1].value  # the last table: left out
    assert len(excluded) == len(BROKEN)
    assert set(excluded["Amount"]) >= {"NaN", "Infinity", "1e+308"}
    assert set(excluded["User"]) == {"demo-user"}


def test_a_finance_profile_zone_spendlens_cannot_use_still_opens_the_report(
    new_app, app_store: Store
) -> None:
    app_store.update_many(
        "users", {"username": "demo-finance"}, {"$set": {"timezone": "Mars/Olympus"}}
    )
    at = _open(new_app)
    assert at.title[0].value == "Finance reports"
    texts = [w.value for w in at.warning] + [e.value for e in at.error]
    assert any("time zone 'Mars/Olympus'" in t for t in texts), texts
