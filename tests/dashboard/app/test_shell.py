"""The shell through app.py: what a signed-in user with a damaged profile sees."""

from __future__ import annotations

from dashboard.store import Store
from tests.apptest import login_as


def test_a_stored_zone_spendlens_cannot_use_is_named_on_every_page(
    new_app, app_store: Store
) -> None:
    app_store.update_many(
        "users", {"username": "demo-user"}, {"$set": {"timezone": "Mars/Base", "weekStart": 0}}
    )
    at = login_as(new_app, "user").switch_page("pages/spending/overview.py").run()
    assert not at.exception, at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "time zone 'Mars/Base' is not a time zone Spendlens knows" in warnings
    assert "first day of the week (0)" in warnings
    assert "· UTC" in at.caption[0].value  # the page reads UTC days, and says so
