"""``$text`` conformance: the examples of the MongoDB manual's ``$text`` page, and its rules.

Expected ids come from https://www.mongodb.com/docs/manual/reference/operator/query/text/ (the
``articles`` collection) or are worked out by hand from the rules that page states.
"""

from __future__ import annotations

from itertools import count
from typing import Any

import pytest

from dashboard.store.embedded import EmbeddedStore
from dashboard.store.embedded.text import parse_search
from dashboard.store.errors import OperationFailure, UnsupportedOperation

ARTICLES = [
    {"_id": 1, "subject": "coffee", "author": "xyz", "views": 50},
    {"_id": 2, "subject": "Coffee Shopping", "author": "efg", "views": 5},
    {"_id": 3, "subject": "Baking a cake", "author": "abc", "views": 90},
    {"_id": 4, "subject": "baking", "author": "xyz", "views": 100},
    {"_id": 5, "subject": "Café Con Leche", "author": "abc", "views": 200},
    {"_id": 6, "subject": "Сырники", "author": "efg", "views": 80},
    {"_id": 7, "subject": "coffee and cream", "author": "efg", "views": 10},
    {"_id": 8, "subject": "Cafe con Leche", "author": "xyz", "views": 10},
]

_names = count()


@pytest.fixture
def articles(store: EmbeddedStore) -> str:
    store.insert_many("articles", ARTICLES)
    store.create_index("articles", [("subject", "text")])
    return "articles"


def _ids(store: EmbeddedStore, collection: str, text: dict[str, Any]) -> list[Any]:
    return sorted(d["_id"] for d in store.find(collection, {"$text": text}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "Search for a Single Word"
        ({"$search": "coffee"}, [1, 2, 7]),
        # "Match Any of the Search Terms" (terms are OR-ed; "bake" stems like "baking")
        ({"$search": "bake coffee cake"}, [1, 2, 3, 4, 7]),
        # "Search a Different Language" is Spanish: refused, see below.
        # "Search for a Phrase": "coffee shop" is a substring of "Coffee Shopping"
        ({"$search": '"coffee shop"'}, [2]),
        # "Exclude Documents That Contain a Term": "shop" also excludes "Shopping" (stemming)
        ({"$search": "coffee -shop"}, [1, 7]),
        # "Case and Diacritic Insensitive Search"
        ({"$search": "сы́рники CAFÉS"}, [5, 6, 8]),
        # "Perform Case Sensitive Search"
        ({"$search": "Coffee", "$caseSensitive": True}, [2]),
        ({"$search": '"Café Con Leche"', "$caseSensitive": True}, [5]),
        ({"$search": "Coffee -shop", "$caseSensitive": True}, [2]),
        # "Diacritic Sensitive Search"
        ({"$search": "CAFÉ", "$diacriticSensitive": True}, [5]),
        ({"$search": "leches -cafés", "$diacriticSensitive": True}, [8]),
    ],
)
def test_manual_examples(
    store: EmbeddedStore, articles: str, text: dict[str, Any], expected: list[int]
) -> None:
    assert _ids(store, articles, text) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # Terms OR-ed, case-insensitive by default.
        ("CREAM baking", [3, 4, 7]),
        # A phrase and terms: the phrase must appear; terms then only score.
        ('"con leche" coffee', [5, 8]),
        # Phrases are AND-ed: no article holds both.
        ('"coffee shop" "con leche"', []),
        ('"con leche" "cafe"', [5, 8]),
        # A negated phrase excludes; a '-' after a word (no space before) does not negate.
        ('coffee -"coffee and"', [1, 2]),
        ("coffee-shop", [1, 2, 7]),
        # Stop words are dropped from the search: only stop words match nothing.
        ("the and a", []),
        ("and cream", [7]),
        # Only negated terms: nothing to look up, nothing matches.
        ("-coffee", []),
        ("", []),
        # Stemming: "shops" and "shopping" share the stem "shop"; "cakes" and "cake".
        ("shops", [2]),
        ("cakes", [3]),
    ],
)
def test_search_rules(
    store: EmbeddedStore, articles: str, search: str, expected: list[int]
) -> None:
    assert _ids(store, articles, {"$search": search}) == expected


def test_parse_search_follows_mongodb() -> None:
    q = parse_search('coffee -shop "cafe con" -"no way" - spaced foo-bar')
    assert q.words == ("coffee", "cafe", "con", "spaced", "foo", "bar")
    assert q.negated_words == ("shop",)
    assert q.phrases == ("cafe con",)
    assert q.negated_phrases == ("no way",)


