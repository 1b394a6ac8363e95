"""The MongoDB compatibility gate's checker: versions from the manual, and what a server refuses.

The gate itself runs at the end of every test run (``tests/conftest.py``) over everything the app
sent; these tests show that its checker finds what it must.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Mapping
from typing import Any

import bson
import mongomock
import pytest

from tests.apptest import login_as
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


# -- the app's own pipelines on mongomock ------------------------------------------------------------

#: The pages each role opens; every pipeline they send is run on both engines.
_PAGES = {
    "user": ("common/home", "spending/overview", "spending/categories", "spending/budgets",
             "spending/transactions", "spending/insights"),
    "product": ("product/usage", "product/system"),
    "finance": ("finance/reports",),
}  # fmt: skip


def _norm(value: Any) -> Any:
    """Comparable form: UTC instants without zone, floats rounded, ObjectIds as text, dicts sorted."""
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if value.tzinfo else value).replace(tzinfo=None)
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, bson.Decimal128):
        return round(float(value.to_decimal()), 6)
    if isinstance(value, bson.ObjectId):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def _group_of_nothing(pipeline: list[dict[str, Any]], got: list[Any], expected: list[Any]) -> bool:
    """Manual, $group: it outputs one document per distinct group key of its input, so no input
    gives no document, also with ``_id: null`` (and $count, a $group and a $project); mongomock
    gives one document of zero totals."""
    whole = [s for s in pipeline if s.get("$group", {}).get("_id", "x") is None or "$count" in s]
    return bool(whole) and got == [] and len(expected) == 1


#: Where mongomock departs from the manual, with the manual's rule (the engine follows the manual).
_MONGOMOCK_ERRORS = (_group_of_nothing,)


def _rows(docs: list[dict[str, Any]], *, ordered: bool) -> list[str]:
    rows = [repr(_norm(doc)) for doc in docs]
    return rows if ordered else sorted(rows)


def test_the_apps_pipelines_agree_with_mongomock(
    new_app: Any, recording: Any, app_store: Any
) -> None:
    """Every pipeline the pages send, on the seeded demo data, gives mongomock's documents wherever
    mongomock implements all it uses (mongomock is an independent implementation of the manual)."""
    for role, pages in _PAGES.items():
        at = login_as(new_app, role)
        for page in pages:
            at.switch_page(f"pages/{page}.py").run()
            assert not at.exception, (page, at.exception)
    distinct = {repr((c, p)): (c, p) for c, p, _ in recording.sent}
    db = mongomock.MongoClient(tz_aware=True).db
    for collection in {c for c, _ in distinct.values()}:
        documents = app_store.find(collection, {})
        if documents:
            db[collection].insert_many(documents)
    compared, refused = 0, collections.Counter()
    for collection, pipeline in distinct.values():
        try:
            expected = list(db[collection].aggregate(pipeline))
        except (NotImplementedError, mongomock.OperationFailure) as exc:
            refused[str(exc).split(".")[0][:80]] += 1
            continue
        got = app_store.aggregate(collection, pipeline)
        ordered = any("$sort" in stage for stage in pipeline)
        known = [k.__name__ for k in _MONGOMOCK_ERRORS if k(pipeline, got, expected)]
        if known:
            refused[f"mongomock error: {known[0]}"] += 1
            continue
        assert _rows(got, ordered=ordered) == _rows(expected, ordered=ordered), pipeline
        compared += 1
    print(f"compared {compared} of {len(distinct)} pipelines; mongomock refused: {dict(refused)}")
    assert compared >= 20, refused
