"""Which pages each role reaches; a page outside the role is unreachable and says so (audited)."""

from __future__ import annotations

import inspect

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


@pytest.fixture
def browser_url(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """What a browser opening ``/<path>`` sends: the page *name* from its URL, no page id
    (AppTest only sends ids), and a record of Streamlit's "page not found" dialog being sent."""
    import streamlit.commands.navigation as navigation
    from streamlit.runtime.pages_manager import PagesManager

    state: dict[str, str | None] = {"path": None, "dialog": None}
    name, page_id = (
        PagesManager.intended_page_name.fget,
        PagesManager.intended_page_script_hash.fget,
    )
    monkeypatch.setattr(
        PagesManager,
        "intended_page_name",
        property(lambda self: state["path"] if state["path"] is not None else name(self)),
    )
    monkeypatch.setattr(
        PagesManager,
        "intended_page_script_hash",
        property(lambda self: "" if state["path"] is not None else page_id(self)),
    )
    sent = navigation.send_page_not_found

    def record(ctx: object) -> None:
        # AppTest resets PagesManager.uses_pages_directory before every run, so each run first
        # passes through Streamlit's legacy pages/ router (_mpa_v1), which knows only app.py and
        # sends the dialog for any page name; only our own st.navigation's verdict counts here.
        if not any(frame.function == "_mpa_v1" for frame in inspect.stack()):
            state["dialog"] = "sent"
        sent(ctx)

    monkeypatch.setattr(navigation, "send_page_not_found", record)
    return state


def _page_links(at: AppTest) -> list[str]:
    return [str(link.proto.label) for link in at.get("page_link")]


@pytest.mark.parametrize("role", [None, "user"])
def test_an_unknown_url_lands_on_our_page_not_found_page(
    new_app, browser_url: dict[str, str | None], role: str | None
) -> None:
    """Before: Streamlit's blocking "Page not found" dialog over the default page."""
    at = new_app() if role is None else login_as(new_app, role)
    browser_url["path"] = "no-such-page"
    at.run()
    assert not at.exception, at.exception
    assert browser_url["dialog"] is None
    assert [t.value for t in at.title] == ["Page not found"]
    assert "/no-such-page" in " ".join(m.value for m in at.markdown)
    assert _page_links(at) == ["Go to the home page"]
    # The browser's next run on that page sends the id of the page now registered there.
    browser_url["path"] = None
    at.run()
    assert [t.value for t in at.title] == ["Page not found"]
    assert browser_url["dialog"] is None


def test_a_known_url_still_opens_its_page(new_app, browser_url: dict[str, str | None]) -> None:
    at = login_as(new_app, "user")
    browser_url["path"] = "overview"
    at.run()
    assert not at.exception, at.exception
    assert browser_url["dialog"] is None
    assert at.title[0].value == "Overview"
