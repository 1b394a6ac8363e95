"""Notices about a link's bad values in a real browser: the bound widgets clean the URL on the next
run, and the notices must stay until the user dismisses them (AppTest cannot show that rerun)."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_browser import login, wait_idle

pytestmark = pytest.mark.browser

NOTICES = (
    "The link's period “Fortnight” is not one this page knows",
    "The link's “from” date “2026-13-45” is not a date (YYYY-MM-DD); it was ignored.",
    "Ignored categories from the link that you have no expenses in: Nonsense.",
)


def test_link_notices_stay_after_the_url_is_cleaned_until_dismissed(page, server: Server) -> None:
    login(page, server, "user")
    page.goto(f"{server.url}/overview?categories=Nonsense&period=Fortnight&from=2026-13-45")
    alerts = page.get_by_test_id("stAlert")
    for notice in NOTICES:
        alerts.filter(has_text=notice).first.wait_for()
    # Let the app settle: the bound widgets drop the values they cannot use from the URL, which
    # runs the page again.
    page.wait_for_url(re.compile(r"^(?!.*Fortnight)"))
    wait_idle(page)
    page.wait_for_timeout(3_000)
    wait_idle(page)
    assert "Fortnight" not in page.url
    for notice in NOTICES:
        assert alerts.filter(has_text=notice).count() == 1, notice

    page.get_by_role("button", name="Dismiss").click()
    for notice in NOTICES:
        alerts.filter(has_text=notice).first.wait_for(state="detached")
    wait_idle(page)
    page.wait_for_timeout(1_000)
    assert all(alerts.filter(has_text=notice).count() == 0 for notice in NOTICES)
    assert page.get_by_role("button", name="Dismiss").count() == 0
