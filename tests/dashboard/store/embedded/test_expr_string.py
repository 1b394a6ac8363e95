"""Conformance tests for the string expression operators (``expr_string``, ``expr_regex``).

Expected values come from the MongoDB manual's operator pages (examples and definitions) or are
computed by hand from those definitions; error codes are the server's
(``src/mongo/db/exec/expression/evaluate_string.cpp``, ``evaluate_regex.cpp``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import bson
import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

Docs = Sequence[Mapping[str, Any]]


def project(expr: Any) -> list[dict[str, Any]]:
    return [{"$project": {"r": expr}}]


def rows(*values: Any) -> list[dict[str, Any]]:
    return [{"_id": i, "r": v} for i, v in enumerate(values, 1)]


def docs(*fields: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"_id": i, **f} for i, f in enumerate(fields, 1)]


# manual $concat / $toUpper / $toLower / $substrCP / $strcasecmp: the inventory collection.
INVENTORY = docs(
    {"item": "ABC1", "quarter": "13Q1", "description": "product 1"},
    {"item": "ABC2", "quarter": "13Q4", "description": "product 2"},
    {"item": "XYZ1", "quarter": "14Q2", "description": None},
)
# manual $substrCP / $strLenCP / $strLenBytes: the food collection.
FOOD = docs(
    {"name": "apple"},
    {"name": "banana"},
    {"name": "éclair"},
    {"name": "hamburger"},
    {"name": "jalapeño"},
    {"name": "pizza"},
    {"name": "tacos"},
    {"name": "寿司sushi"},
)
# manual $trim / $ltrim / $rtrim: the inventory collection with padded descriptions.
PADDED = docs(
    {"description": " product 1"},
    {"description": "product 2 \n The product is in stock.  \n\n  "},
    {"description": None},
)
# manual $regexMatch examples: the products collection.
PRODUCTS = docs(
    {"description": "Single LINE description."},
    {"description": "First lines\nsecond line"},
    {"description": "Many spaces before     line"},
    {"description": "Multiple\nline descriptions"},
    {"description": "anchors, links and hyperlinks"},
    {"description": "métier work vocation"},
)
# manual $replaceOne / $replaceAll: the inventory collection of paint items.
PAINT = docs(
    {"item": "blue paint"},
    {"item": "blue and green paint"},
    {"item": "blue paint with blue paintbrush"},
    {"item": "blue paint with green paintbrush"},
)


def match(regex: Any, options: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"input": "$description", "regex": regex}
    if options is not None:
        spec["options"] = options
    return {"$regexMatch": spec}


CASES: list[tuple[str, Docs, list[dict[str, Any]], list[dict[str, Any]]]] = [
    # manual $concat example: null description gives null
    (
        "concat",
        INVENTORY,
        project({"$concat": ["$item", " - ", "$description"]}),
        rows("ABC1 - product 1", "ABC2 - product 2", None),
    ),
    ("concat missing", docs({"a": "x"}), project({"$concat": ["$a", "$missing"]}), rows(None)),
    ("concat nothing", docs({"a": "x"}), project({"$concat": []}), rows("")),
    # manual $toUpper / $toLower examples: null becomes ""
    (
        "toUpper",
        INVENTORY,
        project({"$toUpper": "$description"}),
        rows("PRODUCT 1", "PRODUCT 2", ""),
    ),
    ("toLower", INVENTORY, project({"$toLower": "$item"}), rows("abc1", "abc2", "xyz1")),
    ("toLower missing", docs({}), project({"$toLower": "$item"}), rows("")),
    # numbers and dates are coerced to strings (Value::coerceToString)
    (
        "toUpper coerces",
        docs({"n": 5, "f": 2.5, "d": dt.datetime(2018, 3, 27, 16, 58, 51, 538000)}),
        [{"$project": {"n": {"$toUpper": "$n"}, "f": {"$toUpper": "$f"}, "d": {"$toLower": "$d"}}}],
        [{"_id": 1, "n": "5", "f": "2.5", "d": "2018-03-27t16:58:51.538z"}],
    ),
    # ASCII letters only change case (boost::to_upper in the C locale); the manual calls other
    # characters undefined, the server leaves them as they are
    (
        "toUpper ascii only",
        docs({"s": "crème brûlée"}),
        project({"$toUpper": "$s"}),
        rows("CRèME BRûLéE"),
    ),
    # manual $substrCP example: year and quarter parts
    (
        "substrCP year",
        INVENTORY,
        project({"$substrCP": ["$quarter", 0, 2]}),
        rows("13", "13", "14"),
    ),
    (
        "substrCP rest",
        INVENTORY,
        project({"$substrCP": ["$quarter", 2, {"$subtract": [{"$strLenCP": "$quarter"}, 2]}]}),
        rows("Q1", "Q4", "Q2"),
    ),
    # manual $substrCP "Single-Byte and Multibyte Character Set": first three code points
    (
        "substrCP multibyte",
        FOOD,
        project({"$substrCP": ["$name", 0, 3]}),
        rows("app", "ban", "écl", "ham", "jal", "piz", "tac", "寿司s"),
    ),
    ("substrCP null", docs({"s": None}), project({"$substrCP": ["$s", 0, 2]}), rows("")),
    ("substrCP past end", docs({"s": "abc"}), project({"$substrCP": ["$s", 5, 2]}), rows("")),
    # manual $strLenCP example
    ("strLenCP", FOOD, project({"$strLenCP": "$name"}), rows(5, 6, 6, 9, 8, 5, 5, 7)),
    # manual $strLenBytes example: UTF-8 bytes
    ("strLenBytes", FOOD, project({"$strLenBytes": "$name"}), rows(5, 6, 7, 9, 9, 5, 5, 11)),
    # manual $split example: "Berkeley, CA" -> ["Berkeley", "CA"]
    (
        "split city",
        docs({"city": "Berkeley, CA"}, {"city": "Bend, OR"}),
        project({"$split": ["$city", ", "]}),
        rows(["Berkeley", "CA"], ["Bend", "OR"]),
    ),
    # manual $split table
    (
        "split table",
        docs(
            {"s": "June-15-2013", "d": "-"},
            {"s": "banana split", "d": "a"},
            {"s": "Hello World", "d": " "},
            {"s": "astronomical", "d": "astro"},
            {"s": "pea green boat", "d": "owl"},
        ),
        project({"$split": ["$s", "$d"]}),
        rows(
            ["June", "15", "2013"],
            ["b", "n", "n", " split"],
            ["Hello", "World"],
            ["", "nomical"],
            ["pea green boat"],
        ),
    ),
    ("split null", docs({"s": None}), project({"$split": ["$s", "-"]}), rows(None)),
    # manual $trim / $ltrim / $rtrim examples
    (
        "trim",
        PADDED,
        project({"$trim": {"input": "$description"}}),
        rows("product 1", "product 2 \n The product is in stock.", None),
    ),
    (
        "ltrim",
        PADDED,
        project({"$ltrim": {"input": "$description"}}),
        rows("product 1", "product 2 \n The product is in stock.  \n\n  ", None),
    ),
    (
        "rtrim",
        PADDED,
        project({"$rtrim": {"input": "$description"}}),
        rows(" product 1", "product 2 \n The product is in stock.", None),
    ),
    # manual $trim table: chars are a set of code points
    (
        "trim chars",
        docs(
            {"s": "    \n good  bye \t    ", "c": None},
            {"s": " ggood bye ", "c": " g"},
            {"s": "    ggggoodbyeeeee", "c": "ge"},
            {"s": "   ggggoodbyeeeee", "c": " ge"},
        ),
        [
            {
                "$project": {
                    "r": {
                        "$cond": [
                            {"$eq": ["$c", None]},
                            {"$trim": {"input": "$s"}},
                            {"$trim": {"input": "$s", "chars": "$c"}},
                        ]
                    }
                }
            }
        ],
        rows("good  bye", "ood bye", "    ggggoodby", "oodby"),
    ),
    # the default whitespace includes U+00A0 and U+2000-U+200A (kDefaultTrimWhitespaceChars)
    (
        "trim unicode spaces",
        docs({"s": "\u00a0\u2003x\u200a"}),
        project({"$trim": {"input": "$s"}}),
        rows("x"),
    ),
    (
        "trim null chars",
        docs({"s": "xx"}),
        project({"$trim": {"input": "$s", "chars": None}}),
        rows(None),
    ),
    # manual $indexOfCP table
    (
        "indexOfCP table",
        docs(
            {"s": "cafeteria", "t": "e"},
            {"s": "cafétéria", "t": "é"},
            {"s": "cafétéria", "t": "e"},
            {"s": "cafétéria", "t": "t"},
            {"s": None, "t": "foo"},
        ),
        project({"$indexOfCP": ["$s", "$t"]}),
        rows(3, 3, -1, 4, None),
    ),
    (
        "indexOfCP ranges",
        docs(
            {"s": "foo.bar.fi", "t": ".", "a": 5, "b": 99},
            {"s": "vanilla", "t": "ll", "a": 0, "b": 2},
            {"s": "vanilla", "t": "ll", "a": 12, "b": 99},
            {"s": "vanilla", "t": "ll", "a": 5, "b": 2},
            {"s": "vanilla", "t": "nilla", "a": 3, "b": 99},
        ),
        project({"$indexOfCP": ["$s", "$t", "$a", "$b"]}),
        rows(7, -1, -1, -1, -1),
    ),
    # manual $strcasecmp example
    ("strcasecmp", INVENTORY, project({"$strcasecmp": ["$quarter", "13q4"]}), rows(-1, 0, 1)),
    # manual $replaceOne / $replaceAll examples
    (
        "replaceOne",
        PAINT,
        project(
            {"$replaceOne": {"input": "$item", "find": "blue paint", "replacement": "red paint"}}
        ),
        rows(
            "red paint",
            "blue and green paint",
            "red paint with blue paintbrush",
            "red paint with green paintbrush",
        ),
    ),
    (
        "replaceAll",
        PAINT,
        project(
            {"$replaceAll": {"input": "$item", "find": "blue paint", "replacement": "red paint"}}
        ),
        rows(
            "red paint",
            "blue and green paint",
            "red paint with red paintbrush",
            "red paint with green paintbrush",
        ),
    ),
    # manual: a null input, find or replacement gives null
    (
        "replaceAll null",
        docs({"s": None}, {"s": "abc"}),
        project({"$replaceAll": {"input": "$s", "find": "b", "replacement": "$missing"}}),
        rows(None, None),
    ),
    # manual $regexMatch examples on the products collection (results worked out by hand)
    ("regexMatch", PRODUCTS, project(match("line")), rows(False, True, True, True, False, False)),
    (
        "regexMatch i",
        PRODUCTS,
        project(match("line", "i")),
        rows(True, True, True, True, False, False),
    ),
    (
        "regexMatch regex flags",
        PRODUCTS,
        project(match(bson.Regex("^s", "im"))),
        rows(True, True, False, False, False, False),
    ),
    (
        "regexMatch x",
        PRODUCTS,
        project(match("lin(e|k) # matches line or link", "x")),
        rows(False, True, True, True, True, False),
    ),
    (
        "regexMatch s",
        PRODUCTS,
        project(match("m.*line", "si")),
        rows(False, False, True, True, False, False),
    ),
    (
        "regexMatch without s",
        PRODUCTS,
        project(match("m.*line", "i")),
        rows(False, False, True, False, False, False),
    ),
    # PCRE: '$' without 'm' also matches before a final newline; \w is ASCII (no UCP)
    (
        "regexMatch pcre semantics",
        docs({"s": "line\n", "w": "métier"}, {"s": "line\nx", "w": "metier"}),
        [
            {
                "$project": {
                    "a": {"$regexMatch": {"input": "$s", "regex": "^line$"}},
                    "b": {"$regexMatch": {"input": "$w", "regex": "^\\w+$"}},
                }
            }
        ],
        [{"_id": 1, "a": True, "b": False}, {"_id": 2, "a": False, "b": True}],
    ),
    # manual: a null or missing input does not match
    ("regexMatch null", docs({"description": None}, {}), project(match("x")), rows(False, False)),
]


@pytest.mark.parametrize(
    ("name", "documents", "pipeline", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_string(
    run: Any,
    name: str,
    documents: Docs,
    pipeline: list[dict[str, Any]],
    expected: list[dict[str, Any]],
) -> None:
    assert run(documents, pipeline) == expected


ERRORS: list[tuple[str, Docs, Any, int]] = [
    ("concat number", docs({"a": "x", "n": 1}), {"$concat": ["$a", "$n"]}, 16702),
    ("toUpper bool", docs({"b": True}), {"$toUpper": "$b"}, 16007),
    ("substrCP negative start", docs({"s": "abc"}), {"$substrCP": ["$s", -1, 2]}, 34455),
    ("substrCP fractional start", docs({"s": "abc"}), {"$substrCP": ["$s", 1.5, 2]}, 34451),
    ("substrCP negative length", docs({"s": "abc"}), {"$substrCP": ["$s", 0, -2]}, 34454),
    ("substrCP string start", docs({"s": "abc"}), {"$substrCP": ["$s", "a", 2]}, 34450),
    # manual $strLenCP: the argument must be a string (null included)
    ("strLenCP null", docs({"s": None}), {"$strLenCP": "$s"}, 34471),
    ("strLenCP number", docs({"n": 5}), {"$strLenCP": "$n"}, 34471),
    # manual $split table: a non-string separator is an error
    ("split number separator", docs({"s": "headphone jack"}), {"$split": ["$s", 7]}, 40086),
    ("split empty separator", docs({"s": "abc"}), {"$split": ["$s", ""]}, 40087),
    ("split number input", docs({"n": 5}), {"$split": ["$n", "-"]}, 40085),
    ("trim number", docs({"n": 5}), {"$trim": {"input": "$n"}}, 50699),
    ("trim unknown argument", docs({"s": "x"}), {"$trim": {"input": "$s", "foo": 1}}, 50694),
    # manual $indexOfCP table: a negative start is an error
    ("indexOfCP negative start", docs({"s": "vanilla"}), {"$indexOfCP": ["$s", "ll", -1]}, 40097),
    ("indexOfCP null token", docs({"s": "vanilla"}), {"$indexOfCP": ["$s", None]}, 40094),
    (
        "replaceAll number",
        docs({"n": 5}),
        {"$replaceAll": {"input": "$n", "find": "a", "replacement": "b"}},
        51746,
    ),
    ("regexMatch number", docs({"n": 5}), {"$regexMatch": {"input": "$n", "regex": "x"}}, 51104),
    (
        "regexMatch invalid",
        docs({"s": "x"}),
        {"$regexMatch": {"input": "$s", "regex": "(x"}},
        51111,
    ),
    # manual: options cannot be given both in the regex and the options field
    (
        "regexMatch two options",
        docs({"s": "x"}),
        {"$regexMatch": {"input": "$s", "regex": bson.Regex("x", "i"), "options": "m"}},
        51107,
    ),
    (
        "regexMatch bad flag",
        docs({"s": "x"}),
        {"$regexMatch": {"input": "$s", "regex": "x", "options": "q"}},
        51108,
    ),
]


@pytest.mark.parametrize(("name", "documents", "expr", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_string_errors(run: Any, name: str, documents: Docs, expr: Any, code: int) -> None:
    with pytest.raises(OperationFailure) as info:
        run(documents, project(expr))
    assert info.value.code == code


def test_errors_need_a_document(run: Any) -> None:
    assert run([], project({"$strLenCP": "$s"})) == []
    guarded = {"$cond": [{"$eq": ["$s", None]}, -1, {"$strLenCP": "$s"}]}
    assert run(docs({"s": None}, {"s": "ab"}), project(guarded)) == rows(-1, 2)


@pytest.mark.parametrize(
    "expr",
    [
        # Rust's regex engine has no look-around or back-references: refused, never guessed
        {"$regexMatch": {"input": "$s", "regex": "a(?=b)"}},
        {"$regexMatch": {"input": "$s", "regex": "(a)\\1"}},
        {"$regexMatch": {"input": "$s", "regex": "a++b"}},
        {"$regexMatch": {"input": "$s", "regex": "$pattern"}},
        {"$replaceAll": {"input": "$s", "find": "$s", "replacement": "x"}},
        # %g would print 1.23457e+06 (six significant digits)
        {"$toUpper": "$f"},
    ],
)
def test_unsupported(run: Any, expr: Any) -> None:
    with pytest.raises(UnsupportedOperation):
        run(docs({"s": "ab", "pattern": "a", "f": 1234567.5}), project(expr))
