"""The budgets query keeps the budgets it can use: a limit from 0 to 1e12 and a category."""

from __future__ import annotations

import datetime as dt
import math

import bson

from dashboard.core.identity import AuthUser
from dashboard.data.runner import Runner
from queries.budgets import budgets_between
from tests.factories import utc


def test_budgets_with_an_unusable_limit_or_category_are_left_out(runner: Runner) -> None:
    user = AuthUser(id=bson.ObjectId(), username="u", name="U", email=None, roles=("user",))
    may = utc(2026, 5, 1)
    limits = {"Food": 300.0, "Rent": math.nan, "Fun": math.inf, "Gym": 1e308, "Car": None,
              "Tax": -5.0, "Zero": 0.0}  # fmt: skip
    docs = [{"userId": user.id, "month": may, "category": c, "limit": v} for c, v in limits.items()]
    docs += [
        {"userId": user.id, "month": may, "category": None, "limit": 50.0},
        {"userId": user.id, "month": may, "category": "", "limit": 60.0},
    ]
    runner.store.insert_many("budgets", docs)
    frame = runner.frame(budgets_between(user, dt.date(2026, 5, 1), dt.date(2026, 5, 1)))
    assert dict(frame.select("category", "limit").iter_rows()) == {"Food": 300.0, "Zero": 0.0}
