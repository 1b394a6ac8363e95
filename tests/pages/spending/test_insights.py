"""Insights through app.py: tables in words (no snake_case, no "None", no raw timestamps) and
reasons written as sentences with the user's currency."""

from __future__ import annotations

import datetime as dt
import re

from streamlit.testing.v1 import AppTest

from dashboard.store import Store
from tests.factories import expense

PAGE = "pages/spending/insights.py"
RAW = re.compile(r"\d{4}-\d\d-\d\d|\d\d:\d\d:\d\d|[+-]\d\d:\d\d$")


def test_insights_tables_read_as_words(user_app: AppTest, app_store: Store) -> None:
    user = app_store.find("users", {"username": "demo-user"})[0]
    now = dt.datetime.now(dt.UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    # Ten lunches of 12.40 and one of 211.00 (17 times as much) in the last days.
    days = [now - dt.timedelta(days=n) for n in range(1, 12)]
    docs = [expense(user["_id"], d, 12.40, "Zz-Lunches", "Lunch") for d in days[1:]]
    docs.append(expense(user["_id"], days[0], 211.00, "Zz-Lunches", "Party lunch"))
    app_store.insert_many("expenses", docs)
    at = user_app.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.dataframe, "the page shows its tables"
    for table in (d.value for d in at.dataframe):
        assert not [c for c in table.columns if "_" in c or c != c[:1].upper() + c[1:]]
        cells = table.to_numpy().ravel().astype(str)
        assert not {"None", "nan", "{}"} & set(cells)
        assert not [c for c in cells if RAW.search(c)], "dates read like 01 Nov 2026"
    unusual = at.dataframe[-1].value
    row = unusual[unusual["Description"] == "Party lunch"].iloc[0]
    # 211.00 / 12.40 = 17.02 → "17.0×"; the typical amount is the category's median, 12.40.
    assert row["Reason"] == "17.0× your typical Zz-Lunches expense of $12.40"
    assert row["Amount"] == "$211.00"
