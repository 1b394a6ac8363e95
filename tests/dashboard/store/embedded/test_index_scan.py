"""Index-sliced scans return exactly what a full scan returns.

A collection's frame is sorted by its first secondary index and a pipeline's first ``$match`` reads
only the slice its conditions on those keys allow. The slice is an optimisation, so the reference
here is the same engine without any index (a full scan): for random documents (including null and
missing keys) and random conditions, both must return the same documents.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.store import connect
from dashboard.store.embedded import index_scan

USERS = [ObjectId(f"65a0000000000000000000{i:02x}") for i in range(1, 6)]
DATES = [dt.datetime(2024, m, d, tzinfo=dt.UTC) for m in (1, 6, 12) for d in (1, 15)]
NAMES = ["ann", "bob", "cy", "Dee"]
MISSING = object()

docs_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "userId": st.sampled_from([*USERS, None, MISSING]),
            "date": st.sampled_from([*DATES, None, MISSING]),
            "name": st.sampled_from([*NAMES, None, MISSING]),
            "amount": st.integers(-5, 5),
        }
    ),
    min_size=1,
    max_size=40,
)


def _condition(field: str, values: list[Any]) -> st.SearchStrategy[Any]:
    one = st.sampled_from(values)
    ops = st.sampled_from(["$eq", "$gt", "$gte", "$lt", "$lte"])
    return st.one_of(
        one,
        st.builds(lambda op, v: {op: v}, ops, one),
        st.builds(lambda a, b: {"$gte": a, "$lt": b}, one, one),
        st.builds(lambda vs: {"$in": vs}, st.lists(one, max_size=3)),
        st.just({"$ne": values[0]}),
        st.just(None),
    )


VALUES: dict[str, list[Any]] = {"userId": USERS, "date": DATES, "name": NAMES, "amount": [-2, 0, 3]}


#: A ``$type`` each field's values have, and one they do not: conditions no slice can use.
TYPES = {"userId": "objectId", "date": "date", "name": "string", "amount": "int"}


def _query(conditions: dict[str, Any], extra: dict[str, Any], wrap: bool) -> dict[str, Any]:
    """``conditions`` at top level (or each in ``$and`` with ``wrap``), and ``extra`` conditions on
    the same fields in ``$and``: a query's own period inside a validity rule's wider range."""
    query = {k: v for k, v in conditions.items() if v is not MISSING}
    base = {"$and": [{k: v} for k, v in query.items()]} if wrap and query else query
    more = [{k: v} for k, v in extra.items() if v is not MISSING]
    if more:
        base = {**base, "$and": [*base.get("$and", []), *more]}
    return base


def queries(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Conditions on the index's keys (usually present) and other fields (usually absent)."""

    def maybe(field: str) -> st.SearchStrategy[Any]:
        absent = [st.just(MISSING)] * (1 if field in keys else 3)
        return st.one_of(*absent, _condition(field, VALUES[field]))

    def extra(field: str) -> st.SearchStrategy[Any]:
        kind = TYPES[field]
        unusable = st.sampled_from(
            [{"$type": kind}, {"$type": "string" if kind != "string" else "date"},
             {"$not": {"$type": "array"}}, {"$type": kind, "$not": {"$type": "array"}}]
        )  # fmt: skip
        mixed = st.builds(lambda c, u: {**c, **u} if isinstance(c, dict) else u,
                          _condition(field, VALUES[field]), unusable)  # fmt: skip
        return st.one_of(st.just(MISSING), st.just(MISSING), unusable, mixed,
                         _condition(field, VALUES[field]))  # fmt: skip

    return st.builds(
        _query,
        st.fixed_dictionaries({f: maybe(f) for f in VALUES}),
        st.fixed_dictionaries({f: extra(f) for f in VALUES}),
        st.booleans(),
    )


INDEXES = [
    [("userId", 1), ("date", -1)],
    [("date", -1), ("userId", 1)],
    [("name", 1), ("amount", -1)],
    [("amount", -1), ("name", 1)],
]


