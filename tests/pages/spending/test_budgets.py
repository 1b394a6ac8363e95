"""Budgets through app.py: saving a budget shows at once (the user's cache scope is cleared)."""

from __future__ import annotations

import datetime as dt

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
