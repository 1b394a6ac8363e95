"""Budgets through app.py: saving a budget shows at once (the user's cache scope is cleared)."""

from __future__ import annotations

import datetime as dt
import json

from streamlit.testing.v1 import AppTest

from dashboard.store import Store


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


def _latest_month_with_expenses(store: Store) -> dt.date:
    """Independently of queries/: the local month of the demo user's latest expense until now."""
    from zoneinfo import ZoneInfo

    import polars as pl

    from tests.apptest import raw_expenses

    user, raw = raw_expenses(store, "demo-user")
    now = dt.datetime.now(dt.UTC)
    latest = raw.filter(pl.col("date") <= now)["date"].max()
    return latest.astimezone(ZoneInfo(user["timezone"])).date().replace(day=1)


def test_the_page_opens_on_the_latest_month_with_expenses_in_the_past_tense(
    user_app: AppTest, app_store: Store
) -> None:
    at = user_app.switch_page("pages/spending/budgets.py").run()
    assert not at.exception
    month = at.selectbox(key="budget_month").value
    assert month == _latest_month_with_expenses(app_store)
    assert month < dt.date.today().replace(day=1)  # the seed's data ends before this month
    # A closed month: what happened, no forecast.
    texts = [p.proto.text for p in at.get("progress")]
    assert texts
    assert all("stayed within budget" in t or "went over its budget" in t for t in texts), texts
    assert not any("month-end" in t or "on track" in t for t in texts), texts
    captions = " ".join(c.value for c in at.caption)
    assert f"{month:%B %Y} is over: these are the final amounts." in captions
    assert "month-end" not in captions
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "Forecast" not in [trace.get("name") for trace in spec["data"]]
    assert at.metric[0].label == f"Budget used in {month:%B %Y}"


def test_an_empty_month_says_what_to_do_instead_of_being_on_track(
    user_app: AppTest, app_store: Store
) -> None:
    user = app_store.find("users", {"username": "demo-user"})[0]
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    first = dt.datetime.combine(this_month, dt.time(), tzinfo=dt.UTC)
    app_store.insert_many(
        "budgets",
        [{"userId": user["_id"], "month": first, "category": "Groceries", "limit": 550.0}],
    )
    at = user_app.switch_page("pages/spending/budgets.py").run()
    at.selectbox(key="budget_month").select(this_month).run()
    assert not at.exception
    texts = [p.proto.text for p in at.get("progress")]
    assert len(texts) == 1
    assert texts[0].startswith("Groceries: nothing spent yet of its ")  # not "on track: about $0"
    assert "550.00 budget" in texts[0]
    notes = " ".join(i.value for i in at.info)
    assert f"Nothing spent in budgeted categories in {this_month:%B %Y} yet." in notes
    assert "pick another month above" in notes
    assert len(at.get("plotly_chart")) == 1  # the history only: no progress chart of zeros
