"""Conformance tests for ``$facet``, ``$bucket`` and ``$bucketAuto``.

Expected values are the MongoDB manual's examples (NumberDecimal prices stored as doubles), or
worked out by hand from the manual's definitions where noted.
"""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.store.errors import OperationFailure, UnsupportedOperation

# https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucket/
ARTISTS = [
    {
        "_id": 1,
        "last_name": "Bernard",
        "first_name": "Emil",
        "year_born": 1868,
        "year_died": 1941,
        "nationality": "France",
    },
    {
        "_id": 2,
        "last_name": "Rippl-Ronai",
        "first_name": "Joszef",
        "year_born": 1861,
        "year_died": 1927,
        "nationality": "Hungary",
    },
    {
        "_id": 3,
        "last_name": "Ostroumova",
        "first_name": "Anna",
        "year_born": 1871,
        "year_died": 1955,
        "nationality": "Russia",
    },
    {
        "_id": 4,
        "last_name": "Van Gogh",
        "first_name": "Vincent",
        "year_born": 1853,
        "year_died": 1890,
        "nationality": "Holland",
    },
    {
        "_id": 5,
        "last_name": "Maurer",
        "first_name": "Alfred",
        "year_born": 1868,
        "year_died": 1932,
        "nationality": "USA",
    },
    {
        "_id": 6,
        "last_name": "Munch",
        "first_name": "Edvard",
        "year_born": 1863,
        "year_died": 1944,
        "nationality": "Norway",
    },
    {
        "_id": 7,
        "last_name": "Redon",
        "first_name": "Odilon",
        "year_born": 1840,
        "year_died": 1916,
        "nationality": "France",
    },
    {
        "_id": 8,
        "last_name": "Diriks",
        "first_name": "Edvard",
        "year_born": 1855,
        "year_died": 1930,
        "nationality": "Norway",
    },
]

# https://www.mongodb.com/docs/manual/reference/operator/aggregation/facet/ ("artwork")
ARTWORK = [
    {
        "_id": 1,
        "title": "The Pillars of Society",
        "artist": "Grosz",
        "year": 1926,
        "price": 199.99,
        "tags": ["painting", "satire", "Expressionism", "caricature"],
    },
    {
        "_id": 2,
        "title": "Melancholy III",
        "artist": "Munch",
        "year": 1902,
        "price": 280.00,
        "tags": ["woodcut", "Expressionism"],
    },
    {
        "_id": 3,
        "title": "Dancer",
        "artist": "Miro",
        "year": 1925,
        "price": 76.04,
        "tags": ["oil", "Surrealism", "painting"],
    },
    {
        "_id": 4,
        "title": "The Great Wave off Kanagawa",
        "artist": "Hokusai",
        "price": 167.30,
        "tags": ["woodblock", "ukiyo-e"],
    },
    {
        "_id": 5,
        "title": "The Persistence of Memory",
        "artist": "Dali",
        "year": 1931,
        "price": 483.00,
        "tags": ["Surrealism", "painting", "oil"],
    },
    {
        "_id": 6,
        "title": "Composition VII",
        "artist": "Kandinsky",
        "year": 1913,
        "price": 385.00,
        "tags": ["oil", "painting", "abstract"],
    },
    {
        "_id": 7,
        "title": "The Scream",
        "artist": "Munch",
        "year": 1893,
        "tags": ["Expressionism", "painting", "oil"],
    },
    {
        "_id": 8,
        "title": "Blue Flower",
        "artist": "O'Keefe",
        "year": 1918,
        "price": 118.42,
        "tags": ["abstract", "painting"],
    },
]

