"""Conformance tests for ``$min`` and ``$max`` as expressions, constant arrays in ``$set`` and
``$concatArrays`` of documents, from the MongoDB manual's operator pages and their definitions.

The embedded engine keeps one type per field, so a result mixing integers and doubles across
documents comes back as doubles (equal numbers; docs/embedded-engine.md).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dashboard.store.embedded.test_expr_array import docs, project, rows

# manual $min / $max (aggregation), "Use in $project Stage": the students collection.
STUDENTS = docs(
    {"quizzes": [10, 6, 7], "labs": [5, 8], "final": 80, "midterm": 75},
    {"quizzes": [9, 10], "labs": [8, 8], "final": 95, "midterm": 80},
    {"quizzes": [4, 5, 5], "labs": [6, 5], "final": 78, "midterm": 70},
)
UTC = dt.UTC


def test_min_over_an_array_and_over_a_list_of_fields_manual(run) -> None:
    pipeline = [
        {
            "$project": {
                "quizMin": {"$min": "$quizzes"},
                "labMin": {"$min": "$labs"},
                "examMin": {"$min": ["$final", "$midterm"]},
            }
        }
    ]
    assert run(STUDENTS, pipeline) == [
        {"_id": 1, "quizMin": 6, "labMin": 5, "examMin": 75},
        {"_id": 2, "quizMin": 9, "labMin": 8, "examMin": 80},
        {"_id": 3, "quizMin": 4, "labMin": 5, "examMin": 70},
    ]


def test_max_over_an_array_and_over_a_list_of_fields_manual(run) -> None:
    pipeline = [
        {
            "$project": {
                "quizMax": {"$max": "$quizzes"},
                "labMax": {"$max": "$labs"},
                "examMax": {"$max": ["$final", "$midterm"]},
            }
        }
    ]
    assert run(STUDENTS, pipeline) == [
        {"_id": 1, "quizMax": 10, "labMax": 8, "examMax": 80},
        {"_id": 2, "quizMax": 10, "labMax": 8, "examMax": 95},
        {"_id": 3, "quizMax": 5, "labMax": 6, "examMax": 78},
    ]


def test_null_and_missing_are_skipped_and_all_null_is_null(run) -> None:
    documents = docs({"a": 5, "b": None}, {"b": 3}, {"a": None}, {})
    assert run(documents, project({"$min": ["$a", "$b"]})) == rows(5, 3, None, None)
    assert run(documents, project({"$max": ["$a", "$b", 4]})) == rows(5, 4, 4, 4)


def test_min_of_dates_picks_the_earlier_one(run) -> None:
    # The activity spans' end: a day plus 7 days, or the next active day if that comes first.
    documents = docs(
        {"day": dt.datetime(2026, 3, 2, tzinfo=UTC), "next": dt.datetime(2026, 3, 4, tzinfo=UTC)},
        {"day": dt.datetime(2026, 3, 2, tzinfo=UTC), "next": dt.datetime(2026, 3, 20, tzinfo=UTC)},
        {"day": dt.datetime(2026, 3, 2, tzinfo=UTC), "next": None},
    )
    week = {"$dateAdd": {"startDate": "$day", "unit": "day", "amount": 7}}
    assert run(documents, project({"$min": [week, "$next"]})) == rows(
        dt.datetime(2026, 3, 4, tzinfo=UTC),
        dt.datetime(2026, 3, 9, tzinfo=UTC),
        dt.datetime(2026, 3, 9, tzinfo=UTC),
    )


def test_an_empty_array_has_no_minimum(run) -> None:
    documents = docs({"xs": [3, 1]}, {"xs": []})
    assert run(documents, project({"$min": "$xs"})) == rows(1, None)
    assert run(documents, project({"$max": "$xs"})) == rows(3, None)


@pytest.mark.parametrize("value", [[], [1, 2], [{"family": "auth", "requests": 0}]])
def test_a_constant_array_is_set_on_every_document(run, value: list) -> None:
    # manual $addFields: a literal value is added to every document.
    documents = docs({"a": 1}, {"a": 2}, {"a": 3})
    out = run(documents, [{"$set": {"r": value}}, {"$project": {"r": 1}}])
    assert out == rows(value, value, value)


def test_concat_arrays_of_documents_from_an_empty_facet(run) -> None:
    # A $facet branch that grouped nothing has no value types; its (empty) array of documents still
    # concatenates with the same documents of the other branch.
    day = dt.datetime(2026, 3, 2, tzinfo=UTC)
    count = [{"$group": {"_id": "$day", "n": {"$sum": 1}}}]
    pipeline = [
        {"$facet": {"none": [{"$match": {"n": 2}}, *count], "some": count}},
        {
            "$project": {
                "_id": 0,
                "r": {
                    "$concatArrays": [
                        {"$map": {"input": "$none", "in": {"day": "$$this._id", "n": "$$this.n"}}},
                        {"$map": {"input": "$some", "in": {"day": "$$this._id", "n": "$$this.n"}}},
                    ]
                },
            }
        },
    ]
    assert run(docs({"day": day, "n": 1}), pipeline) == [{"r": [{"day": day, "n": 1}]}]
