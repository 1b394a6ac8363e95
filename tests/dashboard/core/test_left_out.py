"""The counted notice of expenses left out as unusable: what a page says, word for word."""

from __future__ import annotations

import pytest

from dashboard.core.left_out import LeftOut


def test_nothing_left_out_says_nothing() -> None:
    assert LeftOut().notice() is None
    assert LeftOut({"amount": 0, "date": 0}).notice() is None
    assert LeftOut().total == 0


def test_one_reason_is_counted_with_its_words() -> None:
    assert LeftOut({"amount": 3}).notice() == "3 expenses with an invalid amount were left out."
    assert LeftOut({"category": 1}).notice() == "1 expense without a category was left out."


def test_several_reasons_are_listed_in_the_order_they_are_checked() -> None:
    left = LeftOut({"currency": 1, "amount": 2, "date": 1, "category": 1200})
    assert left.total == 1204
    assert left.notice() == (
        "1 expense without a valid date, 2 expenses with an invalid amount, 1,200 expenses "
        "without a category and 1 expense without a currency were left out."
    )


def test_an_unknown_reason_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown reasons \['colour'\]"):
        LeftOut({"colour": 1})
