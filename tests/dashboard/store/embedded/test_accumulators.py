"""Conformance tests for the extra ``$group`` accumulators and the review of the core ones.

Expected values come from the MongoDB manual's examples (cited per case) or are computed by hand
from the manual's definitions; none were taken from the engine's output.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

RunFn = Callable[[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]], list[dict[str, Any]]]

# $percentile / $median pages: the testScores collection.
TEST_SCORES = [
    {"studentId": "2345", "test01": 62, "test02": 81, "test03": 80},
    {"studentId": "2356", "test01": 60, "test02": 83, "test03": 79},
    {"studentId": "2358", "test01": 67, "test02": 82, "test03": 78},
    {"studentId": "2367", "test01": 64, "test02": 72, "test03": 77},
    {"studentId": "2369", "test01": 60, "test02": 53, "test03": 72},
]
# $top / $topN / $firstN pages: the gamescores collection.
GAMESCORES = [
    {"playerId": "PlayerA", "gameId": "G1", "score": 31},
    {"playerId": "PlayerB", "gameId": "G1", "score": 33},
    {"playerId": "PlayerC", "gameId": "G1", "score": 99},
    {"playerId": "PlayerD", "gameId": "G1", "score": 1},
    {"playerId": "PlayerA", "gameId": "G2", "score": 10},
    {"playerId": "PlayerB", "gameId": "G2", "score": 14},
    {"playerId": "PlayerC", "gameId": "G2", "score": 66},
    {"playerId": "PlayerD", "gameId": "G2", "score": 80},
]
# "Null and Missing Values" examples of $top, $bottom, $topN, $bottomN, $firstN, $minN.
NULL_SCORES = [
    {"playerId": "PlayerA", "gameId": "G1", "score": 1},
    {"playerId": "PlayerB", "gameId": "G1", "score": 2},
    {"playerId": "PlayerC", "gameId": "G1", "score": 3},
    {"playerId": "PlayerD", "gameId": "G1"},
    {"playerId": "PlayerE", "gameId": "G1", "score": None},
]
# $mergeObjects page (accumulator example): the sales collection.
SALES = [
    {"_id": 1, "year": 2017, "item": "A", "quantity": {"2017Q1": 500, "2017Q2": 500}},
    {
        "_id": 2,
        "year": 2016,
        "item": "A",
        "quantity": {"2016Q1": 400, "2016Q2": 300, "2016Q3": 0, "2016Q4": 0},
    },
    {"_id": 3, "year": 2017, "item": "B", "quantity": {"2017Q1": 300}},
    {"_id": 4, "year": 2016, "item": "B", "quantity": {"2016Q3": 100, "2016Q4": 250}},
]


def _pct(field: str, p: list[float]) -> dict[str, Any]:
    return {"$percentile": {"input": field, "p": p, "method": "approximate"}}


def _group(doc_id: Any, **fields: Any) -> list[dict[str, Any]]:
    return [{"$group": {"_id": doc_id, **fields}}, {"$sort": {"_id": 1}}]


CASES = [
    pytest.param(  # $percentile: "Calculate a Single Value as an Accumulator"
        TEST_SCORES,
        _group(None, test01_percentiles=_pct("$test01", [0.95])),
        [{"_id": None, "test01_percentiles": [67]}],
        id="percentile-single",
    ),
    pytest.param(  # $percentile: "Calculate Multiple Values as an Accumulator"
        TEST_SCORES,
        _group(
            None,
            test01_percentiles=_pct("$test01", [0.5, 0.75, 0.9, 0.95]),
            test02_percentiles=_pct("$test02", [0.5, 0.75, 0.9, 0.95]),
            test03_percentiles=_pct("$test03", [0.5, 0.75, 0.9, 0.95]),
            test03_percent_alt=_pct("$test03", [0.9, 0.5, 0.75, 0.95]),
        ),
        [
            {
                "_id": None,
                "test01_percentiles": [62, 64, 67, 67],
                "test02_percentiles": [81, 82, 83, 83],
                "test03_percentiles": [78, 79, 80, 80],
                "test03_percent_alt": [80, 78, 79, 80],
            }
        ],
        id="percentile-multiple",
    ),
    pytest.param(  # $median: "Use $median as an Accumulator"
        TEST_SCORES,
        _group(None, test01_median={"$median": {"input": "$test01", "method": "approximate"}}),
        [{"_id": None, "test01_median": 62}],
        id="median",
    ),
    pytest.param(
        # By hand: sorted [10, 20, 30, 40], n = 4; the k-th smallest with k = ceil(p·n) (the
        # manual's examples all pick an input value this way — e.g. p 0.5 of [60, 60, 62, 64, 67]
        # is 62, the 3rd — and "returns the minimum value for p = 0.0, the maximum for p = 1.0").
        # p 0.5 → ceil(2) = 2nd → 20 (an interpolation would give 25); p 0.25 → ceil(1) = 1st → 10;
        # p 0.26 → ceil(1.04) = 2nd → 20; p 0.75 → ceil(3) = 3rd → 30; p 0 → 10; p 1 → 40.
        [{"v": 40}, {"v": 10}, {"v": 30}, {"v": 20}],
        _group(None, p=_pct("$v", [0.5, 0.25, 0.26, 0.75, 0.0, 1.0])),
        [{"_id": None, "p": [20, 10, 20, 30, 10, 40]}],
        id="percentile-by-hand",
    ),
    pytest.param(  # input that is not numeric (null, missing) is ignored; none left → null
        [{"g": 1, "v": 3}, {"g": 1, "v": None}, {"g": 1}, {"g": 1, "v": 1}, {"g": 2}],
        _group(
            "$g",
            m={"$median": {"input": "$v", "method": "approximate"}},
            p=_pct("$v", [0.5, 1.0]),
        ),
        [{"_id": 1, "m": 1, "p": [1, 3]}, {"_id": 2, "m": None, "p": [None, None]}],
        id="percentile-ignores-null-missing",
    ),
    pytest.param(  # $percentile: strings cannot be converted to numbers, so they are ignored
        [{"s": "a"}, {"s": "b"}],
        _group(None, p=_pct("$s", [0.5])),
        [{"_id": None, "p": [None]}],
        id="percentile-non-numeric",
    ),
    pytest.param(  # $top: "Find the Top Score" (output reduced to the player: see test below)
        GAMESCORES,
        [
            {"$match": {"gameId": "G1"}},
            {
                "$group": {
                    "_id": "$gameId",
                    "playerId": {"$top": {"output": "$playerId", "sortBy": {"score": -1}}},
                }
            },
        ],
        [{"_id": "G1", "playerId": "PlayerC"}],
        id="top",
    ),
    pytest.param(  # $topN: "Finding the Three Highest Score Documents Across Multiple Games"
        GAMESCORES,
        _group(
            "$gameId",
            playerId={"$topN": {"output": "$playerId", "sortBy": {"score": -1}, "n": 3}},
        ),
        [
            {"_id": "G1", "playerId": ["PlayerC", "PlayerB", "PlayerA"]},
            {"_id": "G2", "playerId": ["PlayerD", "PlayerC", "PlayerB"]},
        ],
        id="topN",
    ),
    pytest.param(  # $topN: "Computing n Based on the Group Key for $group"
        GAMESCORES,
        _group(
            {"gameId": "$gameId"},
            gamescores={
                "$topN": {
                    "output": "$score",
                    "n": {"$cond": {"if": {"$eq": ["$gameId", "G2"]}, "then": 1, "else": 3}},
                    "sortBy": {"score": -1},
                }
            },
        ),
        [
            {"_id": {"gameId": "G1"}, "gamescores": [99, 33, 31]},
            {"_id": {"gameId": "G2"}, "gamescores": [80]},
        ],
        id="topN-n-from-group-key",
    ),
    pytest.param(  # By the $bottomN definition: G1 by score desc is C 99, B 33, A 31, D 1
        GAMESCORES,
        _group(
            "$gameId",
            playerId={"$bottomN": {"output": "$playerId", "sortBy": {"score": -1}, "n": 3}},
            last={"$bottom": {"output": "$playerId", "sortBy": {"score": -1}}},
        ),
        [
            {"_id": "G1", "playerId": ["PlayerB", "PlayerA", "PlayerD"], "last": "PlayerD"},
            {"_id": "G2", "playerId": ["PlayerC", "PlayerB", "PlayerA"], "last": "PlayerA"},
        ],
        id="bottomN",
    ),
    pytest.param(  # $top / $bottom "Null and Missing Values": missing and null tie, PlayerD wins
        NULL_SCORES,
        _group(
            "$gameId",
            top={"$top": {"output": "$playerId", "sortBy": {"score": 1}}},
            bottom={"$bottom": {"output": "$playerId", "sortBy": {"score": -1}}},
        ),
        [{"_id": "G1", "top": "PlayerD", "bottom": "PlayerD"}],
        id="top-bottom-null-missing",
    ),
    pytest.param(  # $topN / $bottomN "Null and Missing Values" (missing → null in the output)
        NULL_SCORES,
        _group(
            "$gameId",
            topN={
                "$topN": {
                    "output": {"p": "$playerId", "s": "$score"},
                    "sortBy": {"score": 1},
                    "n": 3,
                }
            },
            bottomN={"$bottomN": {"output": "$playerId", "sortBy": {"score": -1}, "n": 3}},
        ),
        [
            {
                "_id": "G1",
                "topN": [
                    {"p": "PlayerD", "s": None},
                    {"p": "PlayerE", "s": None},
                    {"p": "PlayerA", "s": 1},
                ],
                "bottomN": ["PlayerA", "PlayerD", "PlayerE"],
            }
        ],
        id="topN-bottomN-null-missing",
    ),
    pytest.param(
        # $bottomN ties at the cut-off: mongod keeps a document only if its key is strictly greater
        # than the smallest kept one, evicting the earliest smallest (the rule that gives the
        # manual's null examples above). By hand, n 2, sortBy v 1:
        #   a5 b5 c9 → {a, b}; c evicts a → [b, c]      c9 a5 b5 → {c, a}; b ties a → [a, c]
        [
            {"g": 1, "id": "a", "v": 5},
            {"g": 1, "id": "b", "v": 5},
            {"g": 1, "id": "c", "v": 9},
            {"g": 2, "id": "c", "v": 9},
            {"g": 2, "id": "a", "v": 5},
            {"g": 2, "id": "b", "v": 5},
        ],
        _group("$g", b={"$bottomN": {"output": "$id", "sortBy": {"v": 1}, "n": 2}}),
        [{"_id": 1, "b": ["b", "c"]}, {"_id": 2, "b": ["a", "c"]}],
        id="bottomN-ties",
    ),
    pytest.param(  # $firstN "Null and Missing Values": nulls kept, missing → null
        NULL_SCORES,
        _group("$gameId", firstFiveScores={"$firstN": {"input": "$score", "n": 5}}),
        [{"_id": "G1", "firstFiveScores": [1, 2, 3, None, None]}],
        id="firstN-null-missing",
    ),
    pytest.param(  # $firstN "Using $sort With $firstN"; $lastN by definition (last 3 of the group)
        GAMESCORES,
        [
            {"$sort": {"score": -1}},
            {
                "$group": {
                    "_id": "$gameId",
                    "first": {"$firstN": {"input": "$playerId", "n": 3}},
                    "last": {"$lastN": {"input": "$playerId", "n": 3}},
                }
            },
            {"$sort": {"_id": 1}},
        ],
        [
            {
                "_id": "G1",
                "first": ["PlayerC", "PlayerB", "PlayerA"],
                "last": ["PlayerB", "PlayerA", "PlayerD"],
            },
            {
                "_id": "G2",
                "first": ["PlayerD", "PlayerC", "PlayerB"],
                "last": ["PlayerC", "PlayerB", "PlayerA"],
            },
        ],
        id="firstN-lastN-sorted",
    ),
    pytest.param(  # $firstN "Computing n Based on the Group Key for $group"
        GAMESCORES,
        _group(
            {"gameId": "$gameId"},
            gamescores={
                "$firstN": {
                    "input": "$score",
                    "n": {"$cond": {"if": {"$eq": ["$gameId", "G2"]}, "then": 1, "else": 3}},
                }
            },
        ),
        [
            {"_id": {"gameId": "G1"}, "gamescores": [31, 33, 99]},
            {"_id": {"gameId": "G2"}, "gamescores": [10]},
        ],
        id="firstN-n-from-group-key",
    ),
    pytest.param(  # $minN "Null and Missing Values"; $maxN by definition (largest first)
        NULL_SCORES,
        _group(
            "$gameId",
            minimumThreeScores={"$minN": {"input": "$score", "n": 4}},
            maxTwo={"$maxN": {"input": "$score", "n": 2}},
        ),
        [{"_id": "G1", "minimumThreeScores": [1, 2, 3], "maxTwo": [3, 2]}],
        id="minN-maxN-null-missing",
    ),
    pytest.param(  # $mergeObjects "$mergeObjects as an Accumulator" (see _merged below)
        SALES,
        _group("$item", mergedSales={"$mergeObjects": "$quantity"}),
        [
            {
                "_id": "A",
                "mergedSales": {
                    "2017Q1": 500,
                    "2017Q2": 500,
                    "2016Q1": 400,
                    "2016Q2": 300,
                    "2016Q3": 0,
                    "2016Q4": 0,
                },
            },
            {"_id": "B", "mergedSales": {"2017Q1": 300, "2016Q3": 100, "2016Q4": 250}},
        ],
        id="mergeObjects",
    ),
    pytest.param(  # later documents overwrite; null operands are ignored; all null → {}
        [
            {"g": 1, "d": {"a": 1, "b": 1}},
            {"g": 1, "d": None},
            {"g": 1, "d": {"a": 2}},
            {"g": 2, "d": None},
            {"g": 2},
        ],
        _group("$g", m={"$mergeObjects": "$d"}, none={"$mergeObjects": "$nothing"}),
        [{"_id": 1, "m": {"a": 2, "b": 1}, "none": {}}, {"_id": 2, "m": {}, "none": {}}],
        id="mergeObjects-overwrite-and-null",
    ),
]


def _merged(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop None from sub-documents: inside a struct the engine returns absent keys as None
    (documented codec limit), while MongoDB leaves them out."""
    return [
        {
            k: {kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v
            for k, v in doc.items()
        }
        for doc in docs
    ]


@pytest.mark.parametrize(("documents", "pipeline", "expected"), CASES)
def test_accumulators(
    run: RunFn, documents: list[dict[str, Any]], pipeline: list[dict[str, Any]], expected: Any
) -> None:
    got = run(documents, pipeline)
    if "$mergeObjects" in str(pipeline):
        got = _merged(got)
    assert got == expected


def test_top_with_mixed_type_array_output_is_refused(run: RunFn) -> None:
    # The manual's $top example outputs [ "$playerId", "$score" ] — an array mixing strings and
    # numbers, which the engine cannot hold: it refuses instead of answering differently.
    pipeline = [
        {
            "$group": {
                "_id": "$gameId",
                "playerId": {"$top": {"output": ["$playerId", "$score"], "sortBy": {"score": -1}}},
            }
        }
    ]
    with pytest.raises(UnsupportedOperation):
        run(GAMESCORES, pipeline)


@pytest.mark.parametrize(
    ("accumulator", "code"),
    [
        # mongod accepts only 'approximate' unless a feature flag is on ($percentile page)
        ({"$median": {"input": "$v", "method": "discrete"}}, 2),
        ({"$percentile": {"input": "$v", "p": [0.5], "method": "continuous"}}, 2),
        ({"$median": {"input": "$v"}}, 40414),
        ({"$percentile": {"input": "$v", "method": "approximate"}}, 40414),
        ({"$percentile": {"input": "$v", "p": 0.5, "method": "approximate"}}, 7750301),
        ({"$percentile": {"input": "$v", "p": [1.5], "method": "approximate"}}, 7750303),
        ({"$topN": {"output": "$v", "sortBy": {"v": 1}}}, 5788003),
        ({"$top": {"output": "$v", "sortBy": {"v": 1}, "n": 1}}, 5788002),
        ({"$top": {"output": "$v"}}, 5788005),
        ({"$firstN": {"input": "$v", "n": 0}}, 5787908),
        ({"$firstN": {"input": "$v", "n": 1.5}}, 5787902),
        ({"$minN": {"input": "$v"}}, 5787906),
        ({"$mergeObjects": "$v"}, 40400),
    ],
)
def test_invalid_specs(run: RunFn, accumulator: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"v": 1}], [{"$group": {"_id": None, "x": accumulator}}])
    assert err.value.code == code


