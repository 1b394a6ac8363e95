"""Cache keys: stable across processes, sensitive to every argument."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import bson
import pytest

from dashboard.cache.keys import make_key


def by_category(user: str, *, start: dt.datetime, categories: list[str]) -> None: ...


def test_same_question_same_key_whatever_the_keyword_order() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    a = make_key(by_category, "u1", start=start, categories=["Food"])
    b = make_key(by_category, "u1", categories=["Food"], start=start)
    assert a == b
    assert a.startswith("tests.dashboard.cache.test_keys.by_category:")


@pytest.mark.parametrize(
    "other",
    [
        {"user": "u2"},
        {"start": dt.datetime(2025, 1, 2, tzinfo=dt.UTC)},
        {"categories": ["Rent"]},
        {"categories": ["Food", "Rent"]},
    ],
)
def test_any_argument_change_changes_the_key(other: dict) -> None:
    base = {"user": "u1", "start": dt.datetime(2025, 1, 1, tzinfo=dt.UTC), "categories": ["Food"]}
    changed = {**base, **other}
    assert make_key("q", **base) != make_key("q", **changed)


def test_keys_are_the_same_in_another_process() -> None:
    code = (
        "import datetime as dt, bson; from dashboard.cache.keys import make_key; "
        "print(make_key('q', bson.ObjectId('6b0b2e1ada6b1ab0ca9fb645'), "
        "start=dt.datetime(2025,1,1,tzinfo=dt.UTC), cats={'b','a'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = make_key(
        "q",
        bson.ObjectId("6b0b2e1ada6b1ab0ca9fb645"),
        start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        cats={"a", "b"},
    )
    assert out.stdout.strip() == here


def test_unhashable_arguments_are_refused_clearly() -> None:
    with pytest.raises(TypeError, match="cannot derive a cache key from a object"):
        make_key("q", object())
