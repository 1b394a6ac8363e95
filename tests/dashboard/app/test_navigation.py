"""Which pages each role reaches; a page outside the role is unreachable and says so (audited)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.navigation import PAGES
from dashboard.store import Store
from tests.apptest import login_as, open_url_path

EXPECTED = {
    "user": {
        "Home",
        "Account",
        "Alerts",
        "Overview",
        "Categories",
        "Budgets",
        "Transactions",
        "Import",
        "Insights",
    },
    "product": {"Home", "Account", "Alerts", "Usage", "System performance"},
    "finance": {"Home", "Account", "Alerts", "Finance reports"},
    "admin": {
        "Home",
        "Account",
        "Alerts",
        "Users",
        "Audit log",
        "Overview",
        "Categories",
        "Budgets",
        "Transactions",
        "Import",
        "Insights",
        "Usage",
        "System performance",
        "Finance reports",
    },
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_reaches_exactly_its_pages(new_app, role: str) -> None:
    at = login_as(new_app, role)
    reached = set()
    for spec in PAGES:
        try:
            at.switch_page(spec.script).run()
        except ValueError:
            continue  # not registered as a script for this role
        assert not at.exception, (spec.script, at.exception)
        reached.add(spec.title)
    assert reached == EXPECTED[role]


def test_a_deep_link_outside_the_role_shows_the_access_message_and_is_audited(
    new_app, app_store: Store
) -> None:
    at = login_as(new_app, "user")
    open_url_path(at, "admin-users")
    assert not at.exception
    assert "You don't have access to this page" in at.error[0].value
    assert "admin role" in at.error[0].value
    assert not at.dataframe  # the admin page's table never ran
    denied = app_store.find("audit_log", {"event": "access.denied", "actor": "demo-user"})
    assert [d["target"] for d in denied] == ["admin-users"]


def test_a_deep_link_when_logged_out_shows_the_login_form(new_app) -> None:
    at: AppTest = new_app().run()
    open_url_path(at, "admin-users")
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_must_change_password_shows_only_the_password_page(new_app, app_store: Store) -> None:
    app_store.update_many(
        "users", {"username": "demo-user"}, {"$set": {"mustChangePassword": True}}
    )
    at = login_as(new_app, "user")
    assert at.title[0].value == "Change your password"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/common/home.py")