# -- review of the core accumulators against the manual -------------------------------------------

CORE = [
    pytest.param(  # $sum: non-numeric values are ignored; ints sum to an int, doubles to a double
        [
            {"g": 1, "i": 1, "f": 1.5, "s": "x", "a": [1, 2]},
            {"g": 1, "i": 2, "f": 2, "s": "y", "a": [3]},
        ],
        _group(
            "$g",
            i={"$sum": "$i"},
            f={"$sum": "$f"},
            s={"$sum": "$s"},
            a={"$sum": "$a"},
            missing={"$sum": "$nope"},
            count={"$sum": 1},
        ),
        [{"_id": 1, "i": 3, "f": 3.5, "s": 0, "a": 0, "missing": 0, "count": 2}],
        id="sum",
    ),
    pytest.param(  # $avg ignores non-numeric, null and missing values; none numeric → null
        [
            {"g": 1, "v": 2, "s": "x"},
            {"g": 1, "v": None, "s": "y"},
            {"g": 1, "s": "z"},
            {"g": 1, "v": 4, "s": "w"},
        ],
        _group("$g", v={"$avg": "$v"}, s={"$avg": "$s"}),
        [{"_id": 1, "v": 3.0, "s": None}],
        id="avg",
    ),
    pytest.param(  # $first / $last: a missing field gives null
        [{"g": 1}, {"g": 1, "v": 1}, {"g": 1}],
        _group("$g", first={"$first": "$v"}, last={"$last": "$v"}),
        [{"_id": 1, "first": None, "last": None}],
        id="first-last-missing",
    ),
    pytest.param(  # $push / $addToSet skip missing values but keep null
        [{"g": 1, "v": 1}, {"g": 1, "v": None}, {"g": 1}, {"g": 1, "v": 1}],
        _group("$g", push={"$push": "$v"}, set={"$addToSet": "$v"}),
        [{"_id": 1, "push": [1, None, 1], "set": [1, None]}],
        id="push-addToSet",
    ),
    pytest.param(  # $stdDevSamp of one value is null; $stdDevPop of one value is 0
        [{"g": 1, "v": 5}, {"g": 2, "v": 1}, {"g": 2, "v": 3}],
        _group("$g", samp={"$stdDevSamp": "$v"}, pop={"$stdDevPop": "$v"}),
        [{"_id": 1, "samp": None, "pop": 0.0}, {"_id": 2, "samp": 2**0.5, "pop": 1.0}],
        id="stdDev",
    ),
    pytest.param(  # $min / $max ignore null and missing; only those → null
        [{"g": 1, "v": None}, {"g": 1}, {"g": 1, "v": 5}, {"g": 1, "v": 2}, {"g": 2}],
        _group("$g", min={"$min": "$v"}, max={"$max": "$v"}),
        [{"_id": 1, "min": 2, "max": 5}, {"_id": 2, "min": None, "max": None}],
        id="min-max",
    ),
]


