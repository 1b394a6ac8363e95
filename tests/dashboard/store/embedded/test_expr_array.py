"""Conformance tests for the array expression operators (``expr_array``, ``expr_scope``).

Expected values come from the MongoDB manual's operator pages (examples and tables) or are computed
by hand from their definitions; error codes are the server's
(``src/mongo/db/exec/expression/evaluate_array.cpp``, ``evaluate_map_reduce_filter.cpp``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

Docs = Sequence[Mapping[str, Any]]


def project(expr: Any) -> list[dict[str, Any]]:
    return [{"$project": {"r": expr}}]


def rows(*values: Any) -> list[dict[str, Any]]:
    return [{"_id": i, "r": v} for i, v in enumerate(values, 1)]


def docs(*fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"_id": i, **f} for i, f in enumerate(fields, 1)]


MISSING = object()


def rows_with_missing(*values: Any) -> list[dict[str, Any]]:
    """Like :func:`rows`, ``MISSING`` meaning the field is absent from the output document."""
    return [{"_id": i} if v is MISSING else {"_id": i, "r": v} for i, v in enumerate(values, 1)]


# manual $arrayElemAt / $slice / $reverseArray: the users collection.
USERS = docs(
    {"name": "dave123", "favorites": ["chocolate", "cake", "butter", "apples"]},
    {"name": "li", "favorites": ["apples", "pudding", "pie"]},
    {"name": "ahn", "favorites": ["pears", "pecans", "chocolate", "cherries"]},
    {"name": "ty", "favorites": ["ice cream"]},
)
# manual $filter: the sales collection (ids shifted to start at 1).
SALES = docs(
    {
        "items": [
            {"item_id": 43, "quantity": 2, "price": 10, "name": "pen"},
            {"item_id": 2, "quantity": 1, "price": 240, "name": "briefcase"},
        ]
    },
    {
        "items": [
            {"item_id": 23, "quantity": 3, "price": 110, "name": "notebook"},
            {"item_id": 103, "quantity": 4, "price": 5, "name": "pen"},
            {"item_id": 38, "quantity": 1, "price": 300, "name": "printer"},
        ]
    },
    {"items": [{"item_id": 4, "quantity": 1, "price": 23, "name": "paper"}]},
)
BRIEFCASE = {"item_id": 2, "quantity": 1, "price": 240, "name": "briefcase"}
NOTEBOOK = {"item_id": 23, "quantity": 3, "price": 110, "name": "notebook"}
PRINTER = {"item_id": 38, "quantity": 1, "price": 300, "name": "printer"}
PEN_0 = {"item_id": 43, "quantity": 2, "price": 10, "name": "pen"}
PEN_1 = {"item_id": 103, "quantity": 4, "price": 5, "name": "pen"}
PAPER = {"item_id": 4, "quantity": 1, "price": 23, "name": "paper"}


def expensive(**extra: Any) -> dict[str, Any]:
    return {
        "$filter": {
            "input": "$items",
            "as": "item",
            "cond": {"$gte": ["$$item.price", 100]},
            **extra,
        }
    }


CASES: list[tuple[str, Docs, list[dict[str, Any]], list[dict[str, Any]]]] = [
    # manual $size example (documents whose colors is an array)
    (
        "size",
        docs({"colors": ["blue", "black", "red"]}, {"colors": ["purple"]}, {"colors": []}),
        project({"$size": "$colors"}),
        rows(3, 1, 0),
    ),
    # manual $size example: guard with $isArray (here with a number in the else branch)
    (
        "size guarded",
        docs({"colors": ["blue", "black", "red"]}, {"item": "ZZZ1"}),
        project(
            {"$cond": {"if": {"$isArray": "$colors"}, "then": {"$size": "$colors"}, "else": -1}}
        ),
        rows(3, -1),
    ),
    # manual $arrayElemAt example: first and last favorites
    (
        "arrayElemAt",
        USERS,
        [
            {
                "$project": {
                    "first": {"$arrayElemAt": ["$favorites", 0]},
                    "last": {"$arrayElemAt": ["$favorites", -1]},
                }
            }
        ],
        [
            {"_id": 1, "first": "chocolate", "last": "apples"},
            {"_id": 2, "first": "apples", "last": "pie"},
            {"_id": 3, "first": "pears", "last": "cherries"},
            {"_id": 4, "first": "ice cream", "last": "ice cream"},
        ],
    ),
    # manual $arrayElemAt table: [1,2,3] at 0 -> 1, at -2 -> 2, at 15 -> missing
    (
        "arrayElemAt table",
        docs({"i": 0}, {"i": -2}, {"i": 15}, {"i": -4}),
        project({"$arrayElemAt": [[1, 2, 3], "$i"]}),
        rows_with_missing(1, 2, MISSING, MISSING),
    ),
    # manual $arrayElemAt: a null or missing array gives null
    (
        "arrayElemAt null",
        docs({"a": None}, {}),
        project({"$arrayElemAt": ["$a", 0]}),
        rows(None, None),
    ),
    # manual $first / $last (array operators): empty array -> missing, null -> null
    (
        "first",
        docs({"a": [1, 2, 3]}, {"a": []}, {"a": None}),
        project({"$first": "$a"}),
        rows_with_missing(1, MISSING, None),
    ),
    (
        "last",
        docs({"a": [1, 2, 3]}, {"a": []}),
        project({"$last": "$a"}),
        rows_with_missing(3, MISSING),
    ),
    # manual $slice example: first three favorites
    (
        "slice",
        USERS,
        project({"$slice": ["$favorites", 3]}),
        rows(
            ["chocolate", "cake", "butter"],
            ["apples", "pudding", "pie"],
            ["pears", "pecans", "chocolate"],
            ["ice cream"],
        ),
    ),
    # manual $slice table
    (
        "slice table",
        docs({"p": 1, "n": 1}, {"p": 15, "n": 2}, {"p": -15, "n": 2}),
        project({"$slice": [[1, 2, 3], "$p", "$n"]}),
        rows([2], [], [1, 2]),
    ),
    ("slice last two", docs({"n": -2}), project({"$slice": [[1, 2, 3], "$n"]}), rows([2, 3])),
    ("slice null", docs({"a": None}), project({"$slice": ["$a", 1]}), rows(None)),
    # manual $concatArrays example: a missing array makes the result null
    (
        "concatArrays",
        docs(
            {"instock": ["chocolate"], "ordered": ["butter", "apples"]},
            {"instock": ["apples", "pudding", "pie"]},
            {"instock": ["pears", "pecans"], "ordered": ["cherries"]},
            {"instock": ["ice cream"], "ordered": []},
        ),
        project({"$concatArrays": ["$instock", "$ordered"]}),
        rows(
            ["chocolate", "butter", "apples"], None, ["pears", "pecans", "cherries"], ["ice cream"]
        ),
    ),
    # manual $concatArrays table
    (
        "concatArrays table",
        docs({"w": ["world"]}),
        project({"$concatArrays": [["hello", " "], "$w"]}),
        rows(["hello", " ", "world"]),
    ),
    # manual $reverseArray example and table
    (
        "reverseArray",
        USERS[:2] + docs({}, {}, {"favorites": []})[2:],
        project({"$reverseArray": "$favorites"}),
        rows(["apples", "butter", "cake", "chocolate"], ["pie", "pudding", "apples"], []),
    ),
    (
        "reverseArray null",
        docs({"a": None}, {}),
        project({"$reverseArray": "$a"}),
        rows(None, None),
    ),
    # manual $isArray
    (
        "isArray",
        docs({"a": [1]}, {"a": None}, {}),
        project({"$isArray": "$a"}),
        rows(True, False, False),
    ),
    ("isArray of a string", docs({"s": "x"}), project({"$isArray": "$s"}), rows(False)),
    # manual $filter examples
    ("filter", SALES, project(expensive()), rows([BRIEFCASE], [NOTEBOOK, PRINTER], [])),
    ("filter limit", SALES, project(expensive(limit=1)), rows([BRIEFCASE], [NOTEBOOK], [])),
    (
        "filter limit past matches",
        SALES,
        project(expensive(limit=5)),
        rows([BRIEFCASE], [NOTEBOOK, PRINTER], []),
    ),
    (
        "filter null limit",
        SALES,
        project(expensive(limit=None)),
        rows([BRIEFCASE], [NOTEBOOK, PRINTER], []),
    ),
    (
        "filter string match",
        SALES,
        project(
            {"$filter": {"input": "$items", "as": "item", "cond": {"$eq": ["$$item.name", "pen"]}}}
        ),
        rows([PEN_0], [PEN_1], []),
    ),
    (
        "filter regex",
        SALES,
        project(
            {
                "$filter": {
                    "input": "$items",
                    "as": "item",
                    "cond": {"$regexMatch": {"input": "$$item.name", "regex": "^p"}},
                }
            }
        ),
        rows([PEN_0], [PEN_1, PRINTER], [PAPER]),
    ),
    # $$this is the default name; a null input gives null
    (
        "filter default name",
        docs({"a": [1, 5, 2, 8]}, {"a": None}),
        project({"$filter": {"input": "$a", "cond": {"$gt": ["$$this", 2]}}}),
        rows([5, 8], None),
    ),
    # the condition may read the document's other fields
    (
        "filter outer field",
        docs({"a": [1, 5, 2, 8], "min": 2}, {"a": [1, 5], "min": 5}),
        project({"$filter": {"input": "$a", "cond": {"$gte": ["$$this", "$min"]}}}),
        rows([5, 2, 8], [5]),
    ),
    # manual $map example: add 2 to each grade
    (
        "map",
        docs({"quizzes": [5, 6, 7]}, {"quizzes": []}, {"quizzes": [3, 8, 9]}),
        project({"$map": {"input": "$quizzes", "as": "grade", "in": {"$add": ["$$grade", 2]}}}),
        rows([7, 8, 9], [], [5, 10, 11]),
    ),
    # manual $map example: truncate each distance
    (
        "map trunc",
        docs(
            {"distances": [34.57, 81.96, 44.24]},
            {"distances": [73.28, 9.67, 124.36]},
            {"distances": [16.04, 3.25, 6.82]},
        ),
        project({"$map": {"input": "$distances", "as": "d", "in": {"$trunc": "$$d"}}}),
        rows([34.0, 81.0, 44.0], [73.0, 9.0, 124.0], [16.0, 3.0, 6.0]),
    ),
    # manual $map example: Celsius to Fahrenheit
    (
        "map fahrenheit",
        docs({"tempsC": [4, 12, 17]}, {"tempsC": [14, 24, 11]}, {"tempsC": [18, 6, 8]}),
        project(
            {
                "$map": {
                    "input": "$tempsC",
                    "as": "c",
                    "in": {"$add": [{"$multiply": ["$$c", 9 / 5]}, 32]},
                }
            }
        ),
        rows([39.2, 53.6, 62.6], [57.2, 75.2, 51.8], [64.4, 42.8, 46.4]),
    ),
    # a missing result inside $map becomes null in the array; $$ROOT and outer fields are visible
    (
        "map outer values",
        docs({"a": [{"x": 1}, {"y": 2}], "k": 10}),
        [
            {
                "$project": {
                    "x": {"$map": {"input": "$a", "in": "$$this.x"}},
                    "k": {"$map": {"input": "$a", "in": {"$add": ["$k", 1]}}},
                    "root": {"$map": {"input": "$a", "in": "$$ROOT.k"}},
                }
            }
        ],
        [{"_id": 1, "x": [1, None], "k": [11, 11], "root": [10, 10]}],
    ),
    # nested $map: the inner expression sees the outer element
    (
        "map nested",
        docs({"a": [1, 2], "b": [10, 20]}),
        project(
            {
                "$map": {
                    "input": "$a",
                    "as": "x",
                    "in": {"$map": {"input": "$b", "as": "y", "in": {"$add": ["$$x", "$$y"]}}},
                }
            }
        ),
        rows([[11, 21], [12, 22]]),
    ),
    (
        "map null",
        docs({"a": None}, {}),
        project({"$map": {"input": "$a", "in": 1}}),
        rows(None, None),
    ),
    # manual $reduce table: concatenating strings and arrays
    (
        "reduce concat",
        docs({"a": ["a", "b", "c"]}),
        project(
            {
                "$reduce": {
                    "input": "$a",
                    "initialValue": "",
                    "in": {"$concat": ["$$value", "$$this"]},
                }
            }
        ),
        rows("abc"),
    ),
    (
        "reduce concatArrays",
        docs({"a": [[3, 4], [5, 6]]}),
        project(
            {
                "$reduce": {
                    "input": "$a",
                    "initialValue": [1, 2],
                    "in": {"$concatArrays": ["$$value", "$$this"]},
                }
            }
        ),
        rows([1, 2, 3, 4, 5, 6]),
    ),
    # $reduce by definition: sums and products, the initial value for an empty array, null input
    (
        "reduce add",
        docs({"a": [1, 2, 3, 4]}, {"a": []}, {"a": None}),
        project(
            {"$reduce": {"input": "$a", "initialValue": 5, "in": {"$add": ["$$value", "$$this"]}}}
        ),
        rows(15, 5, None),
    ),
    (
        "reduce multiply",
        docs({"a": [1, 2, 3, 4]}),
        project(
            {
                "$reduce": {
                    "input": "$a",
                    "initialValue": 2,
                    "in": {"$multiply": ["$$value", "$$this"]},
                }
            }
        ),
        rows(48),
    ),
    # doubles are added in MongoDB's order: ((0.1 + 0.2) + 0.3)
    (
        "reduce add order",
        docs({"a": [0.2, 0.3]}),
        project(
            {"$reduce": {"input": "$a", "initialValue": 0.1, "in": {"$add": ["$$value", "$$this"]}}}
        ),
        rows((0.1 + 0.2) + 0.3),
    ),
]


@pytest.mark.parametrize(
    ("name", "documents", "pipeline", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_array(
    run: Any,
    name: str,
    documents: Docs,
    pipeline: list[dict[str, Any]],
    expected: list[dict[str, Any]],
) -> None:
    assert run(documents, pipeline) == expected


ERRORS: list[tuple[str, Docs, Any, int]] = [
    # manual $size: a missing or non-array argument is an error
    ("size missing", docs({"colors": ["a"]}, {}), {"$size": "$colors"}, 17124),
    ("size string", docs({"colors": "blue,red"}), {"$size": "$colors"}, 17124),
    ("arrayElemAt string", docs({"a": "x"}), {"$arrayElemAt": ["$a", 0]}, 28689),
    ("arrayElemAt fraction", docs({"a": [1]}), {"$arrayElemAt": ["$a", 0.5]}, 28691),
    ("first string", docs({"a": "x"}), {"$first": "$a"}, 28689),
    ("slice count zero", docs({"a": [1]}), {"$slice": ["$a", 0, 0]}, 28729),
    ("slice string", docs({"a": "x"}), {"$slice": ["$a", 1]}, 28724),
    ("concatArrays string", docs({"a": [1], "s": "x"}), {"$concatArrays": ["$a", "$s"]}, 28664),
    ("reverseArray string", docs({"s": "x"}), {"$reverseArray": "$s"}, 34435),
    ("filter string", docs({"s": "x"}), {"$filter": {"input": "$s", "cond": True}}, 28651),
    (
        "filter limit zero",
        docs({"a": [1]}),
        {"$filter": {"input": "$a", "cond": True, "limit": 0}},
        327392,
    ),
    (
        "filter unknown argument",
        docs({"a": [1]}),
        {"$filter": {"input": "$a", "cond": True, "x": 1}},
        28647,
    ),
    ("map string", docs({"s": "x"}), {"$map": {"input": "$s", "in": 1}}, 16883),
    ("map missing in", docs({"a": [1]}), {"$map": {"input": "$a"}}, 16882),
    (
        "map element error",
        docs({"a": [1, 0]}),
        {"$map": {"input": "$a", "in": {"$divide": [1, "$$this"]}}},
        2,
    ),
]


@pytest.mark.parametrize(("name", "documents", "expr", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_array_errors(run: Any, name: str, documents: Docs, expr: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as info:
        run(documents, project(expr))
    assert info.value.code == code


def test_filter_limit_not_checked_for_empty_input(run: Any) -> None:
    """evaluate_map_reduce_filter.cpp returns an empty input before evaluating ``limit``."""
    expr = {"$filter": {"input": "$a", "cond": True, "limit": 0}}
    assert run(docs({"a": []}), project(expr)) == rows([])


def test_reduce_other_folds_are_refused(run: Any) -> None:
    # manual $reduce table: an object accumulator; no closed form, so the engine refuses it
    expr = {
        "$reduce": {
            "input": "$a",
            "initialValue": {"sum": 5, "product": 2},
            "in": {
                "sum": {"$add": ["$$value.sum", "$$this"]},
                "product": {"$multiply": ["$$value.product", "$$this"]},
            },
        }
    }
    with pytest.raises(UnsupportedOperation):
        run(docs({"a": [1, 2, 3, 4]}), project(expr))
