"""Errors raised while a query runs: MongoDB's codes survive Polars, and only reached documents fail.

Expected values and codes come from the MongoDB manual's pages ($switch, $replaceRoot,
$setWindowFields, $regex, $regexMatch, BSON Types) or are computed by hand from their definitions;
codes are the server's (``expression.cpp``: 40066; ``document_source_replace_root.cpp``: 40228).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import polars as pl
import pytest

from dashboard.store.embedded.runtime_errors import (
    fail_where,
    failure,
    raise_where,
    raising_checks,
    refuse_where,
    with_checks,
)
from dashboard.store.embedded.values import Ctx, bson_type
from dashboard.store.errors import OperationFailure, UnsupportedOperation
from tests.dashboard.store.embedded.conftest import RunFn


def docs(*fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"_id": i, **f} for i, f in enumerate(fields, 1)]


def project(expr: Any) -> list[dict[str, Any]]:
    return [{"$project": {"r": expr}}]


# -- $switch ------------------------------------------------------------------------------------
# Manual $switch: "if default is unspecified and no branch case evaluates to true, $switch returns
# an error". SIGN classifies a number; it has no branch (and no default) for 0.
SIGN = {
    "$switch": {
        "branches": [
            {"case": {"$gt": ["$x", 0]}, "then": "positive"},
            {"case": {"$lt": ["$x", 0]}, "then": "negative"},
        ]
    }
}


def test_switch_without_match_or_default_fails_with_40066(run: RunFn) -> None:
    with pytest.raises(OperationFailure) as err:
        run(docs({"x": 3}, {"x": 0}), project(SIGN))
    assert err.value.code == 40066
    assert "could not find a matching branch" in str(err.value)
    assert "This error occurred" not in str(err.value)


def test_switch_with_a_match_in_every_document_does_not_fail(run: RunFn) -> None:
    # Manual $switch: the first branch whose case is true is taken.
    assert run(docs({"x": 3}, {"x": -2}), project(SIGN)) == [
        {"_id": 1, "r": "positive"},
        {"_id": 2, "r": "negative"},
    ]


@pytest.mark.parametrize(
    "pipeline",
    [
        # No document reaches the $switch: nothing fails.
        [{"$match": {"x": {"$ne": 0}}}, *project(SIGN)],
        # The $switch sits in the branch of a $cond that x = 0 does not take.
        project({"$cond": [{"$eq": ["$x", 0]}, "zero", SIGN]}),
    ],
    ids=["filtered out", "untaken $cond branch"],
)
def test_switch_fails_only_for_documents_reaching_it(run: RunFn, pipeline: Any) -> None:
    result = run(docs({"x": 3}, {"x": 0}), pipeline)
    assert {"_id": 1, "r": "positive"} in result


def test_switch_on_an_empty_collection_returns_nothing(run: RunFn) -> None:
    assert run([], project(SIGN)) == []


def test_switch_default_is_taken_when_no_branch_matches(run: RunFn) -> None:
    # Manual $switch example: "default" gives "Did not match".
    spec = {"$switch": {"branches": SIGN["$switch"]["branches"], "default": "Did not match"}}
    assert run(docs({"x": 0}), project(spec)) == [{"_id": 1, "r": "Did not match"}]


# -- $replaceRoot / $replaceWith ----------------------------------------------------------------
# Manual $replaceRoot, "Behavior": document 4 has no name field, so the stage fails.
COLLECTION = docs(
    {"name": {"first": "John", "last": "Backus"}},
    {"name": {"first": "John", "last": "McCarthy"}},
    {"name": {"first": "Grace", "last": "Hopper"}},
    {"firstname": "Ole-Johan", "lastname": "Dahl"},
)
NAMES = [
    {"first": "John", "last": "Backus"},
    {"first": "John", "last": "McCarthy"},
    {"first": "Grace", "last": "Hopper"},
]


@pytest.mark.parametrize(
    "stage",
    [{"$replaceRoot": {"newRoot": "$name"}}, {"$replaceWith": "$name"}],
    ids=["$replaceRoot", "$replaceWith"],
)
def test_replace_root_with_a_missing_document_fails_with_40228(run: RunFn, stage: Any) -> None:
    with pytest.raises(OperationFailure) as err:
        run(COLLECTION, [stage])
    assert err.value.code == 40228
    assert "MISSING" in str(err.value)


@pytest.mark.parametrize(
    "stage",
    [{"$replaceRoot": {"newRoot": "$name"}}, {"$replaceWith": "$name"}],
    ids=["$replaceRoot", "$replaceWith"],
)
def test_replace_root_with_null_fails_with_40228(run: RunFn, stage: Any) -> None:
    # Manual: "If the <replacementDocument> is not a document, $replaceRoot errors and fails".
    with pytest.raises(OperationFailure) as err:
        run(docs({"name": {"first": "Ada"}}, {"name": None}), [stage])
    assert err.value.code == 40228
    assert "null" in str(err.value)


def test_replace_root_with_a_non_document_fails_with_40228(run: RunFn) -> None:
    with pytest.raises(OperationFailure) as err:
        run(docs({"name": "Ada"}), [{"$replaceWith": "$name"}])
    assert err.value.code == 40228


def test_replace_root_after_a_match_keeping_documents_only(run: RunFn) -> None:
    # Manual $replaceRoot, "Behavior": a $match on {$exists, $type: "object"} avoids the error.
    match = {"$match": {"name": {"$exists": True, "$not": {"$type": "array"}, "$type": "object"}}}
    assert run(COLLECTION, [match, {"$replaceRoot": {"newRoot": "$name"}}]) == NAMES


def test_replace_root_with_a_new_document(run: RunFn) -> None:
    # Manual $replaceRoot, "$replaceRoot with a Newly Created Document" (the contacts collection).
    contacts = [
        {"_id": 1, "first_name": "Gary", "last_name": "Sheffield", "city": "New York"},
        {"_id": 2, "first_name": "Nancy", "last_name": "Walker", "city": "Anaheim"},
        {"_id": 3, "first_name": "Peter", "last_name": "Sumner", "city": "Toledo"},
    ]
    new_root = {"full_name": {"$concat": ["$first_name", " ", "$last_name"]}}
    assert run(contacts, [{"$replaceRoot": {"newRoot": new_root}}]) == [
        {"full_name": "Gary Sheffield"},
        {"full_name": "Nancy Walker"},
        {"full_name": "Peter Sumner"},
    ]


@pytest.mark.parametrize("new_root", ["$name", "$nowhere", "$firstname"])
def test_replace_root_fails_only_for_documents_reaching_it(run: RunFn, new_root: str) -> None:
    assert run([], [{"$replaceWith": new_root}]) == []
    pipeline = [{"$match": {"_id": 99}}, {"$replaceWith": new_root}]
    assert run(COLLECTION, pipeline) == []


def test_bucket_checks_only_documents_reaching_it(run: RunFn) -> None:
    # Manual $bucket: without a default, a groupBy value outside the boundaries is an error (the
    # stage is a $switch over the boundaries); documents an earlier $match removed do not count.
    documents = docs({"x": 1}, {"x": 5}, {"x": 100})
    stage = {"$bucket": {"groupBy": "$x", "boundaries": [0, 10]}}
    with pytest.raises(OperationFailure) as err:
        run(documents, [stage])
    assert err.value.code == 40066
    assert run(documents, [{"$match": {"x": {"$lt": 50}}}, stage]) == [{"_id": 0, "count": 2}]


# -- exact division in window functions ----------------------------------------------------------
T0 = dt.datetime(2021, 5, 18, tzinfo=dt.UTC)


def test_integral_unit_divides_exactly(run: RunFn) -> None:
    # Manual $integral: the trapezoid area of (0.1, 0.1) over 1 ms is 0.1, expressed in hours by
    # dividing by 3,600,000 ms. IEEE division gives 0.1 / 3_600_000 = 2.777777777777778e-08; a
    # multiplication by the reciprocal would give 2.7777777777777777e-08.
    documents = docs({"t": T0, "v": 0.1}, {"t": T0 + dt.timedelta(milliseconds=1), "v": 0.1})
    stage = {
        "$setWindowFields": {
            "sortBy": {"t": 1},
            "output": {
                "kwh": {
                    "$integral": {"input": "$v", "unit": "hour"},
                    "window": {"documents": ["unbounded", "current"]},
                }
            },
        }
    }
    result = run(documents, [stage, {"$project": {"_id": 0, "kwh": 1}}])
    assert result == [{"kwh": 0.0}, {"kwh": 0.1 / 3_600_000}]
    assert result[1]["kwh"] == 2.777777777777778e-08


@pytest.mark.parametrize(
    "pipeline",
    [
        [{"$group": {"_id": None, "avg": {"$avg": "$v"}}}, {"$project": {"_id": 0}}],
        [
            {
                "$setWindowFields": {
                    "sortBy": {"_id": 1},
                    "output": {
                        "avg": {"$avg": "$v", "window": {"documents": ["unbounded", "current"]}}
                    },
                }
            },
            {"$sort": {"_id": -1}},
            {"$limit": 1},
            {"$project": {"_id": 0, "avg": 1}},
        ],
    ],
    ids=["$group", "$setWindowFields"],
)
def test_avg_divides_exactly(run: RunFn, pipeline: Any) -> None:
    # Manual $avg: the sum divided by the count. 3.0 / 10 = 0.3 (not 3.0 * 0.1 = 0.30000000000000004).
    values = [0.0] * 7 + [1.0] * 3
    assert run(docs(*({"v": v} for v in values)), pipeline) == [{"avg": 0.3}]


# -- regular expressions: one PCRE translation for $regex and $regexMatch ------------------------
WORDS = docs({"s": "a"}, {"s": "1"}, {"s": "-"}, {"s": "é"})


def test_regex_match_negated_class_escape_inside_a_class(run: RunFn) -> None:
    # PCRE without UCP: \W is any character but [A-Za-z0-9_] (so "é" is one), \d is [0-9].
    expr = {"$regexMatch": {"input": "$s", "regex": "^[\\W\\d]$"}}
    assert [d["r"] for d in run(WORDS, project(expr))] == [False, True, True, True]


def test_regex_query_negated_class_escape_inside_a_class(run: RunFn) -> None:
    result = run(WORDS, [{"$match": {"s": {"$regex": "^[\\W\\d]$"}}}])
    assert [d["_id"] for d in result] == [2, 3, 4]


def test_regex_query_end_of_subject_before_a_final_newline(run: RunFn) -> None:
    # PCRE: \Z matches at the end of the subject and before a newline that ends it.
    documents = docs({"s": "abc\n"}, {"s": "abc\nd"}, {"s": "abc"})
    result = run(documents, [{"$match": {"s": {"$regex": "c\\Z"}}}])
    assert [d["_id"] for d in result] == [1, 3]


def test_regex_query_extended_mode_keeps_spaces_inside_a_class(run: RunFn) -> None:
    # Manual $regex "x" option: whitespace is ignored unless escaped or inside a character class.
    documents = docs({"s": "a b"}, {"s": "ab"})
    result = run(documents, [{"$match": {"s": {"$regex": "a [ ] b", "$options": "x"}}}])
    assert [d["_id"] for d in result] == [1]


def test_regex_look_around_is_refused_in_both(run: RunFn) -> None:
    with pytest.raises(UnsupportedOperation):
        run(WORDS, [{"$match": {"s": {"$regex": "a(?=b)"}}}])
    with pytest.raises(UnsupportedOperation):
        run(WORDS, project({"$regexMatch": {"input": "$s", "regex": "a(?=b)"}}))


# -- the shared machinery ------------------------------------------------------------------------
FRAME = pl.LazyFrame({"x": [1, 2, 3]})


def test_raised_code_survives_a_nested_expression() -> None:
    check = raise_where(pl.col("x") == 2, lambda x: f"bad x: {x}", 12345, pl.col("x"))
    nested = pl.when(pl.col("x") > 0).then(with_checks(pl.col("x"), check)).otherwise(None) + 1
    with pytest.raises(OperationFailure) as err, raising_checks():
        FRAME.select(nested.alias("y"), pl.col("x").alias("z")).collect()
    assert err.value.code == 12345
    assert str(err.value) == "bad x: 2"


def test_refused_where_names_the_operator() -> None:
    check = refuse_where(pl.col("x") > 2, "something", where="$project")
    with pytest.raises(UnsupportedOperation) as err, raising_checks():
        FRAME.select(with_checks(pl.col("x"), check)).collect()
    assert err.value.code == 168
    assert str(err.value) == "embedded engine does not support something in $project"


def test_constant_condition_needs_a_row_unless_folded() -> None:
    empty = pl.LazyFrame({"x": []}, schema={"x": pl.Int64})
    ctx = Ctx(schema={"x": pl.Int64()})
    assert empty.select(fail_where(ctx, pl.lit(True), pl.col("x"), "m", 2)).collect().height == 0
    with pytest.raises(OperationFailure) as err, raising_checks():
        empty.select(
            with_checks(pl.col("x"), raise_where(pl.lit(True), "m", 2, fold=True))
        ).collect()
    assert err.value.code == 2


def test_guard_limits_the_rows_checked() -> None:
    ctx = Ctx(schema={"x": pl.Int64()}).guarded(pl.col("x") != 2)
    out = FRAME.select(fail_where(ctx, pl.col("x") == 2, pl.col("x"), "m", 2).alias("x")).collect()
    assert out.get_column("x").to_list() == [1, 2, 3]


def test_failure_is_an_operation_failure_with_its_code() -> None:
    exc = failure("boom", 40066)
    assert isinstance(exc, OperationFailure)
    assert exc.code == 40066
    assert str(exc) == "boom"


# Manual "BSON Types": the string aliases of the types the engine stores.
@pytest.mark.parametrize(
    ("dtype", "name"),
    [
        (pl.Float64(), "double"),
        (pl.String(), "string"),
        (pl.Struct({"a": pl.Int64()}), "object"),
        (pl.List(pl.Int64()), "array"),
        (pl.Binary(), "objectId"),
        (pl.Boolean(), "bool"),
        (pl.Datetime("ms", "UTC"), "date"),
        (pl.Null(), "null"),
        (pl.Int64(), "int"),
        (pl.Decimal(38, 10), "decimal"),
    ],
)
def test_bson_type_names(dtype: pl.DataType, name: str) -> None:
    assert bson_type(dtype) == name


_IN_DOCS = [{"_id": 1, "a": 1, "arr": [1, 2]}, {"_id": 2, "a": 1}, {"_id": 3, "a": 1, "arr": None}]


@pytest.mark.parametrize(
    "pipeline",
    [
        [{"$match": {"$expr": {"$in": ["$a", "$arr"]}}}],
        [{"$project": {"r": {"$in": ["$a", "$arr"]}}}],
        [{"$match": {"_id": 3}}, {"$match": {"$expr": {"$in": ["$a", "$arr"]}}}],
    ],
)
def test_in_over_a_missing_or_null_array_fails_with_40081(run: RunFn, pipeline: Any) -> None:
    # Manual, $in (aggregation): "the second argument must resolve to an array"; mongod raises
    # 40081 "$in requires an array as a second argument" for a document where it does not, in
    # $match's $expr as in $project.
    with pytest.raises(OperationFailure) as raised:
        run(_IN_DOCS, pipeline)
    assert raised.value.code == 40081


@pytest.mark.parametrize(
    "pipeline",
    [
        [{"$match": {"_id": 1}}, {"$match": {"$expr": {"$in": ["$a", "$arr"]}}}],
        [{"$match": {"arr": {"$type": "array"}}}, {"$set": {"k": 1}},
         {"$match": {"$expr": {"$in": ["$a", "$arr"]}}}],
    ],
)  # fmt: skip
def test_a_later_match_checks_only_the_documents_that_reach_it(run: RunFn, pipeline: Any) -> None:
    # Manual, Aggregation Pipeline: each stage receives the documents the one before it output;
    # documents an earlier $match removed never reach $in, so nothing fails.
    assert [doc["_id"] for doc in run(_IN_DOCS, pipeline)] == [1]


# -- how a failed check leaves Polars: a token in a failed cast, no Python callback ---------------
def test_the_offending_value_survives_quotes_and_brackets() -> None:
    # The value travels inside Polars' error message, which lists failed values in quotes.
    frame = pl.LazyFrame({"s": ["fine", 'a"], ["b']})
    check = raise_where(pl.col("s") != "fine", lambda s: f"bad value {s}", 2, pl.col("s"))
    with pytest.raises(OperationFailure) as err, raising_checks():
        frame.select(with_checks(pl.col("s"), check)).collect()
    assert str(err.value) == 'bad value a"], ["b'


def test_a_check_is_an_ordinary_polars_expression() -> None:
    check = raise_where(pl.col("x") == 2, "m", 2)
    assert "python_udf" not in str(check)
    assert "map" not in str(check)


def test_other_polars_errors_pass_through_unchanged() -> None:
    with pytest.raises(pl.exceptions.InvalidOperationError), raising_checks():
        pl.LazyFrame({"s": ["x"]}).select(pl.col("s").cast(pl.Int8, strict=True)).collect()


# -- a time zone read from each document ------------------------------------------------------------
def test_unknown_zone_in_a_document_an_earlier_match_removed_does_not_fail(run: RunFn) -> None:
    documents = docs(
        {"d": dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC), "tz": "Asia/Tokyo"},
        {"d": dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC), "tz": "Nowhere/City"},
    )
    pipeline = [
        {"$match": {"tz": {"$ne": "Nowhere/City"}}},
        *project({"$hour": {"date": "$d", "timezone": "$tz"}}),
    ]
    # Manual $hour: 12:00 UTC is 21:00 in Tokyo (UTC+9).
    assert run(documents, pipeline) == [{"_id": 1, "r": 21}]


def test_zones_differ_document_by_document(run: RunFn) -> None:
    noon = dt.datetime(2020, 7, 1, 12, tzinfo=dt.UTC)
    documents = docs(
        {"d": noon, "tz": "Asia/Tokyo"}, {"d": noon, "tz": "America/New_York"}, {"d": noon}
    )
    # Tokyo is UTC+9; New York is UTC-4 in July (EDT); a missing zone gives null.
    assert run(documents, project({"$hour": {"date": "$d", "timezone": "$tz"}})) == [
        {"_id": 1, "r": 21},
        {"_id": 2, "r": 8},
        {"_id": 3, "r": None},
    ]


def test_a_per_document_zone_inside_map_is_refused(run: RunFn) -> None:
    documents = docs({"ds": [dt.datetime(2020, 1, 1, tzinfo=dt.UTC)], "tz": "Asia/Tokyo"})
    hours = {"$map": {"input": "$ds", "in": {"$hour": {"date": "$$this", "timezone": "$tz"}}}}
    with pytest.raises(UnsupportedOperation, match="per-document timezone"):
        run(documents, project(hours))