# https://www.mongodb.com/docs/manual/reference/operator/aggregation/bucketAuto/ ("artwork")
ARTWORK_AUTO = [
    {
        "_id": 1,
        "title": "The Pillars of Society",
        "year": 1926,
        "price": 199.99,
        "dimensions": {"height": 39, "width": 21},
    },
    {
        "_id": 2,
        "title": "Melancholy III",
        "year": 1902,
        "price": 280.00,
        "dimensions": {"height": 49, "width": 32},
    },
    {
        "_id": 3,
        "title": "Dancer",
        "year": 1925,
        "price": 76.04,
        "dimensions": {"height": 25, "width": 20},
    },
    {
        "_id": 4,
        "title": "The Great Wave off Kanagawa",
        "price": 167.30,
        "dimensions": {"height": 24, "width": 36},
    },
    {
        "_id": 5,
        "title": "The Persistence of Memory",
        "year": 1931,
        "price": 483.00,
        "dimensions": {"height": 20, "width": 24},
    },
    {
        "_id": 6,
        "title": "Composition VII",
        "year": 1913,
        "price": 385.00,
        "dimensions": {"height": 30, "width": 46},
    },
    {"_id": 7, "title": "The Scream", "price": 159.00, "dimensions": {"height": 24, "width": 18}},
    {
        "_id": 8,
        "title": "Blue Flower",
        "year": 1918,
        "price": 118.42,
        "dimensions": {"height": 24, "width": 20},
    },
]


# -- $bucket -----------------------------------------------------------------------------------


def test_bucket_by_year_and_filter(run: Any) -> None:
    # Manual, "Bucket by Year and Filter by Bucket Results": first stage, then with the $match.
    bucket = {
        "$bucket": {
            "groupBy": "$year_born",
            "boundaries": [1840, 1850, 1860, 1870, 1880],
            "default": "Other",
            "output": {
                "count": {"$sum": 1},
                "artists": {
                    "$push": {
                        "name": {"$concat": ["$first_name", " ", "$last_name"]},
                        "year_born": "$year_born",
                    }
                },
            },
        }
    }
    bucket_1860 = {
        "_id": 1860,
        "count": 4,
        "artists": [
            {"name": "Emil Bernard", "year_born": 1868},
            {"name": "Joszef Rippl-Ronai", "year_born": 1861},
            {"name": "Alfred Maurer", "year_born": 1868},
            {"name": "Edvard Munch", "year_born": 1863},
        ],
    }
    assert run(ARTISTS, [bucket]) == [
        {"_id": 1840, "count": 1, "artists": [{"name": "Odilon Redon", "year_born": 1840}]},
        {
            "_id": 1850,
            "count": 2,
            "artists": [
                {"name": "Vincent Van Gogh", "year_born": 1853},
                {"name": "Edvard Diriks", "year_born": 1855},
            ],
        },
        bucket_1860,
        {"_id": 1870, "count": 1, "artists": [{"name": "Anna Ostroumova", "year_born": 1871}]},
    ]
    assert run(ARTISTS, [bucket, {"$match": {"count": {"$gt": 3}}}]) == [bucket_1860]


def test_bucket_default_output_is_count(run: Any) -> None:
    # Manual: without 'output', each bucket document has a count field.
    out = run(ARTISTS, [{"$bucket": {"groupBy": "$year_born", "boundaries": [1840, 1860, 1880]}}])
    assert out == [{"_id": 1840, "count": 3}, {"_id": 1860, "count": 5}]


