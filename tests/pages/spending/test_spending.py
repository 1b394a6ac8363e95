"""Every spending page through app.py as the seeded demo user, and as a user with no expenses."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.apptest import login_as

PAGES = [
    "pages/spending/overview.py",
    "pages/spending/categories.py",
    "pages/spending/budgets.py",
    "pages/spending/transactions.py",
    "pages/spending/insights.py",
]


@pytest.mark.parametrize("script", PAGES)
def test_every_spending_page_runs_for_the_demo_user(user_app: AppTest, script: str) -> None:
    user_app.switch_page(script).run()
    assert not user_app.exception, user_app.exception
    assert user_app.title[0].value


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
