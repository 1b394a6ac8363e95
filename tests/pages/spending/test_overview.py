"""Overview through app.py as the seeded demo user: KPIs equal to a plain-Polars computation over
the raw documents, its charts, drilling into a category, and a broken link."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.core.periods import local_today, period_for
from dashboard.store import Store
from tests.apptest import assert_overview_kpis, money, raw_expenses


def test_overview_kpis_equal_a_plain_polars_computation(
    user_app: AppTest, app_store: Store
) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    assert not at.exception
    user, raw = raw_expenses(app_store, "demo-user")
    per_day = assert_overview_kpis(at, user, raw)
    metrics = {m.label: m.value for m in at.metric}
    assert money(metrics["Average per day"]) == pytest.approx(round(per_day, 2), abs=0.005)


def test_overview_shows_its_charts(user_app: AppTest) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    charts = at.get("plotly_chart")
    assert len(charts) == 5  # trend, categories, calendar, weekday, hour
    # A treemap, not a donut: Streamlit 1.67 only forwards clicks on tree-shaped charts.
    treemap = json.loads(charts[1].proto.spec)
    assert treemap["data"][0]["type"] == "treemap"


def test_clicking_a_category_drills_into_it(user_app: AppTest, app_store: Store) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    _, raw = raw_expenses(app_store, "demo-user")
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


def test_kpis_against_periods_before_the_data_say_so_instead_of_a_percentage(
    user_app: AppTest, app_store: Store
) -> None:
    at = user_app.switch_page("pages/spending/overview.py").run()
    assert not at.exception
    _, raw = raw_expenses(app_store, "demo-user")
    first = raw["date"].min()
    # The default period (last 12 months) starts before the seeded data, so the periods it is
    # compared with hold no data: no delta (the old page showed "+2039%"), and a caption saying why.
    assert all(not m.proto.delta for m in at.metric), [m.proto.delta for m in at.metric]
    captions = [c.value for c in at.caption]
    said = [c for c in captions if f"Last year: no data before {first:%b %Y}" in c]
    assert len(said) == 1, captions  # the same note for every KPI is said once, under the row


def test_the_trend_and_the_kpi_state_one_budget_definition(user_app: AppTest) -> None:
    from dashboard.views.spending import BUDGET_RULE

    at = user_app.switch_page("pages/spending/overview.py").run()
    assert not at.exception
    trend = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [trace.get("name") for trace in trend["data"]]
    # The seeded budgets lie in the default period: the budget is drawn against the spending in
    # budgeted categories, and all spending keeps its own name.
    assert names[:3] == ["All spending", "Spent in budgeted categories", "Budget"], names
    (used,) = [m for m in at.metric if m.label == "Budget used"]
    assert BUDGET_RULE in used.proto.help
    assert any(BUDGET_RULE in c.value for c in at.caption)


def test_charts_have_no_title_of_their_own_and_the_running_month_is_partial(
    user_app: AppTest, app_store: Store
) -> None:
    # Default period: the last 12 months, up to today; the page headings name every chart.
    at = user_app.switch_page("pages/spending/overview.py").run()
    specs = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert all("text" not in spec["layout"].get("title", {}) for spec in specs)
    headings = [h.value for h in at.subheader]
    assert {"Monthly trend", "By category", "Daily spending"} <= set(headings)
    bars = specs[0]["data"][0]
    # "Last 12 months" runs from the day after today's date a year ago: its first month is cut by
    # the period unless that day is a 1st, and this month is not over (today counts as running):
    # only those bars are hatched.
    shapes = bars["marker"]["pattern"]["shape"]
    tz = raw_expenses(app_store, "demo-user")[0]["timezone"]
    period = period_for("last-12-months", today=local_today(tz), tz=tz)
    assert shapes[0] == ("/" if period.start.day != 1 else "")
    assert shapes[-1] == "/"
    assert set(shapes[1:-1]) == {""}
    assert any(
        c.value.startswith("Hatched bars and dashed segments are partial: the month is not over")
        for c in at.caption
    )