def test_bucket_within_facet_numeric_defaults(run: Any) -> None:
    # Manual, "Use $bucket with $facet to Bucket by Multiple Fields", with the defaults -1 in place
    # of "Other"/"Unknown" (one type per field): same bucket contents, the default bucket sorts
    # first.
    # Inside arrays a missing field reads as null (the engine's documented limit).
    out = run(
        [{k: v for k, v in d.items() if k != "tags"} for d in ARTWORK],
        [
            {
                "$facet": {
                    "price": [
                        {
                            "$bucket": {
                                "groupBy": "$price",
                                "boundaries": [0, 200, 400],
                                "default": -1,
                                "output": {
                                    "count": {"$sum": 1},
                                    "artwork": {"$push": {"title": "$title", "price": "$price"}},
                                    "averagePrice": {"$avg": "$price"},
                                },
                            }
                        }
                    ],
                    "year": [
                        {
                            "$bucket": {
                                "groupBy": "$year",
                                "boundaries": [1890, 1910, 1920, 1940],
                                "default": -1,
                                "output": {
                                    "count": {"$sum": 1},
                                    "artwork": {"$push": {"title": "$title", "year": "$year"}},
                                },
                            }
                        }
                    ],
                }
            }
        ],
    )
    assert out == [
        {
            "price": [
                {
                    "_id": -1,
                    "count": 2,
                    "artwork": [
                        {"title": "The Persistence of Memory", "price": 483.0},
                        {"title": "The Scream", "price": None},
                    ],
                    "averagePrice": 483.0,
                },
                {
                    "_id": 0,
                    "count": 4,
                    "artwork": [
                        {"title": "The Pillars of Society", "price": 199.99},
                        {"title": "Dancer", "price": 76.04},
                        {"title": "The Great Wave off Kanagawa", "price": 167.30},
                        {"title": "Blue Flower", "price": 118.42},
                    ],
                    "averagePrice": pytest.approx(140.4375),
                },
                {
                    "_id": 200,
                    "count": 2,
                    "artwork": [
                        {"title": "Melancholy III", "price": 280.0},
                        {"title": "Composition VII", "price": 385.0},
                    ],
                    "averagePrice": 332.5,
                },
            ],
            "year": [
                {
                    "_id": -1,
                    "count": 1,
                    "artwork": [{"title": "The Great Wave off Kanagawa", "year": None}],
                },
                {
                    "_id": 1890,
                    "count": 2,
                    "artwork": [
                        {"title": "Melancholy III", "year": 1902},
                        {"title": "The Scream", "year": 1893},
                    ],
                },
                {
                    "_id": 1910,
                    "count": 2,
                    "artwork": [
                        {"title": "Composition VII", "year": 1913},
                        {"title": "Blue Flower", "year": 1918},
                    ],
                },
                {
                    "_id": 1920,
                    "count": 3,
                    "artwork": [
                        {"title": "The Pillars of Society", "year": 1926},
                        {"title": "Dancer", "year": 1925},
                        {"title": "The Persistence of Memory", "year": 1931},
                    ],
                },
            ],
        }
    ]


def test_bucket_string_default_used_is_refused(run: Any) -> None:
    # The manual's "Other" bucket next to numeric _ids cannot be one column: refused, not altered.
    with pytest.raises(UnsupportedOperation):
        run(
            ARTWORK,
            [{"$bucket": {"groupBy": "$price", "boundaries": [0, 200, 400], "default": "Other"}}],
        )


def test_bucket_null_default(run: Any) -> None:
    # By hand: a null default collects missing values and sorts before the numeric buckets.
    out = run(
        [{"_id": 1, "x": 5}, {"_id": 2}, {"_id": 3, "x": 50}],
        [{"$bucket": {"groupBy": "$x", "boundaries": [0, 10], "default": None}}],
    )
    assert out == [{"_id": None, "count": 2}, {"_id": 0, "count": 1}]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"groupBy": "$x", "boundaries": [0, 10]}, 40066),  # 50 falls outside, no default
        ({"groupBy": "$x", "boundaries": [10, 0], "default": "o"}, 40194),
        ({"groupBy": "$x", "boundaries": [0], "default": "o"}, 40192),
        ({"groupBy": "$x", "boundaries": [0, "a"], "default": "o"}, 40193),
        ({"groupBy": "$x", "boundaries": [0, 10, 20], "default": 5}, 40199),
        ({"groupBy": "x", "boundaries": [0, 10], "default": "o"}, 40202),
        ({"boundaries": [0, 10]}, 40198),
    ],
)
def test_bucket_errors(run: Any, spec: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1, "x": 5}, {"_id": 2, "x": 50}], [{"$bucket": spec}])
    assert err.value.code == code


# -- $bucketAuto -------------------------------------------------------------------------------


