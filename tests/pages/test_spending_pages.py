"""The spending pages through app.py as the seeded demo user: no exception, the expected charts,
metrics and tables, and numbers equal to a plain-Polars computation over the raw documents."""

from __future__ import annotations

import datetime as dt
import json
import re

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core.periods import SPENDING_PERIODS, local_today, period_for
from dashboard.store import Store
from tests.apptest import login_as

PAGES = [
    "pages/spending/overview.py",
    "pages/spending/categories.py",
    "pages/spending/budgets.py",
    "pages/spending/transactions.py",
    "pages/spending/insights.py",
]


def _money(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text))


def _raw_expenses(store: Store, username: str) -> tuple[dict, pl.DataFrame]:
    """The user's live expenses straight from the collection, independent of queries/."""
    user = store.find("users", {"username": username})[0]
    docs = [
        d
        for d in store.find("expenses", {})
        if d["userId"] == user["_id"] and d.get("deletedAt") is None
    ]
    frame = pl.DataFrame(
        [{"date": d["date"], "amount": d["amount"], "category": d["category"]} for d in docs],
        schema={"date": pl.Datetime("us", "UTC"), "amount": pl.Float64, "category": pl.String},
    )
    return user, frame


@pytest.fixture
def user_app(new_app) -> AppTest:
    return login_as(new_app, "user")


@pytest.mark.parametrize("script", PAGES)
def test_every_spending_page_runs_for_the_demo_user(user_app: AppTest, script: str) -> None:
    user_app.switch_page(script).run()
    assert not user_app.exception, user_app.exception
    assert user_app.title[0].value


def test_overview_kpis_equal_a_plain_polars_computation(
    user_app: AppTest, app_store: Store
) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    assert not at.exception
    user, raw = _raw_expenses(app_store, "demo-user")
    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    inside = raw.filter((pl.col("date") >= lo) & (pl.col("date") < hi))
    metrics = {m.label: m.value for m in at.metric}
    assert _money(metrics["Total spent"]) == pytest.approx(
        round(inside["amount"].sum(), 2), abs=0.005
    )
    assert int(metrics["Expenses"].replace(",", "")) == inside.height
    assert _money(metrics["Largest expense"]) == pytest.approx(inside["amount"].max(), abs=0.005)
    per_day = inside["amount"].sum() / period.days
    assert _money(metrics["Average per day"]) == pytest.approx(round(per_day, 2), abs=0.005)


def test_overview_shows_its_charts(user_app: AppTest) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    charts = at.get("plotly_chart")
    assert len(charts) == 5  # trend, categories, calendar, weekday, hour
    # A treemap, not a donut: Streamlit 1.67 only forwards clicks on tree-shaped charts.
    treemap = json.loads(charts[1].proto.spec)
    assert treemap["data"][0]["type"] == "treemap"


def test_clicking_a_category_drills_into_it(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    _, raw = _raw_expenses(app_store, "demo-user")
    category = raw["category"].mode().sort()[0]
    at.session_state["overview_categories"] = {
        "selection": {"points": [{"label": category, "id": category, "parent": ""}], "box": [],
                      "lasso": [], "point_indices": [0]},
    }  # fmt: skip
    at.run()
    assert not at.exception
    assert at.title[0].value == "Categories"
    assert at.selectbox(key="category").value == category


def test_an_invalid_link_value_falls_back_with_a_visible_notice(user_app: AppTest) -> None:
    at = user_app.switch_page("pages/spending/overview.py")
    at.query_params["period"] = "forever"
    at.query_params["categories"] = ["Food", "Caviar"]
    at.run()
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    assert "“forever” is not one this page knows" in notices
    assert "Caviar" in notices


def test_a_new_user_sees_an_empty_state_not_empty_axes(new_app, app_store: Store) -> None:
    user = app_store.find("users", {"username": "demo-user"})[0]
    app_store.delete_many("expenses", {"userId": user["_id"]})
    at = login_as(new_app, "user")
    for script in PAGES:
        at.switch_page(script).run()
        assert not at.exception, script
        if script.endswith(("overview.py", "categories.py", "transactions.py", "insights.py")):
            assert not at.get("plotly_chart"), script
            assert "No expenses yet" in at.info[0].value, script


def test_transactions_are_paged_and_searchable(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/transactions.py").run()
    table = at.dataframe[0].value
    assert 0 < len(table) <= 50
    caption = " ".join(c.value for c in at.caption)
    total = int(re.search(r"([\d,]+) transactions", caption).group(1).replace(",", ""))
    user, raw = _raw_expenses(app_store, "demo-user")
    period = period_for(
        SPENDING_PERIODS.default, today=local_today(user["timezone"]), tz=user["timezone"]
    )
    lo, hi = period.utc_bounds()
    assert total == raw.filter((pl.col("date") >= lo) & (pl.col("date") < hi)).height
    dates = list(table["date"])
    assert dates == sorted(dates, reverse=True)


def test_saving_a_budget_invalidates_the_users_cache(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/budgets.py").run()
    month = at.selectbox(key="budget_form_month").value
    category = at.selectbox(key="budget_form_category").value
    at.number_input(key="budget_form_limit").set_value(123.45)
    next(b for b in at.button if b.label == "Save budget").click().run()
    assert not at.exception
    assert "Saved" in at.success[0].value
    user = app_store.find("users", {"username": "demo-user"})[0]
    first = dt.datetime.combine(month, dt.time(), tzinfo=dt.UTC)
    (doc,) = app_store.find(
        "budgets", {"userId": user["_id"], "month": first, "category": category}
    )
    assert doc["limit"] == 123.45
    # The budgets query is cached for an hour; the write invalidated it, so the page shows the
    # new limit at once.
    at.selectbox(key="budget_month").select(month).run()
    texts = [p.proto.text for p in at.get("progress")]
    assert any(category in t for t in texts), texts
