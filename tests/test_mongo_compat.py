"""The MongoDB compatibility gate's checker: versions from the manual, and what a server refuses.

The gate itself runs at the end of every test run (``tests/conftest.py``) over everything the app
sent; these tests show that its checker finds what it must.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.mongo_compat import Recorder, Sent, operators, refusals, violations


def _aggregate(pipeline: list[dict[str, Any]]) -> Recorder:
    recorder = Recorder()
    recorder.add("aggregate", "expenses", pipeline)
    return recorder


def test_operators_are_found_wherever_they_are_nested() -> None:
    pipeline = [
        {"$match": {"tags": {"$elemMatch": {"$in": ["a"]}}, "$expr": {"$gt": ["$a", 1]}}},
        {"$group": {"_id": {"$dateTrunc": {"date": "$d", "unit": "month"}}, "p": {"$percentile": {"input": "$a", "p": [0.95], "method": "approximate"}}}},
        {"$setWindowFields": {"sortBy": {"d": 1}, "output": {"r": {"$locf": "$a"}}}},
        {"$lookup": {"from": "u", "let": {"uid": "$u"}, "pipeline": [{"$match": {"$expr": {"$eq": ["$_id", "$$uid"]}}}], "as": "x"}},
        {"$facet": {"n": [{"$count": "n"}]}},
        {"$project": {"s": {"sub": {"$toUpper": "$c"}}, "keep": 1}},
    ]  # fmt: skip
    found = set(operators(Sent("aggregate", "expenses", pipeline)))
    assert {
        ("query", "$elemMatch"), ("query", "$in"), ("query", "$expr"), ("expression", "$gt"),
        ("expression", "$dateTrunc"), ("accumulator", "$percentile"), ("window", "$locf"),
        ("stage", "$lookup"), ("expression", "$eq"), ("stage", "$count"),
        ("expression", "$toUpper"),
    } <= found  # fmt: skip


def test_percentile_is_allowed_on_7_0_and_not_on_6_0() -> None:
    # Manual, $percentile (aggregation accumulator): "New in version 7.0".
    recorder = _aggregate([{"$group": {"_id": None, "p": {"$median": {"input": "$a", "method": "approximate"}}}}])  # fmt: skip
    assert violations(recorder) == []
    [problem] = violations(recorder, minimum=(6, 0))
    assert problem.startswith("accumulator $median needs MongoDB 7.0, newer than the minimum 6.0")


def test_an_operator_newer_than_the_minimum_fails() -> None:
    # Manual, $toUUID: "New in version 8.0".
    [problem] = violations(_aggregate([{"$project": {"u": {"$toUUID": "$s"}}}]))
    assert "expression $toUUID needs MongoDB 8.0" in problem


def test_an_operator_missing_from_the_table_fails_rather_than_passes() -> None:
    [problem] = violations(_aggregate([{"$project": {"u": {"$shinyNew": "$s"}}}]))
    assert "expression $shinyNew is not in the version table" in problem


@pytest.mark.parametrize(
    ("pipeline", "reason"),
    [
        ([{"$out": "x"}, {"$match": {}}], "$out must be the last stage"),
        ([{"$facet": {"a": [{"$merge": {"into": "x"}}]}}], "$merge is not allowed inside $facet"),
        ([{"$match": {"a": 1}}, {"$match": {"$text": {"$search": "x"}}}], "$text is only allowed in the first $match"),
        ([{"$project": {"v": "$$missing"}}], "variable $$missing is used but not defined"),
        ([{"$lookup": {"from": "u", "let": {"Uid": "$u"}, "pipeline": [], "as": "x"}}], "must start with a lowercase letter"),
        ([{"allowDiskUse": True}], "an option of the aggregate command, not a stage"),
    ],
)  # fmt: skip
def test_what_a_server_refuses(pipeline: list[dict[str, Any]], reason: str) -> None:
    found = list(refusals(Sent("aggregate", "expenses", pipeline)))
    assert any(reason in line for line in found), found


def test_bound_variables_are_not_refused() -> None:
    pipeline = [
        {"$project": {"m": {"$map": {"input": "$a", "as": "x", "in": {"$add": ["$$x", "$$ROOT.b"]}}}}},
        {"$project": {"r": {"$reduce": {"input": "$a", "initialValue": 0, "in": {"$add": ["$$value", "$$this"]}}}}},
        {"$lookup": {"from": "u", "let": {"uid": "$u"}, "pipeline": [{"$match": {"$expr": {"$eq": ["$_id", "$$uid"]}}}], "as": "x"}},
    ]  # fmt: skip
    assert list(refusals(Sent("aggregate", "expenses", pipeline))) == []


def test_the_recorder_keeps_each_distinct_pipeline_once() -> None:
    recorder = Recorder()
    pipeline = [{"$match": {"a": 1}}]
    recorder.add("aggregate", "expenses", pipeline)
    recorder.add("aggregate", "expenses", [{"$match": {"a": 1}}])
    pipeline[0]["$match"]["a"] = 2  # a caller changing its list afterwards changes nothing
    assert len(recorder.sent) == 1
    assert next(iter(recorder.sent.values())).payload == [{"$match": {"a": 1}}]