def test_bucket_auto_single(run: Any) -> None:
    # Manual, "Single Facet Aggregation".
    out = run(ARTWORK_AUTO, [{"$bucketAuto": {"groupBy": "$price", "buckets": 4}}])
    assert out == [
        {"_id": {"min": 76.04, "max": 159.0}, "count": 2},
        {"_id": {"min": 159.0, "max": 199.99}, "count": 2},
        {"_id": {"min": 199.99, "max": 385.0}, "count": 2},
        {"_id": {"min": 385.0, "max": 483.0}, "count": 2},
    ]


def test_bucket_auto_multi_faceted(run: Any) -> None:
    # Manual, "Multi-Faceted Aggregation": ties stay in one bucket (area 480), missing years are
    # null and come first, $push skips the missing values.
    out = run(
        ARTWORK_AUTO,
        [
            {
                "$facet": {
                    "year": [
                        {
                            "$bucketAuto": {
                                "groupBy": "$year",
                                "buckets": 3,
                                "output": {"count": {"$sum": 1}, "years": {"$push": "$year"}},
                            }
                        }
                    ],
                    "area": [
                        {
                            "$bucketAuto": {
                                "groupBy": {
                                    "$multiply": ["$dimensions.height", "$dimensions.width"]
                                },
                                "buckets": 4,
                                "output": {"count": {"$sum": 1}, "titles": {"$push": "$title"}},
                            }
                        }
                    ],
                }
            }
        ],
    )
    assert out == [
        {
            "year": [
                {"_id": {"min": None, "max": 1913}, "count": 3, "years": [1902]},
                {"_id": {"min": 1913, "max": 1926}, "count": 3, "years": [1913, 1918, 1925]},
                {"_id": {"min": 1926, "max": 1931}, "count": 2, "years": [1926, 1931]},
            ],
            "area": [
                {
                    "_id": {"min": 432, "max": 500},
                    "count": 3,
                    "titles": ["The Scream", "The Persistence of Memory", "Blue Flower"],
                },
                {
                    "_id": {"min": 500, "max": 864},
                    "count": 2,
                    "titles": ["Dancer", "The Pillars of Society"],
                },
                {
                    "_id": {"min": 864, "max": 1568},
                    "count": 2,
                    "titles": ["The Great Wave off Kanagawa", "Composition VII"],
                },
                {"_id": {"min": 1568, "max": 1568}, "count": 1, "titles": ["Melancholy III"]},
            ],
        }
    ]


GRANULARITY = [
    # Manual, "Comparing Different Granularities" (its results are those of _id 0…99).
    (None, [(0, 20, 20), (20, 40, 20), (40, 60, 20), (60, 80, 20), (80, 99, 20)]),
    ("R20", [(0, 20, 20), (20, 40, 20), (40, 63, 23), (63, 90, 27), (90, 100, 10)]),
    ("E24", [(0, 20, 20), (20, 43, 23), (43, 68, 25), (68, 91, 23), (91, 100, 9)]),
    ("1-2-5", [(0, 20, 20), (20, 50, 30), (50, 100, 50)]),
    ("POWERSOF2", [(0, 32, 32), (32, 64, 32), (64, 128, 36)]),
]


@pytest.mark.parametrize(("granularity", "expected"), GRANULARITY)
def test_bucket_auto_granularity(
    run: Any, granularity: str | None, expected: list[tuple[int, int, int]]
) -> None:
    spec: dict[str, Any] = {"groupBy": "$_id", "buckets": 5}
    if granularity:
        spec["granularity"] = granularity
    out = run([{"_id": i} for i in range(100)], [{"$bucketAuto": spec}])
    assert out == [{"_id": {"min": lo, "max": hi}, "count": n} for lo, hi, n in expected]


