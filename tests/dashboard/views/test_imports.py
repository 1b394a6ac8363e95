"""What an import would do, checked against the user's own expenses: duplicates by date, amount
and description or by bank id, soft-deleted expenses counted, other users' expenses ignored."""

from __future__ import annotations

from datetime import UTC, datetime

import bson
import pytest

from dashboard.core.statement_mapping import ColumnMapping
from dashboard.core.statement_rules import Rule
from dashboard.store import Store
from dashboard.views.imports import check_import
from tests.factories import expense

ANA = bson.ObjectId("650000000000000000000001")
BEN = bson.ObjectId("650000000000000000000002")
# Day-first dates, spending negative, a bank id column. Counted by hand:
# line 2 and 3 are new; line 4 repeats line 3 (in the file); line 5 has the id of an existing
# expense dated a month earlier (an id matches whatever the date); line 6 matches an existing expense by date, amount and description (other letter case
# and spacing); line 7 matches one of Ben's expenses only (not a duplicate for Ana).
STATEMENT = (
    b"Date,Transaction ID,Description,Amount\n"
    b"01/03/2025,T1,Coffee Shop,-3.50\n"
    b"02/03/2025,,Book store,-20.00\n"
    b"02/03/2025,,Book store,-20.00\n"
    b"03/03/2025,T9,Renamed by bank,-7.00\n"
    b"04/03/2025,,GROCER   market,-41.10\n"
    b"05/03/2025,,Cinema,-12.00\n"
)
MAPPING = ColumnMapping(
    date="Date",
    description="Description",
    amount="Amount",
    external_id="Transaction ID",
    date_format="%d/%m/%Y",
    default_currency="EUR",
)


@pytest.fixture
def existing(store: Store) -> Store:
    day = datetime(2025, 3, 4, tzinfo=UTC)
    grocer = expense(ANA, day, 41.10, description="grocer market", deleted=day)  # soft-deleted
    with_id = {**expense(ANA, datetime(2025, 2, 1, tzinfo=UTC), 99.0), "externalId": "T9"}
    bens = expense(BEN, datetime(2025, 3, 5, tzinfo=UTC), 12.0, description="Cinema")
    store.insert_many("expenses", [grocer, with_id, bens])
    return store


def test_duplicates_are_counted_by_where_they_are_found(existing: Store) -> None:
    check = check_import(existing, ANA, STATEMENT, MAPPING, timezone="UTC")
    assert check.rows["line"].to_list() == [2, 3, 7]
    assert (check.total, check.duplicates_in_file, check.duplicates_existing) == (6, 1, 2)
    assert check.counts["imported"] == 3
    assert check.problems == ()


def test_another_users_expenses_are_never_duplicates(store: Store) -> None:
    store.insert_many("expenses", [expense(BEN, datetime(2025, 3, 1, tzinfo=UTC), 3.5,
                                           description="Coffee Shop")])  # fmt: skip
    check = check_import(store, ANA, STATEMENT, MAPPING, timezone="UTC")
    assert check.duplicates_existing == 0


def test_rules_categorise_only_rows_the_file_left_uncategorised(store: Store) -> None:
    rules = [Rule(contains="book", category="Books"), Rule(contains="o", category="Other")]
    check = check_import(store, ANA, STATEMENT, MAPPING, timezone="UTC", rules=rules)
    categories = dict(zip(check.rows["description"], check.rows["category"], strict=True))
    assert categories == {
        "Coffee Shop": "Other",  # "o" matches; "book" does not
        "Book store": "Books",  # the first matching rule wins
        "Renamed by bank": "Uncategorized",
        "GROCER market": "Other",
        "Cinema": "Uncategorized",
    }
    # Counted before duplicates are dropped: Coffee Shop, both Book store rows, GROCER market.
    assert check.categorised == 4
