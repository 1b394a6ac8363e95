"""Dotted paths of ``$project``, ``$addFields``/``$set``, ``$unset`` and ``find`` projections through
arrays of sub-documents (expected values written by hand from the MongoDB manual).

Manual, "$project" (Include Specific Fields from Embedded Documents), "$unset" (Remove Embedded
Fields), "$addFields" ("To add field or fields to embedded documents (including documents in
arrays) use the dot notation"), "Project Fields to Return from Query" (Projection on Embedded
Documents in an Array): a dotted path applies to every document of the array it passes through.
What it does to an element that is not a document (and to null, missing, arrays of arrays) is
mongod's projection executor (``ProjectionNode::applyProjectionsToValue`` and
``applyExpressionsToValue``): an inclusion leaves it out, an exclusion keeps it, a computed field
replaces it with a document of the computed fields; arrays in arrays are walked the same way.

Inside an array of documents the embedded engine returns an absent field as ``None`` (its
documented limit), so a document created in place of a null element shows the array's other keys
as ``None`` below.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.errors import OperationFailure, UnsupportedOperation
from tests.dashboard.store.embedded.conftest import RunFn

ITEMS = [
    {"_id": 1, "n": 3, "items": [{"p": 5, "q": 1}, {"p": 20, "q": 2}]},
    {"_id": 2, "n": 4, "items": []},
]


@pytest.mark.parametrize(
    ("docs", "pipeline", "expected"),
    [
        pytest.param(
            # Manual, $project, "Include Specific Fields from Embedded Documents" (the document
            # whose "stop" is an array): each element keeps only "title".
            [
                {
                    "_id": 2,
                    "user": "7890",
                    "stop": [
                        {"title": "book2", "author": "abc", "page": 5},
                        {"title": "book3", "author": "ijk", "page": 100},
                    ],
                }
            ],
            [{"$project": {"stop.title": 1}}],
            [{"_id": 2, "stop": [{"title": "book2"}, {"title": "book3"}]}],
            id="manual-project-stop-title",
        ),
        pytest.param(
            # The case: an array of documents, not a document of arrays; an empty array
            # stays an empty array.
            ITEMS,
            [{"$project": {"items.p": 1}}],
            [{"_id": 1, "items": [{"p": 5}, {"p": 20}]}, {"_id": 2, "items": []}],
            id="include-each-element",
        ),
        pytest.param(
            # Inclusion: an element that is not a document (null) is left out of the array.
            [{"_id": 1, "items": [{"p": 5, "q": 1}, None, {"p": 20, "q": 2}]}],
            [{"$project": {"_id": 0, "items.q": 1}}],
            [{"items": [{"q": 1}, {"q": 2}]}],
            id="include-drops-null-elements",
        ),
        pytest.param(
            # Inclusion through an array of numbers keeps none of them: an empty array.
            [{"_id": 1, "a": [1, 2, 3]}],
            [{"$project": {"a.b": 1}}],
            [{"_id": 1, "a": []}],
            id="include-through-scalars",
        ),
        pytest.param(
            # Inclusion of a path under a value that is not a document or array (null, missing):
            # the field is left out; a document without the field gives {}.
            [{"_id": 1, "a": {"b": 5, "c": 1}}, {"_id": 2, "a": None}, {"_id": 3}],
            [{"$project": {"a.b": 1, "a.x": 1}}],
            [{"_id": 1, "a": {"b": 5}}, {"_id": 2}, {"_id": 3}],
            id="include-under-null-and-missing",
        ),
        pytest.param(
            # Exclusion: each element loses the field; a null element, an empty array and a null
            # array are kept as they are.
            [
                {"_id": 1, "items": [{"p": 5, "q": 1}, None]},
                {"_id": 2, "items": []},
                {"_id": 3, "items": None},
            ],
            [{"$project": {"items.q": 0}}],
            [
                {"_id": 1, "items": [{"p": 5}, None]},
                {"_id": 2, "items": []},
                {"_id": 3, "items": None},
            ],
            id="exclude-each-element",
        ),
        pytest.param(
            # Manual, $unset, "Remove Embedded Fields".
            [
                {
                    "_id": 1,
                    "title": "Antelope Antics",
                    "isbn": "0001122223334",
                    "author": {"last": "An", "first": "Auntie"},
                    "copies": [{"warehouse": "A", "qty": 5}, {"warehouse": "B", "qty": 15}],
                },
                {
                    "_id": 2,
                    "title": "Bees Babble",
                    "isbn": "999999999333",
                    "author": {"last": "Bumble", "first": "Bee"},
                    "copies": [{"warehouse": "A", "qty": 2}, {"warehouse": "B", "qty": 5}],
                },
            ],
            [{"$unset": ["isbn", "author.first", "copies.warehouse"]}],
            [
                {
                    "_id": 1,
                    "title": "Antelope Antics",
                    "author": {"last": "An"},
                    "copies": [{"qty": 5}, {"qty": 15}],
                },
                {
                    "_id": 2,
                    "title": "Bees Babble",
                    "author": {"last": "Bumble"},
                    "copies": [{"qty": 2}, {"qty": 5}],
                },
            ],
            id="manual-unset-copies-warehouse",
        ),
        pytest.param(
            # $addFields sets the field in every element, two paths into the same array at once.
            ITEMS,
            [{"$addFields": {"items.q": 7, "items.r": "x"}}],
            [
                {
                    "_id": 1,
                    "n": 3,
                    "items": [{"p": 5, "q": 7, "r": "x"}, {"p": 20, "q": 7, "r": "x"}],
                },
                {"_id": 2, "n": 4, "items": []},
            ],
            id="add-each-element",
        ),
        pytest.param(
            # The value is computed once per document, from the document (not the element), and
            # written into every element: "$items.p" is the document's array of every p.
            [{"_id": 1, "n": 3, "items": [{"p": 5}, {"p": 20}]}],
            [{"$set": {"items.twice": {"$multiply": ["$n", 2]}, "items.all": "$items.p"}}],
            [
                {
                    "_id": 1,
                    "n": 3,
                    "items": [
                        {"p": 5, "twice": 6, "all": [5, 20]},
                        {"p": 20, "twice": 6, "all": [5, 20]},
                    ],
                }
            ],
            id="add-computed-per-document",
        ),
        pytest.param(
            # A computed field replaces an element that is not a document with a document of the
            # computed fields ({"a.b": {$literal: 1}} on {a: 1} gives {a: {b: 1}}, per element).
            [{"_id": 1, "a": [1, 2]}],
            [{"$addFields": {"a.b": 1}}],
            [{"_id": 1, "a": [{"b": 1}, {"b": 1}]}],
            id="add-replaces-scalar-elements",
        ),
        pytest.param(
            # The same for a null element (the other keys read back as None: documented limit).
            [{"_id": 1, "items": [{"p": 5}, None]}],
            [{"$addFields": {"items.q": 7}}],
            [{"_id": 1, "items": [{"p": 5, "q": 7}, {"p": None, "q": 7}]}],
            id="add-replaces-null-element",
        ),
        pytest.param(
            # $project with a computed dotted path: evaluated per document, set in every element
            # next to the included fields.
            ITEMS,
            [{"$project": {"items.p": 1, "items.twice": {"$multiply": ["$n", 2]}}}],
            [
                {"_id": 1, "items": [{"p": 5, "twice": 6}, {"p": 20, "twice": 6}]},
                {"_id": 2, "items": []},
            ],
            id="project-computed-per-document",
        ),
        pytest.param(
            # Arrays in arrays (a.b.c with both a and b arrays) are walked recursively.
            [
                {
                    "_id": 1,
                    "a": [{"b": [{"c": 1, "d": 2}, {"c": 3, "d": 4}]}, {"b": []}],
                }
            ],
            [{"$project": {"a.b.c": 1}}],
            [{"_id": 1, "a": [{"b": [{"c": 1}, {"c": 3}]}, {"b": []}]}],
            id="nested-arrays-include",
        ),
        pytest.param(
            [{"_id": 1, "a": [[{"c": 1, "d": 2}], [None], []]}],
            [{"$project": {"a.c": 1}}],
            [{"_id": 1, "a": [[{"c": 1}], [], []]}],
            id="array-of-arrays-include",
        ),
        pytest.param(
            [{"_id": 1, "a": [[{"c": 1, "d": 2}], []], "n": 9}],
            [{"$unset": "a.d"}, {"$addFields": {"a.e": "$n"}}],
            [{"_id": 1, "a": [[{"c": 1, "e": 9}], []], "n": 9}],
            id="array-of-arrays-unset-then-add",
        ),
    ],
)
def test_paths_through_arrays(
    run: RunFn, docs: list[dict[str, Any]], pipeline: list[dict[str, Any]], expected: list[Any]
) -> None:
    assert run(docs, pipeline) == expected


def test_find_projection_through_an_array(store: EmbeddedStore) -> None:
    # Manual, "Project Fields to Return from Query", "Projection on Embedded Documents in an
    # Array": {item: 1, status: 1, "instock.qty": 1} returns only qty in each instock document.
    store.insert_many(
        "inventory",
        [
            {"_id": 1, "item": "journal", "status": "A", "size": {"h": 14, "w": 21, "uom": "cm"}, "instock": [{"warehouse": "A", "qty": 5}]},
            {"_id": 2, "item": "notebook", "status": "A", "size": {"h": 8.5, "w": 11, "uom": "in"}, "instock": [{"warehouse": "C", "qty": 5}]},
            {"_id": 3, "item": "paper", "status": "D", "size": {"h": 8.5, "w": 11, "uom": "in"}, "instock": [{"warehouse": "A", "qty": 60}]},
            {"_id": 4, "item": "planner", "status": "D", "size": {"h": 22.85, "w": 30, "uom": "cm"}, "instock": [{"warehouse": "A", "qty": 40}]},
            {"_id": 5, "item": "postcard", "status": "A", "size": {"h": 10, "w": 15.25, "uom": "cm"}, "instock": [{"warehouse": "B", "qty": 15}, {"warehouse": "C", "qty": 35}]},
        ],
    )  # fmt: skip
    out = store.find(
        "inventory", {"status": "A"}, projection={"item": 1, "status": 1, "instock.qty": 1}
    )
    assert out == [
        {"_id": 1, "item": "journal", "status": "A", "instock": [{"qty": 5}]},
        {"_id": 2, "item": "notebook", "status": "A", "instock": [{"qty": 5}]},
        {"_id": 5, "item": "postcard", "status": "A", "instock": [{"qty": 15}, {"qty": 35}]},
    ]
    # "Suppress Specific Fields in Embedded Documents", through the array: every element.
    out = store.find("inventory", {"_id": 5}, projection={"size": 0, "instock.warehouse": 0})
    assert out == [
        {"_id": 5, "item": "postcard", "status": "A", "instock": [{"qty": 15}, {"qty": 35}]}
    ]


def test_a_computed_path_into_a_missing_array_is_refused(run: RunFn) -> None:
    # MongoDB writes {items: {q: 7}} for the document without "items" while the others hold
    # arrays: two types in one field, which the engine cannot store. Refused for the documents
    # reaching the stage only.
    docs = [*ITEMS, {"_id": 3, "n": 5}]
    with pytest.raises(UnsupportedOperation) as err:
        run(docs, [{"$addFields": {"items.q": 7}}])
    assert err.value.code == 168
    with pytest.raises(UnsupportedOperation):
        run(docs, [{"$project": {"items.t": "$n"}}])
    kept = run(docs, [{"$match": {"_id": 2}}, {"$addFields": {"items.q": 7}}])
    assert kept == [{"_id": 2, "n": 4, "items": []}]


@pytest.mark.parametrize("stage", ["$addFields", "$project"])
def test_a_path_and_its_prefix_collide(run: RunFn, stage: str) -> None:
    # A path and a path below it in one stage: "Path collision" (code 31250).
    with pytest.raises(OperationFailure) as err:
        run(ITEMS, [{stage: {"items": 1, "items.p": 1}}])
    assert err.value.code == 31250


@pytest.mark.parametrize(
    ("path", "code"),
    [
        # "FieldPath field names may not start with '$'" (16410), "... may not be empty" (15998).
        ("items.$p", 16410),
        ("items..p", 15998),
        # find's positional projection (Manual, "$ (projection)"): the engine refuses it.
        ("items.$", 168),
    ],
)
def test_field_names_of_a_path(run: RunFn, path: str, code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run(ITEMS, [{"$project": {path: 1}}])
    assert err.value.code == code


def test_a_positional_find_projection_is_refused(store: EmbeddedStore) -> None:
    store.insert_many("c", ITEMS)
    with pytest.raises(UnsupportedOperation):
        store.find("c", {"items.p": 5}, projection={"items.$": 1})
