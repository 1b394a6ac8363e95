"""Conformance tests for ``$convert`` and its shorthands (``expr_convert``).

Expected values come from the conversion tables of the MongoDB manual's ``$toString``, ``$toInt``,
``$toLong``, ``$toDouble``, ``$toDecimal``, ``$toBool``, ``$toDate``, ``$toObjectId`` and
``$convert`` pages, or are computed by hand from them; a failed conversion without ``onError`` is
ConversionFailure (code 241).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import bson
import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

Docs = Sequence[Mapping[str, Any]]
UTC = dt.UTC
OID = bson.ObjectId("5ab9c3da31c2ab715d421285")
WHEN = dt.datetime(2018, 3, 27, 16, 58, 51, 538000)


def project(expr: Any) -> list[dict[str, Any]]:
    return [{"$project": {"r": expr}}]


def rows(*values: Any) -> list[dict[str, Any]]:
    return [{"_id": i, "r": v} for i, v in enumerate(values, 1)]


def docs(*values: Any) -> list[dict[str, Any]]:
    """One document per value, in field ``v`` (``...`` leaves the field out)."""
    return [{"_id": i} if v is ... else {"_id": i, "v": v} for i, v in enumerate(values, 1)]


CASES: list[tuple[str, Docs, Any, list[dict[str, Any]]]] = [
    # manual $toString table
    ("toString bool", docs(True, False), {"$toString": "$v"}, rows("true", "false")),
    ("toString double", docs(2.5), {"$toString": "$v"}, rows("2.5")),
    ("toString int", docs(2, 1000), {"$toString": "$v"}, rows("2", "1000")),
    ("toString objectId", docs(OID), {"$toString": "$v"}, rows("5ab9c3da31c2ab715d421285")),
    ("toString date", docs(WHEN), {"$toString": "$v"}, rows("2018-03-27T16:58:51.538Z")),
    # manual: null or missing input gives null
    ("toString null", docs(None, ...), {"$toString": "$v"}, rows(None, None)),
    # doubles as the server writes them (fmt "{}": shortest digits, exponent outside 1e-4..1e16)
    (
        "toString doubles",
        docs(1.0, 0.1, 1e20, 1.5e-7, 1e15, 1e16, 0.00001, -0.0, float("inf"), float("-inf")),
        {"$toString": "$v"},
        rows(
            "1",
            "0.1",
            "1e+20",
            "1.5e-07",
            "1000000000000000",
            "1e+16",
            "1e-05",
            "-0",
            "Infinity",
            "-Infinity",
        ),
    ),
    # manual $toInt table
    ("toInt double", docs(2.5, 1.99999, -2.5), {"$toInt": "$v"}, rows(2, 1, -2)),
    ("toInt bool", docs(True, False), {"$toInt": "$v"}, rows(1, 0)),
    ("toInt decimal", docs(bson.Decimal128("5.5000")), {"$toInt": "$v"}, rows(5)),
    ("toInt long", docs(5000), {"$toInt": "$v"}, rows(5000)),
    ("toInt string", docs("-2"), {"$toInt": "$v"}, rows(-2)),
    ("toInt null", docs(None), {"$toInt": "$v"}, rows(None)),
    # manual $toLong table
    ("toLong", docs(1.99999, 8797), {"$toLong": "$v"}, rows(1, 8797)),
    ("toLong string", docs("-2"), {"$toLong": "$v"}, rows(-2)),
    ("toLong date", docs(WHEN), {"$toLong": "$v"}, rows(1522169931538)),
    # manual $toDouble table
    ("toDouble bool", docs(True, False), {"$toDouble": "$v"}, rows(1.0, 0.0)),
    ("toDouble numbers", docs(2.5, 5, 10000), {"$toDouble": "$v"}, rows(2.5, 5.0, 10000.0)),
    ("toDouble strings", docs("-5.5", "5e10"), {"$toDouble": "$v"}, rows(-5.5, 50000000000.0)),
    ("toDouble date", docs(WHEN), {"$toDouble": "$v"}, rows(1522169931538.0)),
    # manual $toDecimal table
    ("toDecimal bool", docs(True, False), {"$toDecimal": "$v"}, rows(Decimal(1), Decimal(0))),
    ("toDecimal double", docs(2.5), {"$toDecimal": "$v"}, rows(Decimal("2.5"))),
    ("toDecimal ints", docs(5, 10000), {"$toDecimal": "$v"}, rows(Decimal(5), Decimal(10000))),
    ("toDecimal string", docs("-5.5"), {"$toDecimal": "$v"}, rows(Decimal("-5.5"))),
    ("toDecimal date", docs(WHEN), {"$toDecimal": "$v"}, rows(Decimal(1522169931538))),
    # manual $toBool table: any string (even "false" and "") is true
    ("toBool numbers", docs(1.99999, 100, 0), {"$toBool": "$v"}, rows(True, True, False)),
    (
        "toBool decimal",
        docs(bson.Decimal128("5"), bson.Decimal128("0")),
        {"$toBool": "$v"},
        rows(True, False),
    ),
    ("toBool strings", docs("false", ""), {"$toBool": "$v"}, rows(True, True)),
    ("toBool date", docs(WHEN), {"$toBool": "$v"}, rows(True)),
    ("toBool null", docs(None), {"$toBool": "$v"}, rows(None)),
    # manual $toDate table
    (
        "toDate double",
        docs(120000000000.5),
        {"$toDate": "$v"},
        rows(dt.datetime(1973, 10, 20, 21, 20, tzinfo=UTC)),
    ),
    (
        "toDate decimal",
        docs(bson.Decimal128("1253372036000.50")),
        {"$toDate": "$v"},
        rows(dt.datetime(2009, 9, 19, 14, 53, 56, tzinfo=UTC)),
    ),
    (
        "toDate long",
        docs(1100000000000, -1100000000000),
        {"$toDate": "$v"},
        rows(
            dt.datetime(2004, 11, 9, 11, 33, 20, tzinfo=UTC),
            dt.datetime(1935, 2, 22, 12, 26, 40, tzinfo=UTC),
        ),
    ),
    (
        "toDate objectId",
        docs(OID),
        {"$toDate": "$v"},
        rows(dt.datetime(2018, 3, 27, 4, 8, 58, tzinfo=UTC)),
    ),
    (
        "toDate strings",
        docs("2018-03-20", "2018-03-20T12:00:00Z", "2018-03-20T12:00:00+0500"),
        {"$toDate": "$v"},
        rows(
            dt.datetime(2018, 3, 20, tzinfo=UTC),
            dt.datetime(2018, 3, 20, 12, tzinfo=UTC),
            dt.datetime(2018, 3, 20, 7, tzinfo=UTC),
        ),
    ),
    # manual $toObjectId example
    ("toObjectId", docs("5ab9c3da31c2ab715d421285"), {"$toObjectId": "$v"}, rows(OID)),
    # manual $convert: 'to' as a type name or number; onError and onNull replace failures and nulls
    (
        "convert onError onNull",
        docs("5", "five", None, ...),
        {"$convert": {"input": "$v", "to": "int", "onError": -1, "onNull": 0}},
        rows(5, -1, 0, 0),
    ),
    ("convert numeric to", docs(2.5), {"$convert": {"input": "$v", "to": 2}}, rows("2.5")),
    # manual $convert: without onNull, null or missing input gives null
    (
        "convert null",
        docs(None, ...),
        {"$convert": {"input": "$v", "to": "double"}},
        rows(None, None),
    ),
    # a null 'to' gives null
    ("convert null to", docs(5), {"$convert": {"input": "$v", "to": None}}, rows(None)),
    # onError is evaluated only for failing documents: a string there is fine when none fails
    (
        "convert unused onError",
        docs("7"),
        {"$convert": {"input": "$v", "to": "int", "onError": "bad"}},
        rows(7),
    ),
]


@pytest.mark.parametrize(
    ("name", "documents", "expr", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_convert(
    run: Any, name: str, documents: Docs, expr: Any, expected: list[dict[str, Any]]
) -> None:
    assert run(documents, project(expr)) == expected


ERRORS: list[tuple[str, Docs, Any]] = [
    # manual $toInt table: out of int range, a decimal string
    ("toInt decimal overflow", docs(bson.Decimal128("9223372036000.000")), {"$toInt": "$v"}),
    ("toInt long overflow", docs(922337203600), {"$toInt": "$v"}),
    ("toInt fractional string", docs("2.5"), {"$toInt": "$v"}),
    ("toInt date", docs(WHEN), {"$toInt": "$v"}),
    ("toInt nan", docs(float("nan")), {"$toInt": "$v"}),
    # manual $toLong table
    ("toLong fractional string", docs("2.5"), {"$toLong": "$v"}),
    ("toDouble text", docs("five"), {"$toDouble": "$v"}),
    ("toDouble hex", docs("0x10"), {"$toDouble": "$v"}),
    ("toObjectId short", docs("5ab9c3da"), {"$toObjectId": "$v"}),
    ("toObjectId number", docs(5), {"$toObjectId": "$v"}),
    # Python ints in int32 range are BSON ints, which do not convert to dates
    ("toDate int", docs(5), {"$toDate": "$v"}),
    ("toDate bool", docs(True), {"$toDate": "$v"}),
    ("toDate text", docs("not a date"), {"$toDate": "$v"}),
]


@pytest.mark.parametrize(("name", "documents", "expr"), ERRORS, ids=[e[0] for e in ERRORS])
def test_conversion_failure(run: Any, name: str, documents: Docs, expr: Any) -> None:
    with pytest.raises(OperationFailure) as info:
        run(documents, project(expr))
    assert info.value.code == 241


def test_failures_need_a_document(run: Any) -> None:
    assert run([], project({"$toInt": "$v"})) == []
    pipeline = [{"$match": {"v": {"$ne": "five"}}}, *project({"$toInt": "$v"})]
    assert run(docs("5", "five"), pipeline) == rows(5)


@pytest.mark.parametrize(
    ("documents", "expr"),
    [
        # a result column has one type: an onError of another type is refused when it is needed
        (docs("x"), {"$convert": {"input": "$v", "to": "int", "onError": "bad"}}),
        # formats the ISO parser does not cover are refused rather than guessed
        (docs("March 20, 2018"), {"$toDate": "$v"}),
        (docs(5), {"$convert": {"input": "$v", "to": "binData"}}),
    ],
)
def test_unsupported(run: Any, documents: Docs, expr: Any) -> None:
    with pytest.raises(UnsupportedOperation):
        run(documents, project(expr))


def test_bad_target(run: Any) -> None:
    with pytest.raises(OperationFailure):
        run(docs(1), project({"$convert": {"input": "$v", "to": "number"}}))
