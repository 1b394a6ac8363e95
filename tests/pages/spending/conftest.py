"""The spending pages' fixture: the app signed in as the seeded demo user."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import login_as


@pytest.fixture
def user_app(new_app) -> AppTest:
    return login_as(new_app, "user")
