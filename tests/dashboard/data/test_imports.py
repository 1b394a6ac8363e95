"""Import storage: staged rows are invisible until merged, merging twice adds nothing, undo removes
only the batch's own expenses of its own user."""

from __future__ import annotations

from datetime import UTC, datetime

import bson

from dashboard.data import imports
from dashboard.store import Store
from tests.factories import expense

ANA = bson.ObjectId("650000000000000000000001")
BEN = bson.ObjectId("650000000000000000000002")
BATCH = bson.ObjectId("660000000000000000000001")


def _staged(user: bson.ObjectId, lines: range, batch: bson.ObjectId = BATCH) -> list[dict]:
    day = datetime(2025, 3, 1, tzinfo=UTC)
    return [
        {
            "_id": imports.expense_id(batch, line),
            "userId": user,
            "amount": float(line),
            "currency": "EUR",
            "category": "Food",
            "description": f"row {line}",
            "date": day,
            "deletedAt": None,
            "importId": batch,
        }
        for line in lines
    ]


def test_expense_ids_depend_only_on_batch_and_line() -> None:
    other = bson.ObjectId("660000000000000000000002")
    assert imports.expense_id(BATCH, 2) == imports.expense_id(BATCH, 2)
    assert len({imports.expense_id(BATCH, 2), imports.expense_id(BATCH, 3),
                imports.expense_id(other, 2)}) == 3  # fmt: skip


def test_staged_rows_are_invisible_until_the_merge(store: Store) -> None:
    imports.stage(store, _staged(ANA, range(2, 12)))
    assert store.count_documents("expenses", {}) == 0
    imports.merge_stage(store, BATCH)
    assert imports.imported_count(store, ANA, BATCH) == 10
    assert imports.clear_stage(store, BATCH) == 10
    assert store.count_documents("import_rows", {}) == 0


def test_merging_again_after_a_crash_adds_each_row_once(store: Store) -> None:
    imports.stage(store, _staged(ANA, range(2, 7)))
    imports.merge_stage(store, BATCH)  # the first attempt died before clearing the stage
    imports.clear_stage(store, BATCH)
    imports.stage(store, _staged(ANA, range(2, 12)))  # the retry stages the whole file again
    imports.merge_stage(store, BATCH)
    assert imports.imported_count(store, ANA, BATCH) == 10
    assert sorted(d["amount"] for d in store.find("expenses", {})) == [
        float(n) for n in range(2, 12)
    ]


def test_undo_removes_the_batch_of_its_own_user_only(store: Store) -> None:
    store.insert_many("expenses", [expense(ANA, datetime(2025, 1, 1, tzinfo=UTC), 99.0)])
    imports.stage(store, _staged(ANA, range(2, 5)))
    imports.stage(store, [{**d, "userId": BEN} for d in _staged(BEN, range(5, 7))])
    imports.merge_stage(store, BATCH)
    imports.record_batch(store, BATCH, user_id=ANA, fields={"state": "applied"})
    assert imports.undo(store, BEN, BATCH) == 2  # Ben's rows only; Ana's batch record untouched
    assert imports.batch(store, ANA, BATCH)["state"] == "applied"
    assert imports.undo(store, ANA, BATCH) == 3
    assert [d["amount"] for d in store.find("expenses", {})] == [99.0]
    assert imports.batch(store, ANA, BATCH)["state"] == "undone"
    assert imports.batch(store, BEN, BATCH) is None


def test_existing_expenses_skip_the_batch_itself_but_keep_soft_deleted_ones(store: Store) -> None:
    day = datetime(2025, 3, 1, tzinfo=UTC)
    deleted = expense(ANA, day, 5.0, deleted=day)
    store.insert_many("expenses", [deleted, expense(BEN, day, 6.0)])
    imports.stage(store, _staged(ANA, range(2, 4)))
    imports.merge_stage(store, BATCH)
    start, end = datetime(2025, 2, 28, tzinfo=UTC), datetime(2025, 3, 2, tzinfo=UTC)
    found = imports.existing_expenses(store, ANA, start=start, end=end)
    assert sorted(found["amount"]) == [2.0, 3.0, 5.0]
    found = imports.existing_expenses(store, ANA, start=start, end=end, exclude_import=BATCH)
    assert found["amount"].to_list() == [5.0]


def test_mappings_are_remembered_per_account_and_user(store: Store) -> None:
    imports.save_mapping(store, ANA, "Visa", {"date": "Date"})
    imports.save_mapping(store, ANA, "Girokonto", {"date": "Buchungstag"})
    imports.save_mapping(store, ANA, "Visa", {"date": "Posted"})
    assert imports.mapping_for(store, ANA, "Visa") == {"date": "Posted"}
    assert imports.mapping_for(store, BEN, "Visa") is None
    assert set(imports.accounts(store, ANA)) == {"Visa", "Girokonto"}


def test_rules_are_kept_per_user_in_order(store: Store) -> None:
    rules = [
        {"contains": "NETFLIX", "category": "Subscriptions"},
        {"contains": "$gt", "category": "X"},
    ]
    imports.save_rules(store, ANA, rules)
    assert imports.rules_for(store, ANA) == rules
    assert imports.rules_for(store, BEN) == []