def test_several_text_fields_arrays_and_sub_documents(store: EmbeddedStore) -> None:
    """Every indexed field counts; arrays of strings and dotted paths are searched."""
    docs = [
        {"_id": 1, "title": "Groceries", "notes": ["weekly shop"], "meta": {"tag": "food"}},
        {"_id": 2, "title": "Rent", "notes": ["monthly"], "meta": {"tag": "housing"}},
        {"_id": 3, "title": "Cinema", "notes": [], "meta": {"tag": "fun shopping"}},
    ]
    store.insert_many("exp", docs)
    store.create_index("exp", [("title", "text"), ("notes", "text"), ("meta.tag", "text")])
    assert _ids(store, "exp", {"$search": "shop"}) == [1, 3]
    assert _ids(store, "exp", {"$search": "rent"}) == [2]
    # A phrase must sit inside one string, not across array elements or fields.
    assert _ids(store, "exp", {"$search": '"groceries weekly"'}) == []


def test_wildcard_text_index(store: EmbeddedStore) -> None:
    store.insert_many(
        "w", [{"_id": 1, "a": "red apple", "b": {"c": "green"}}, {"_id": 2, "a": "x"}]
    )
    store.create_index("w", [("$**", "text")])
    assert _ids(store, "w", {"$search": "green"}) == [1]
    assert _ids(store, "w", {"$search": "apples"}) == [1]


def test_text_with_other_conditions_and_count(store: EmbeddedStore, articles: str) -> None:
    flt = {"$text": {"$search": "coffee"}, "views": {"$gte": 10}}
    assert sorted(d["_id"] for d in store.find(articles, flt)) == [1, 7]
    assert store.count_documents(articles, flt) == 2
    out = store.aggregate(articles, [{"$match": {"$text": {"$search": "leche"}}}, {"$count": "n"}])
    assert out == [{"n": 2}]


def test_missing_text_index(store: EmbeddedStore) -> None:
    store.insert_many("plain", ARTICLES)
    with pytest.raises(OperationFailure) as info:
        store.find("plain", {"$text": {"$search": "coffee"}})
    assert info.value.code == 27
    assert "text index required" in str(info.value)


@pytest.mark.parametrize(
    ("flt", "code"),
    [
        ({"$text": "coffee"}, 2),
        ({"$text": {"$search": 5}}, 14),
        ({"$text": {"$search": "x", "$caseSensitive": "yes"}}, 14),
        ({"$text": {"$search": "x", "$foo": 1}}, 2),
        ({"$text": {"$search": "x", "$language": "klingon"}}, 17262),
        ({"$and": [{"$text": {"$search": "a"}}, {"$text": {"$search": "b"}}]}, 2),
        ({"$nor": [{"$text": {"$search": "a"}}]}, 2),
    ],
)
def test_malformed_text_queries(
    store: EmbeddedStore, articles: str, flt: dict[str, Any], code: int
) -> None:
    with pytest.raises(OperationFailure) as info:
        store.find(articles, flt)
    assert not isinstance(info.value, UnsupportedOperation)
    assert info.value.code == code


def test_text_must_be_in_the_first_stage(store: EmbeddedStore, articles: str) -> None:
    pipeline = [{"$sort": {"_id": 1}}, {"$match": {"$text": {"$search": "coffee"}}}]
    with pytest.raises(OperationFailure) as info:
        store.aggregate(articles, pipeline)
    assert info.value.code == 17313


@pytest.mark.parametrize(
    "pipeline",
    [
        [{"$match": {"$text": {"$search": "leche", "$language": "es"}}}],
        [
            {"$match": {"$text": {"$search": "coffee"}}},
            {"$sort": {"score": {"$meta": "textScore"}}},
        ],
    ],
)
def test_refused_text_features(store: EmbeddedStore, articles: str, pipeline: Any) -> None:
    with pytest.raises(UnsupportedOperation):
        store.aggregate(articles, pipeline)


def test_language_none_keeps_stop_words_and_skips_stemming(
    store: EmbeddedStore, articles: str
) -> None:
    assert _ids(store, articles, {"$search": "and", "$language": "none"}) == [7]
    assert _ids(store, articles, {"$search": "bake", "$language": "none"}) == []