def test_bucket_auto_edges(run: Any) -> None:
    # By hand from the definition: no input, no bucket; fewer distinct values than buckets.
    assert run([], [{"$bucketAuto": {"groupBy": "$x", "buckets": 3}}]) == []
    same = [{"_id": i, "x": 7} for i in range(5)]
    assert run(same, [{"$bucketAuto": {"groupBy": "$x", "buckets": 3}}]) == [
        {"_id": {"min": 7, "max": 7}, "count": 5}
    ]
    two = [{"_id": i, "x": i % 2} for i in range(4)]
    assert run(two, [{"$bucketAuto": {"groupBy": "$x", "buckets": 10}}]) == [
        {"_id": {"min": 0, "max": 1}, "count": 2},
        {"_id": {"min": 1, "max": 1}, "count": 2},
    ]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"groupBy": "$x", "buckets": 0}, 40243),
        ({"groupBy": "$x", "buckets": "2"}, 40241),
        ({"groupBy": "x", "buckets": 2}, 40239),
        ({"groupBy": "$x", "buckets": 2, "granularity": "R7"}, 40257),
        ({"groupBy": "$y", "buckets": 2, "granularity": "R5"}, 40258),
    ],
)
def test_bucket_auto_errors(run: Any, spec: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1, "x": 5, "y": "a"}], [{"$bucketAuto": spec}])
    assert err.value.code == code


# -- $facet ------------------------------------------------------------------------------------


def test_facet_manual_example(run: Any) -> None:
    # Manual, $facet example ("categorizedByPrice" is tested above with a numeric default).
    out = run(
        ARTWORK,
        [
            {
                "$facet": {
                    "categorizedByTags": [{"$unwind": "$tags"}, {"$sortByCount": "$tags"}],
                    "categorizedByYears(Auto)": [
                        {"$bucketAuto": {"groupBy": "$year", "buckets": 4}}
                    ],
                }
            }
        ],
    )
    assert len(out) == 1
    assert out[0]["categorizedByYears(Auto)"] == [
        {"_id": {"min": None, "max": 1902}, "count": 2},
        {"_id": {"min": 1902, "max": 1918}, "count": 2},
        {"_id": {"min": 1918, "max": 1926}, "count": 2},
        {"_id": {"min": 1926, "max": 1931}, "count": 2},
    ]
    tags = out[0]["categorizedByTags"]
    assert [d["count"] for d in tags] == [6, 4, 3, 2, 2, 1, 1, 1, 1, 1]
    assert tags[:3] == [
        {"_id": "painting", "count": 6},
        {"_id": "oil", "count": 4},
        {"_id": "Expressionism", "count": 3},
    ]
    # Ties come in no particular order.
    assert {d["_id"] for d in tags[3:5]} == {"Surrealism", "abstract"}
    assert {d["_id"] for d in tags[5:]} == {
        "woodblock",
        "woodcut",
        "ukiyo-e",
        "satire",
        "caricature",
    }


def test_facet_empty_input(run: Any) -> None:
    # By hand: $facet always outputs one document; each facet of no input is an empty array.
    assert run([], [{"$facet": {"a": [{"$match": {}}], "b": [{"$count": "n"}]}}]) == [
        {"a": [], "b": []}
    ]
    assert run([{"_id": 1}], [{"$facet": {"a": [{"$match": {"x": 1}}]}}]) == [{"a": []}]


def test_facet_documents(run: Any) -> None:
    out = run(
        [{"_id": 1, "x": 1}, {"_id": 2, "x": 2}],
        [{"$facet": {"all": [{"$sort": {"x": -1}}], "n": [{"$count": "n"}]}}],
    )
    assert out == [{"all": [{"_id": 2, "x": 2}, {"_id": 1, "x": 1}], "n": [{"n": 2}]}]


@pytest.mark.parametrize(
    ("spec", "code"),
    [
        ({"a": [{"$out": "x"}]}, 40600),
        ({"a": [{"$merge": {"into": "x"}}]}, 40600),
        ({"a": [{"$facet": {"b": [{"$match": {}}]}}]}, 40600),
        ({"a": {"$match": {}}}, 40170),
        ({}, 40169),
    ],
)
def test_facet_errors(run: Any, spec: dict[str, Any], code: int) -> None:
    with pytest.raises(OperationFailure) as err:
        run([{"_id": 1}], [{"$facet": spec}])
    assert err.value.code == code