@pytest.mark.parametrize("narrow", [False, True], ids=["first-key", "two-keys"])
@pytest.mark.parametrize("index", INDEXES, ids=lambda ix: "_".join(f"{f}{d}" for f, d in ix))
def test_sliced_scan_equals_full_scan(
    index: list[tuple[str, int]], narrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if narrow:  # narrow by the second key however short the first key's slice is
        monkeypatch.setattr(index_scan, "NARROW_MIN_ROWS", 0)

    @settings(max_examples=150, deadline=None)
    @given(docs=docs_strategy, query=queries([f for f, _ in index]))
    def check(docs: list[dict[str, Any]], query: dict[str, Any]) -> None:
        documents = [
            {"_id": i, **{k: v for k, v in d.items() if v is not MISSING}}
            for i, d in enumerate(docs)
        ]
        pipeline = [{"$match": query}, {"$sort": {"_id": 1}}]
        with connect("memory://") as plain, connect("memory://") as indexed:
            indexed.create_index("c", index)
            plain.insert_many("c", documents)
            indexed.insert_many("c", documents)
            assert indexed.aggregate("c", pipeline) == plain.aggregate("c", pipeline)
            assert indexed.count_documents("c", query) == plain.count_documents("c", query)

    check()


OPS = ["$eq", "$gt", "$gte", "$lt", "$lte"]


def _exhaustive_queries(first: str, second: str) -> list[dict[str, Any]]:
    """Every single-key operator and value, and equality on the first key with each second-key one."""
    out: list[dict[str, Any]] = []
    for field in (first, second):
        for v in VALUES[field]:
            out += [{field: {op: v}} for op in OPS]
            out.append({field: {"$in": [v, VALUES[field][-1]]}})
    for v1 in VALUES[first]:
        for v2 in VALUES[second]:
            out += [{first: v1, second: {op: v2}} for op in OPS]
            out.append({"$and": [{first: v1}, {second: {"$gte": v2, "$lt": VALUES[second][-1]}}]})
    return out


@pytest.mark.parametrize("narrow", [False, True], ids=["first-key", "two-keys"])
@pytest.mark.parametrize("index", INDEXES, ids=lambda ix: "_".join(f"{f}{d}" for f, d in ix))
def test_every_operator_on_the_index_keys(
    index: list[tuple[str, int]], narrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if narrow:
        monkeypatch.setattr(index_scan, "NARROW_MIN_ROWS", 0)
    (first, _), (second, _) = index
    documents: list[dict[str, Any]] = []
    for i, v1 in enumerate([*VALUES[first], None, MISSING]):
        for j, v2 in enumerate([*VALUES[second], None, MISSING]):
            doc = {"_id": i * 100 + j, first: v1, second: v2}
            documents.append({k: v for k, v in doc.items() if v is not MISSING})
    with connect("memory://") as plain, connect("memory://") as indexed:
        indexed.create_index("c", index)
        plain.insert_many("c", documents)
        indexed.insert_many("c", documents)
        for query in _exhaustive_queries(first, second):
            pipeline = [{"$match": query}, {"$sort": {"_id": 1}}]
            want = plain.aggregate("c", pipeline)
            assert indexed.aggregate("c", pipeline) == want, query


def test_the_tightest_bounds_are_kept_and_unusable_operators_skipped() -> None:
    may, june = dt.datetime(2026, 5, 1, tzinfo=dt.UTC), dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    rule = {"$type": "date", "$gte": dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            "$lt": dt.datetime(2100, 1, 1, tzinfo=dt.UTC), "$not": {"$type": "array"}}  # fmt: skip
    query = {
        "userId": USERS[0],
        "date": {"$gte": may, "$lt": june},
        "$and": [{"userId": {"$type": "objectId"}}, {"date": rule}],
    }
    assert index_scan._key_bounds(query, "userId", pl.Binary) is not None
    bounds = index_scan._key_bounds(query, "date", pl.Datetime("ms", "UTC"))
    assert bounds is not None
    assert set(bounds) == {"gte", "lt"}
    assert (bounds["gte"].year, bounds["gte"].month) == (2026, 5)
    assert (bounds["lt"].year, bounds["lt"].month) == (2026, 6)
    assert index_scan._key_bounds({"date": {"$type": "date"}}, "date", pl.Datetime("ms")) is None


_KS = [-3, -2, -1, 0, 1, 2, 3, 2**63 - 1]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"k": {"$lt": 2.5}}, [-3, -2, -1, 0, 1, 2]),
        ({"k": {"$lte": 2.5}}, [-3, -2, -1, 0, 1, 2]),
        ({"k": {"$gt": -2.5}}, [-2, -1, 0, 1, 2, 3, 2**63 - 1]),
        ({"k": {"$gte": -2.5}}, [-2, -1, 0, 1, 2, 3, 2**63 - 1]),
        ({"k": {"$gt": 9.3e18}}, []),
        ({"k": {"$lt": -9.3e18}}, []),
        ({"k": {"$gt": -9.3e18, "$lt": 0.5}}, [-3, -2, -1, 0]),
        ({"k": 2.0}, [2]),
        ({"k": 2.5}, []),
        ({"k": {"$in": [1.5, 2.0, 3]}}, [2, 3]),
        ({"k": {"$gte": float("nan")}}, []),
        ({"k": {"$lt": float("inf")}}, _KS),
    ],
)
def test_double_bounds_on_an_integer_index_select_what_a_full_scan_does(
    flt: dict[str, Any], expected: list[int]
) -> None:
    # Manual, Comparison Query Operators: numbers compare by value across int, long and double
    # ("Comparison/Sort Order": numeric types are one type), so {$lt: 2.5} includes 2, and a bound
    # past the range of long still compares. NaN compares greater than nothing numeric.
    with connect("memory://") as store:
        store.create_index("indexed", [("k", 1)])
        docs = [{"_id": i, "k": k} for i, k in enumerate(_KS)]
        store.insert_many("indexed", docs)
        store.insert_many("plain", docs)
        assert sorted(d["k"] for d in store.find("indexed", flt)) == expected
        assert sorted(d["k"] for d in store.find("plain", flt)) == expected
