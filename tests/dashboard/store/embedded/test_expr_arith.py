"""Conformance tests for the arithmetic expression operators (``expr_arith``, ``expr_math``).

Expected values come from the MongoDB manual's operator pages (examples and definitions) or are
computed by hand from those definitions; the server's evaluation rules cited for edge cases are
those of ``src/mongo/db/exec/expression/evaluate_math.cpp``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

Docs = Sequence[Mapping[str, Any]]
UTC = dt.UTC


def project(expr: Any) -> list[dict[str, Any]]:
    return [{"$project": {"r": expr}}]


def rows(*values: Any) -> list[dict[str, Any]]:
    """Expected ``{_id: i, r: value}`` documents, ids from 1."""
    return [{"_id": i, "r": v} for i, v in enumerate(values, 1)]


def docs(*fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"_id": i, **f} for i, f in enumerate(fields, 1)]


# manual $add / $subtract / $multiply: the sales collection.
SALES = [
    {
        "_id": 1,
        "item": "abc",
        "price": 10,
        "fee": 2,
        "discount": 5,
        "date": dt.datetime(2014, 3, 1, 8),
    },
    {
        "_id": 2,
        "item": "jkl",
        "price": 20,
        "fee": 1,
        "discount": 2,
        "date": dt.datetime(2014, 3, 1, 9),
    },
    {
        "_id": 3,
        "item": "xyz",
        "price": 5,
        "fee": 0,
        "discount": 0,
        "date": dt.datetime(2014, 3, 15, 9),
    },
]
# manual $ceil / $floor: the samples collection.
CEIL_FLOOR = docs({"value": 9.25}, {"value": 8.73}, {"value": 4.32}, {"value": -5.34})
# manual $round / $trunc: the samples collection.
ROUND_SAMPLES = docs({"value": 19.25}, {"value": 28.73}, {"value": 34.32}, {"value": -45.39})

CASES: list[tuple[str, Docs, list[dict[str, Any]], list[dict[str, Any]]]] = [
    # manual $add "Add Numbers": total = price + fee
    ("add numbers", SALES, project({"$add": ["$price", "$fee"]}), rows(12, 21, 5)),
    # manual $add "Perform Addition on a Date": 3 days in milliseconds
    (
        "add to a date",
        SALES,
        project({"$add": ["$date", 3 * 24 * 60 * 60000]}),
        rows(
            dt.datetime(2014, 3, 4, 8, tzinfo=UTC),
            dt.datetime(2014, 3, 4, 9, tzinfo=UTC),
            dt.datetime(2014, 3, 18, 9, tzinfo=UTC),
        ),
    ),
    # manual $add behaviour: a non-integer added to a date is rounded to the nearest integer
    # (llround: half away from zero), 2.5 ms -> 3 ms, -2.5 ms -> -3 ms
    (
        "add a double to a date",
        docs({"d": dt.datetime(2020, 1, 1), "n": 2.5}, {"d": dt.datetime(2020, 1, 1), "n": -2.5}),
        project({"$add": ["$d", "$n"]}),
        rows(
            dt.datetime(2020, 1, 1, 0, 0, 0, 3000, tzinfo=UTC),
            dt.datetime(2019, 12, 31, 23, 59, 59, 997000, tzinfo=UTC),
        ),
    ),
    # ints stay ints, one double makes a double: 1 + 2 + 0.5
    ("add mixed", docs({"a": 1, "b": 2}), project({"$add": ["$a", "$b", 0.5]}), rows(3.5)),
    # a null or missing argument makes the result null (present as None)
    (
        "add null and missing",
        docs({"a": 1, "b": None}, {"a": 1}),
        project({"$add": ["$a", "$b"]}),
        rows(None, None),
    ),
    # $add of no arguments is 0 (AddState starts at int 0)
    ("add nothing", docs({"a": 1}), project({"$add": []}), rows(0)),
    # arguments are evaluated left to right up to the first null: a later bad type is not reached
    ("add stops at null", docs({"a": None}), project({"$add": ["$a", "text"]}), rows(None)),
    # manual $subtract "Subtract Numbers": price + fee - discount
    (
        "subtract numbers",
        SALES[:2],
        project({"$subtract": [{"$add": ["$price", "$fee"]}, "$discount"]}),
        rows(7, 19),
    ),
    # manual $subtract "Subtract Milliseconds from a Date": 5 minutes
    (
        "subtract ms from a date",
        SALES[:2],
        project({"$subtract": ["$date", 5 * 60 * 1000]}),
        rows(
            dt.datetime(2014, 3, 1, 7, 55, tzinfo=UTC), dt.datetime(2014, 3, 1, 8, 55, tzinfo=UTC)
        ),
    ),
    # manual $subtract: the difference of two dates is in milliseconds (14 days here)
    (
        "subtract dates",
        docs({"a": dt.datetime(2014, 3, 15, 9), "b": dt.datetime(2014, 3, 1, 9)}),
        project({"$subtract": ["$a", "$b"]}),
        rows(14 * 86_400_000),
    ),
    ("subtract null", docs({"a": 5}), project({"$subtract": ["$a", "$missing"]}), rows(None)),
    # manual $multiply: price * quantity
    (
        "multiply",
        docs(
            {"price": 10, "quantity": 2}, {"price": 20, "quantity": 1}, {"price": 5, "quantity": 10}
        ),
        project({"$multiply": ["$price", "$quantity"]}),
        rows(20, 20, 50),
    ),
    ("multiply null", docs({"a": 2}), project({"$multiply": ["$a", None, 3]}), rows(None)),
    # manual $divide: hours / 8 work days (a double)
    (
        "divide",
        docs({"hours": 80, "tasks": 7}, {"hours": 40, "tasks": 4}),
        project({"$divide": ["$hours", 8]}),
        rows(10.0, 5.0),
    ),
    # IEEE division by a constant is correctly rounded: 3 / 10 is the double 0.3
    ("divide exactly", docs({"a": 3}, {"a": 7}), project({"$divide": ["$a", 10]}), rows(0.3, 0.7)),
    ("divide null", docs({"a": 3}), project({"$divide": ["$a", None]}), rows(None)),
    # manual $mod: hours % tasks
    (
        "mod",
        docs({"hours": 80, "tasks": 7}, {"hours": 40, "tasks": 4}),
        project({"$mod": ["$hours", "$tasks"]}),
        rows(3, 0),
    ),
    # manual $mod "Negative Dividend": -13 % 9 is -4 (the remainder takes the dividend's sign)
    (
        "mod negative dividend",
        docs({"dividend": -13, "divisor": 9}),
        project({"$mod": ["$dividend", "$divisor"]}),
        rows(-4),
    ),
    # doubles: C's fmod, sign of the dividend: fmod(7.5, 2) = 1.5, fmod(-7.5, 2) = -1.5
    ("mod doubles", docs({"a": 7.5}, {"a": -7.5}), project({"$mod": ["$a", 2]}), rows(1.5, -1.5)),
    # manual $abs: |start - end|
    (
        "abs",
        docs(
            {"start": 5, "end": 8},
            {"start": 4, "end": 4},
            {"start": 9, "end": 7},
            {"start": 6, "end": 7},
        ),
        project({"$abs": {"$subtract": ["$start", "$end"]}}),
        rows(3, 0, 2, 1),
    ),
    # manual $abs: null or missing gives null
    ("abs null", docs({"a": None}, {}), project({"$abs": "$a"}), rows(None, None)),
    # manual $ceil / $floor examples
    ("ceil", CEIL_FLOOR, project({"$ceil": "$value"}), rows(10.0, 9.0, 5.0, -5.0)),
    ("floor", CEIL_FLOOR, project({"$floor": "$value"}), rows(9.0, 8.0, 4.0, -6.0)),
    ("floor of an int", docs({"a": 7}), project({"$floor": "$a"}), rows(7)),
    # manual $round: definitions with 1234.5678
    (
        "round definitions",
        docs({"v": 1234.5678}),
        [
            {
                "$project": {
                    "p2": {"$round": ["$v", 2]},
                    "m2": {"$round": ["$v", -2]},
                    "m4": {"$round": ["$v", -4]},
                    "p0": {"$round": ["$v", 0]},
                }
            }
        ],
        [{"_id": 1, "p2": 1234.57, "m2": 1200.0, "m4": 0.0, "p0": 1235.0}],
    ),
    # manual $round example: one decimal place, ties to even (19.25 -> 19.2)
    (
        "round 1 place",
        ROUND_SAMPLES,
        project({"$round": ["$value", 1]}),
        rows(19.2, 28.7, 34.3, -45.4),
    ),
    # manual $round example: place -1
    (
        "round -1 place",
        ROUND_SAMPLES,
        project({"$round": ["$value", -1]}),
        rows(20.0, 30.0, 30.0, -50.0),
    ),
    # manual "Rounding to Even Values": 10.5 -> 10, 11.5 -> 12, 12.5 -> 12, 13.5 -> 14
    (
        "round half to even",
        docs({"v": 10.5}, {"v": 11.5}, {"v": 12.5}, {"v": 13.5}, {"v": 2.5}, {"v": -2.5}),
        project({"$round": ["$v", 0]}),
        rows(10.0, 12.0, 12.0, 14.0, 2.0, -2.0),
    ),
    # the decimal value of the double decides: 19.05 is 19.0500000000000007105… -> 19.1;
    # 1.005 is 1.00499999999999989… -> 1.0 (MongoDB rounds the exact value, not a scaled double)
    (
        "round exact decimal value",
        docs({"v": 19.05, "p": 1}, {"v": 1.005, "p": 2}, {"v": 0.285, "p": 2}),
        project({"$round": ["$v", "$p"]}),
        rows(19.1, 1.0, 0.28),
    ),
    # integers stay integers; a negative place rounds them half to even
    (
        "round ints",
        docs({"v": 1250}, {"v": 1350}, {"v": -1250}, {"v": 1234}),
        project({"$round": ["$v", -2]}),
        rows(1200, 1400, -1200, 1200),
    ),
    ("round int place 2", docs({"v": 7}), project({"$round": ["$v", 2]}), rows(7)),
    ("round null place", docs({"v": 1.5}), project({"$round": ["$v", None]}), rows(None)),
    ("round missing", docs({}), project({"$round": ["$v", 1]}), rows(None)),
    # manual $trunc definitions and example
    (
        "trunc definitions",
        docs({"v": 1234.5678}),
        [
            {
                "$project": {
                    "p2": {"$trunc": ["$v", 2]},
                    "m2": {"$trunc": ["$v", -2]},
                    "m4": {"$trunc": ["$v", -4]},
                }
            }
        ],
        [{"_id": 1, "p2": 1234.56, "m2": 1200.0, "m4": 0.0}],
    ),
    (
        "trunc 1 place",
        ROUND_SAMPLES,
        project({"$trunc": ["$value", 1]}),
        rows(19.2, 28.7, 34.3, -45.3),
    ),
    ("trunc default", ROUND_SAMPLES, project({"$trunc": "$value"}), rows(19.0, 28.0, 34.0, -45.0)),
    (
        "trunc ints",
        docs({"v": -1299}, {"v": 1299}),
        project({"$trunc": ["$v", -2]}),
        rows(-1200, 1200),
    ),
    # manual $pow table: 5^0 = 1, 5^2 = 25, 5^-2 = 0.04
    ("pow ints", docs({"e": 0}, {"e": 2}), project({"$pow": [5, "$e"]}), rows(1, 25)),
    ("pow negative exponent", docs({"b": 5}), project({"$pow": ["$b", -2]}), rows(0.04)),
    ("pow null", docs({"b": 5}), project({"$pow": ["$b", "$missing"]}), rows(None)),
    # by definition: (-1)^-3 = -1, (-1)^4 = 1, 1^-2 = 1, 0^0 = 1
    (
        "pow units",
        docs({"b": -1, "e": -3}, {"b": -1, "e": 4}, {"b": 1, "e": -2}, {"b": 0, "e": 0}),
        project({"$pow": ["$b", "$e"]}),
        rows(-1, 1, 1, 1),
    ),
    # manual $sqrt example: distance between two points
    (
        "sqrt distance",
        docs(
            {"p1": {"x": 5, "y": 8}, "p2": {"x": 0, "y": 5}},
            {"p1": {"x": -3, "y": 7}, "p2": {"x": 4, "y": 0}},
        ),
        project(
            {
                "$sqrt": {
                    "$add": [
                        {"$pow": [{"$subtract": ["$p2.y", "$p1.y"]}, 2]},
                        {"$pow": [{"$subtract": ["$p2.x", "$p1.x"]}, 2]},
                    ]
                }
            }
        ),
        rows(5.830951894845301, 9.899494936611665),
    ),
    # manual $sqrt table: sqrt(25) = 5, sqrt(null) = null
    ("sqrt", docs({"v": 25}, {"v": None}), project({"$sqrt": "$v"}), rows(5.0, None)),
    # manual $exp example: effective rate of continuous compounding
    (
        "exp",
        docs({"interestRate": 0.08}, {"interestRate": 0.0825}, {"interestRate": 0.0425}),
        project({"$subtract": [{"$exp": "$interestRate"}, 1]}),
        rows(0.08328706767495864, 0.08599867343905654, 0.04341605637367807),
    ),
    # manual $exp table: e^0 = 1, e^2, e^-2
    (
        "exp table",
        docs({"v": 0}, {"v": 2}, {"v": -2}),
        project({"$exp": "$v"}),
        rows(1.0, 7.38905609893065, 0.1353352832366127),
    ),
    # manual $ln table: ln 1 = 0, ln 10 = 2.302585092994046
    ("ln", docs({"v": 1}, {"v": 10}), project({"$ln": "$v"}), rows(0.0, 2.302585092994046)),
    # manual $log10 table
    (
        "log10",
        docs({"v": 1}, {"v": 10}, {"v": 100}, {"v": 1000}),
        project({"$log10": "$v"}),
        rows(0.0, 1.0, 2.0, 3.0),
    ),
    # manual $log table: log_10(100) = 2, log_e(100) = 4.605170185988092
    (
        "log",
        docs({"b": 10}, {"b": math.e}),
        project({"$log": [100, "$b"]}),
        rows(2.0, 4.605170185988092),
    ),
    # an error in the branch $cond does not take is never raised (MongoDB evaluates one branch)
    (
        "guarded divide",
        docs({"a": 1, "b": 0}, {"a": 1, "b": 4}),
        project({"$cond": [{"$eq": ["$b", 0]}, None, {"$divide": ["$a", "$b"]}]}),
        rows(None, 0.25),
    ),
    # ... nor in an $add argument after a null
    (
        "add after null",
        docs({"a": None}),
        project({"$add": ["$a", {"$divide": [1, 0]}]}),
        rows(None),
    ),
]


@pytest.mark.parametrize(
    ("name", "documents", "pipeline", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_arith(
    run: Any,
    name: str,
    documents: Docs,
    pipeline: list[dict[str, Any]],
    expected: list[dict[str, Any]],
) -> None:
    assert run(documents, pipeline) == expected


ERRORS: list[tuple[str, Docs, Any, int]] = [
    # evaluate_math.cpp: "$add only supports numeric or date types, not string" (TypeMismatch 14)
    ("add string", docs({"a": 1, "s": "x"}), {"$add": ["$a", "$s"]}, 14),
    ("add bool", docs({"a": True}), {"$add": ["$a", 1]}, 14),
    ("add two dates", docs({"d": dt.datetime(2020, 1, 1)}), {"$add": ["$d", "$d"]}, 16612),
    (
        "subtract date from number",
        docs({"d": dt.datetime(2020, 1, 1)}),
        {"$subtract": [1, "$d"]},
        14,
    ),
    ("multiply string", docs({"s": "x"}), {"$multiply": [2, "$s"]}, 14),
    # manual $divide / server: "can't $divide by zero" (BadValue 2)
    ("divide by zero", docs({"a": 1, "b": 0}, {"a": 1, "b": 2}), {"$divide": ["$a", "$b"]}, 2),
    ("divide string", docs({"s": "x"}), {"$divide": ["$s", 2]}, 14),
    ("mod by zero", docs({"a": 5}), {"$mod": ["$a", 0]}, 16610),
    ("mod string", docs({"s": "x"}), {"$mod": ["$s", 2]}, 16611),
    ("abs string", docs({"s": "x"}), {"$abs": "$s"}, 28765),
    ("sqrt negative", docs({"v": -1}), {"$sqrt": "$v"}, 28714),
    ("ln zero", docs({"v": 0}), {"$ln": "$v"}, 28766),
    ("log10 negative", docs({"v": -10}), {"$log10": "$v"}, 28761),
    ("log base one", docs({"v": 10}), {"$log": ["$v", 1]}, 28759),
    ("pow zero negative", docs({"v": 0}), {"$pow": ["$v", -1]}, 28764),
    ("round string", docs({"s": "x"}), {"$round": ["$s", 1]}, 51081),
    # manual $round: place must be an integer with -20 < place < 100
    ("round place range", docs({"v": 1.5}), {"$round": ["$v", 101]}, 51083),
    ("round place fraction", docs({"v": 1.5}), {"$round": ["$v", 1.5]}, 51082),
    ("arity", docs({"v": 1}), {"$divide": ["$v"]}, 16020),
]


@pytest.mark.parametrize(("name", "documents", "expr", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_arith_errors(run: Any, name: str, documents: Docs, expr: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as info:
        run(documents, project(expr))
    assert info.value.code == code


def test_errors_need_a_document(run: Any) -> None:
    """MongoDB fails on a document holding the bad value: an empty input never fails."""
    assert run([], project({"$divide": ["$a", 0]})) == []
    pipeline = [{"$match": {"b": {"$ne": 0}}}, *project({"$divide": ["$a", "$b"]})]
    assert run(docs({"a": 1, "b": 0}, {"a": 1, "b": 2}), pipeline) == [{"_id": 2, "r": 0.5}]


def test_pow_nan(run: Any) -> None:
    # manual $pow table: (-5)^0.5 is NaN
    (result,) = run(docs({"b": -5}), project({"$pow": ["$b", 0.5]}))
    assert math.isnan(result["r"])


def test_integer_overflow_is_refused(run: Any) -> None:
    """MongoDB promotes an overflowing long result to a double; one column cannot, so refuse."""
    with pytest.raises(UnsupportedOperation):
        run(docs({"a": 2**62}), project({"$add": ["$a", 2**62]}))
    with pytest.raises(UnsupportedOperation):
        run(docs({"a": 2**40}), project({"$multiply": ["$a", 2**40]}))