@pytest.mark.parametrize(("documents", "pipeline", "expected"), CORE)
def test_core_accumulators(
    run: RunFn, documents: list[dict[str, Any]], pipeline: list[dict[str, Any]], expected: Any
) -> None:
    got = run(documents, pipeline)
    for doc in got:
        if "set" in doc:
            doc["set"] = sorted(doc["set"], key=lambda v: (v is not None, v))
    for doc in expected:
        if "set" in doc:
            doc["set"] = sorted(doc["set"], key=lambda v: (v is not None, v))
    assert got == expected


def test_group_keys_tell_a_missing_field_from_a_null_one(run: RunFn) -> None:
    # Manual, Expressions > Expression Objects: a field whose expression evaluates to missing is
    # left out of the object, so the keys {y: 2025} and {c: null, y: 2025} differ and $group
    # ($group: "_id ... groups by distinct key values") makes two groups of them.
    docs = [
        {"_id": 1, "y": 2025, "a": 1},
        {"_id": 2, "c": None, "y": 2025, "a": 2},
        {"_id": 3, "c": None, "y": 2025, "a": 4},
        {"_id": 4, "c": "x", "y": 2025, "a": 8},
    ]
    out = run(docs, [{"$group": {"_id": {"c": "$c", "y": "$y"}, "n": {"$sum": "$a"}}}])
    assert sorted(doc["n"] for doc in out) == [1, 6, 8]
    # A plain field path as the key: missing and null both group as null (one group).
    out = run(docs, [{"$group": {"_id": "$c", "n": {"$sum": "$a"}}}])
    assert sorted(doc["n"] for doc in out) == [7, 8]


def test_integer_sum_never_wraps(run: RunFn) -> None:
    # Manual, $sum (aggregation): integers add exactly and the result stays a long when it fits;
    # past the range of long mongod returns a double, which the engine cannot put in a column of
    # longs, so it refuses (docs/embedded-engine.md, deviations) instead of wrapping to a negative.
    big = 2**62
    docs = [{"_id": 1, "v": big}, {"_id": 2, "v": big - 1}, {"_id": 3, "v": -big}]
    assert run(docs, [{"$group": {"_id": None, "t": {"$sum": "$v"}}}]) == [
        {"_id": None, "t": big - 1}  # a partial sum passed 2**63 - 1; the total fits
    ]
    with pytest.raises(UnsupportedOperation, match=r"integer \$sum past the range of long"):
        run([{"v": big}, {"v": big}], [{"$group": {"_id": None, "t": {"$sum": "$v"}}}])
