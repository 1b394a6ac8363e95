"""$not, the expression and the query operator, checked against the manual (#16 item 10).

Manual, $not (aggregation): "Evaluates a boolean and returns the opposite boolean value"; false,
null, 0 and undefined (missing) are false, every other value, "" and [] included, is true; its
examples: {$not: [true]} is false, {$not: [[false]]} is false, {$not: [false]} is true. It takes
exactly one argument (error 16020). Manual, $not (query): it "selects the documents that do not
match the operator expression, including documents that do not contain the field".
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store.errors import OperationFailure
from tests.dashboard.store.embedded.conftest import RunFn

DOC = [{"_id": 1, "zero": 0, "empty": "", "none": None, "arr": [], "one": 1}]


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ({"$not": [True]}, False),
        ({"$not": [[False]]}, False),
        ({"$not": [False]}, True),
        ({"$not": ["$zero"]}, True),
        ({"$not": "$none"}, True),
        ({"$not": ["$missing"]}, True),
        ({"$not": ["$empty"]}, False),
        ({"$not": ["$arr"]}, False),
        ({"$not": ["$one"]}, False),
        ({"$not": [{"x": 0}]}, False),
    ],
)
def test_not_expression(run: RunFn, expr: dict[str, Any], expected: bool) -> None:
    assert run(DOC, [{"$project": {"_id": 0, "r": expr}}]) == [{"r": expected}]


@pytest.mark.parametrize("args", [[], [True, False]])
def test_not_takes_exactly_one_argument(run: RunFn, args: list[Any]) -> None:
    with pytest.raises(OperationFailure) as raised:
        run(DOC, [{"$project": {"r": {"$not": args}}}])
    assert raised.value.code == 16020


@pytest.mark.parametrize(
    ("flt", "ids"),
    [
        ({"a": {"$not": {"$gt": 5}}}, [1, 3, 4]),
        ({"a": {"$not": {"$eq": None}}}, [1, 2]),
        ({"a": {"$not": {"$in": [1]}}}, [2, 3, 4]),
        ({"a": {"$not": {"$gte": 1, "$lt": 5}}}, [2, 3, 4]),
    ],
)
def test_not_query_operator_includes_documents_without_the_field(
    run: RunFn, flt: dict[str, Any], ids: list[int]
) -> None:
    docs = [{"_id": 1, "a": 1}, {"_id": 2, "a": 9}, {"_id": 3}, {"_id": 4, "a": None}]
    assert sorted(d["_id"] for d in run(docs, [{"$match": flt}])) == ids
