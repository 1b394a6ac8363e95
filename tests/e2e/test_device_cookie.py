"""The device cookie in a real browser: written at login by the cookie component, long-lived,
kept when the login cookie is deleted at logout (AppTest never runs the component)."""

from __future__ import annotations

import time

import pytest

from tests.e2e.conftest import Server
from tests.e2e.test_browser import login, wait_idle

pytestmark = pytest.mark.browser


def _cookies(page) -> dict[str, dict]:
    return {c["name"]: c for c in page.context.cookies()}


def _wait_for(page, condition, what: str) -> None:
    for _ in range(300):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def test_login_leaves_a_device_cookie_that_outlives_logout(page, server: Server) -> None:
    login(page, server, "product")
    _wait_for(page, lambda: "spendlens_auth_device" in _cookies(page), "no device cookie set")
    device = _cookies(page)["spendlens_auth_device"]
    assert device["expires"] > time.time() + 300 * 86_400  # a year, not the login cookie's 1 day
    assert device["value"] != _cookies(page)["spendlens_auth"]["value"]
    wait_idle(page)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("textbox", name="Username").wait_for()
    _wait_for(page, lambda: "spendlens_auth" not in _cookies(page), "login cookie not deleted")
    assert _cookies(page)["spendlens_auth_device"]["value"] == device["value"]
