"""Duplicates within a statement and categorisation rules: keys, literal case-insensitive matches."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboard.core.statement_rows import ROW_SCHEMA
from dashboard.core.statement_rules import Rule, apply_rules, dedupe_key, drop_file_duplicates


def _rows(*rows: tuple) -> pl.DataFrame:
    """Rows of (line, date, amount, description, category, external_id), currency EUR."""
    return pl.DataFrame(
        [(line, day, amount, text, category, "EUR", ext) for line, day, amount, text, category, ext in rows],
        schema=ROW_SCHEMA,
        orient="row",
    )  # fmt: skip


DAY = datetime(2025, 5, 3, 23, tzinfo=UTC)  # 4 May in London, 3 May in UTC


def test_keys_use_the_bank_id_or_the_utc_day_cents_and_folded_description() -> None:
    rows = _rows(
        (2, DAY, 23.45, "TESCO", "Food", "TX1001"),
        (3, DAY, 2.8, "  TFL   Travel\tCharge ", "Transport", None),
        (4, DAY, 12.345, "Straße", "Other", None),
        (5, DAY, -0.1, "Refund", "Other", ""),
    )
    assert_frame_equal(
        dedupe_key(rows).to_frame(),
        pl.DataFrame(
            {
                "key": [
                    "x:TX1001",
                    "d:2025-05-03|280|tfl travel charge",
                    "d:2025-05-03|1234|strasse",
                    "d:2025-05-03|-10|refund",
                ]
            }
        ),
    )


def test_duplicates_by_id_or_by_day_amount_and_description_are_dropped_after_the_first() -> None:
    rows = _rows(
        (2, DAY, 6.2, "PRET A MANGER", "Food", "TX1003"),
        (3, DAY, 9.0, "Something else", "Food", "TX1003"),  # same id: the same transaction
        (4, DAY, 2.8, "TFL TRAVEL CHARGE", "Transport", None),
        (5, DAY, 2.8, "tfl  travel charge", "Transport", None),  # same day, cents, words
        (6, DAY, 2.81, "TFL TRAVEL CHARGE", "Transport", None),  # one cent more: not a duplicate
        (7, DAY, 6.2, "PRET A MANGER", "Food", None),  # no id: not the id-keyed row
    )
    kept, dropped = drop_file_duplicates(rows)
    assert dropped == 2
    assert kept["line"].to_list() == [2, 4, 6, 7]


def _described(*descriptions: str) -> pl.DataFrame:
    return _rows(*((n, DAY, 1.0, text, "Uncategorized", None) for n, text in enumerate(descriptions, 2)))  # fmt: skip


def test_rules_match_literally_and_in_any_case() -> None:
    rows = _described("A.B Market", "AxB Market", "NETFLIX.COM", "spotify")
    rules = [Rule("a.b", "Groceries"), Rule("Netflix.com", "Streaming"), Rule("[s]", "Never")]
    updated, changed = apply_rules(rows, rules)
    assert updated["category"].to_list() == [
        "Groceries",
        "Uncategorized",
        "Streaming",
        "Uncategorized",
    ]
    assert changed == 2
    assert_frame_equal(updated.drop("category"), rows.drop("category"))


def test_the_first_matching_rule_wins() -> None:
    rows = _described("AMAZON PRIME VIDEO", "AMAZON MARKETPLACE")
    rules = [Rule("prime video", "Streaming"), Rule("amazon", "Shopping")]
    updated, changed = apply_rules(rows, rules)
    assert updated["category"].to_list() == ["Streaming", "Shopping"]
    assert changed == 2


def test_only_category_limits_the_rules_to_rows_still_in_it() -> None:
    rows = _described("UBER TRIP", "UBER EATS").with_columns(
        category=pl.Series(["Uncategorized", "Food"])
    )
    updated, changed = apply_rules(rows, [Rule("uber", "Transport")], only_category="Uncategorized")
    assert updated["category"].to_list() == ["Transport", "Food"]
    assert changed == 1
    everything, changed_all = apply_rules(rows, [Rule("uber", "Transport")])
    assert everything["category"].to_list() == ["Transport", "Transport"]
    assert changed_all == 2


def test_a_rule_giving_the_category_a_row_already_has_is_not_a_change() -> None:
    rows = _described("REWE").with_columns(category=pl.lit("Groceries"))
    assert apply_rules(rows, [Rule("rewe", "Groceries")])[1] == 0
    assert apply_rules(rows, [])[1] == 0


def test_a_rule_without_text_or_category_is_refused() -> None:
    assert Rule(" ", "Food").check() == ["a rule needs the text its descriptions contain"]
    assert Rule("rewe", "").check() == ["the rule for 'rewe' needs a category"]
    with pytest.raises(ValueError, match="a rule needs the text"):
        apply_rules(_described("x"), [Rule("", "Food")])
