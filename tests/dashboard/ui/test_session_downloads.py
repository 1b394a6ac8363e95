"""Downloads run on the click, without a page run: each checks the session again when it runs.

Streamlit calls a download button's data function when it is clicked and does not rerun the page,
so the page's own check of the login (every run) never sees the click. A download drawn before the
account was disabled, logged out everywhere or lost its role must then refuse, not hand out the
file (a finance export holds every user's expenses).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.delta_generator import DeltaGenerator

from dashboard.core.identity import PermissionDenied
from dashboard.data import users
from dashboard.store import Store
from tests.apptest import login_as


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[[], object]]:
    """Each download button's data function by label, as the page drew it (AppTest has no server
    to run it on a click: the test calls it, as the click would)."""
    drawn: dict[str, Callable[[], object]] = {}
    original = DeltaGenerator.download_button

    def recording(self: DeltaGenerator, label: str, *args: object, **kwargs: object) -> object:
        data = kwargs.get("data", args[0] if args else None)
        if callable(data):
            drawn[label] = data
        return original(self, label, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", recording)
    return drawn


def _finance_page(new_app) -> object:
    at = login_as(new_app, "finance").switch_page("pages/finance/reports.py").run()
    at.selectbox(key="fr_month").set_value("2026-05").run()
    assert not at.exception, at.exception
    return at


def _finance_id(store: Store):
    return users.by_username(store, "demo-finance")["_id"]


ENDINGS = {
    "disabled": lambda store, uid: users.set_fields(store, uid, {"disabled": True}),
    "logged out everywhere": lambda store, uid: users.end_sessions(store, uid),
    "finance role removed": lambda store, uid: users.set_fields(store, uid, {"roles": ["user"]}),
    "deleted": lambda store, uid: users.delete(store, uid),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_finance_export_drawn_before_the_session_ended_refuses(
    new_app, app_store: Store, downloads, ending: str
) -> None:
    _finance_page(new_app)
    export = downloads["CSV (rows)"]
    assert export().decode("utf-8-sig").startswith("date,")  # while signed in: the file
    ENDINGS[ending](app_store, _finance_id(app_store))
    with pytest.raises(PermissionDenied):
        export()


def test_a_logged_out_cookie_ends_its_downloads(new_app, app_store: Store, downloads) -> None:
    at = _finance_page(new_app)
    export = downloads["CSV (rows)"]
    at.button(key="spendlens_logout").click().run()  # this session logs out
    assert at.session_state["authentication_status"] is None
    with pytest.raises(PermissionDenied):
        export()


def test_the_account_data_download_checks_the_session_when_it_runs(
    new_app, app_store: Store, downloads
) -> None:
    at = login_as(new_app, "user").switch_page("pages/common/account.py").run()
    assert not at.exception, at.exception
    download = downloads["Download as JSON"]
    assert b'"demo-user"' in download()
    users.end_sessions(app_store, users.by_username(app_store, "demo-user")["_id"])
    with pytest.raises(PermissionDenied):
        download()


def test_a_transactions_export_checks_the_session_when_it_runs(
    new_app, app_store: Store, downloads
) -> None:
    at = login_as(new_app, "user").switch_page("pages/spending/transactions.py").run()
    assert not at.exception, at.exception
    export = downloads["Export this view (CSV)"]
    assert export().decode("utf-8-sig").startswith("id,date,")
    users.set_fields(
        app_store, users.by_username(app_store, "demo-user")["_id"], {"disabled": True}
    )
    with pytest.raises(PermissionDenied):
        export()
