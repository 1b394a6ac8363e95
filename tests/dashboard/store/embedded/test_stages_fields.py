"""$replaceRoot/$replaceWith with a new root written as an object: missing fields stay missing.

Manual, $replaceRoot / $replaceWith: the new root is an expression; Expressions > Expression
Objects: a field whose expression evaluates to missing is left out of the object. So
``{a: "$a", z: "$zz"}`` gives ``{a: 1}`` where ``zz`` does not exist, not ``{a: 1, z: null}``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboard.store.embedded.conftest import RunFn

DOCS = [{"_id": 1, "a": 1, "d": {"x": 1}}, {"_id": 2, "a": 2}]


@pytest.mark.parametrize(
    ("pipeline", "expected"),
    [
        ([{"$replaceWith": {"a": "$a", "z": "$zz"}}], [{"a": 1}, {"a": 2}]),
        (
            [{"$replaceRoot": {"newRoot": {"a": "$a", "d": "$d"}}}],
            [{"a": 1, "d": {"x": 1}}, {"a": 2}],
        ),
        (
            [
                {"$replaceWith": {"d": "$d", "n": None, "x": {"$literal": 5}}},
                {"$match": {"d": {"$exists": False}}},
            ],
            [{"n": None, "x": 5}],
        ),
        ([{"$replaceWith": {}}], [{}, {}]),
    ],
)
def test_missing_fields_of_a_new_root_stay_missing(
    run: RunFn, pipeline: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    assert run(DOCS, pipeline) == expected
