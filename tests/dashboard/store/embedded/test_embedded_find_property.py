"""Property: ``find`` returns exactly the documents a plain-Python reference matcher selects.

The reference below is written from the MongoDB manual's query semantics (implicit equality, the
comparison operators, ``$in``/``$nin``, ``$exists``, ``$ne``, ``$and``/``$or``, null matching null and
missing, type bracketing, array fields matching by element or whole). Documents keep one type per
field, as the engine stores them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from itertools import count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.store.embedded import EmbeddedStore

_MISSING = object()
_names = count()

# -- the reference matcher ----------------------------------------------------------------------


def _bracket(value: Any) -> str | None:
    """The BSON comparison bracket of a scalar (numbers together, strings together)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def _equals(value: Any, wanted: Any) -> bool:
    if wanted is None:
        return value is _MISSING or value is None or (isinstance(value, list) and None in value)
    if value is _MISSING or value is None:
        return False
    if isinstance(value, list):
        if isinstance(wanted, list):
            return value == wanted
        return any(_scalar_equals(v, wanted) for v in value)
    return _scalar_equals(value, wanted)


def _scalar_equals(value: Any, wanted: Any) -> bool:
    return _bracket(value) is not None and _bracket(value) == _bracket(wanted) and value == wanted


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$gt": operator.gt,
    "$gte": operator.ge,
    "$lt": operator.lt,
    "$lte": operator.le,
}


def _compare(op: str, value: Any, bound: Any) -> bool:
    if bound is None:
        return op in ("$gte", "$lte") and _equals(value, None)
    if value is _MISSING or value is None:
        return False
    candidates = value if isinstance(value, list) else [value]
    return any(
        _bracket(c) is not None and _bracket(c) == _bracket(bound) and _COMPARE[op](c, bound)
        for c in candidates
    )


def _condition(value: Any, cond: Any) -> bool:
    if not (isinstance(cond, dict) and cond and next(iter(cond)).startswith("$")):
        return _equals(value, cond)
    results = []
    for op, arg in cond.items():
        if op == "$eq":
            results.append(_equals(value, arg))
        elif op == "$ne":
            results.append(not _equals(value, arg))
        elif op in _COMPARE:
            results.append(_compare(op, value, arg))
        elif op == "$in":
            results.append(any(_equals(value, x) for x in arg))
        elif op == "$nin":
            results.append(not any(_equals(value, x) for x in arg))
        elif op == "$exists":
            results.append((value is not _MISSING) == bool(arg))
        else:  # pragma: no cover - the strategies only generate the operators above
            raise AssertionError(op)
    return all(results)


def reference_match(doc: dict[str, Any], query: dict[str, Any]) -> bool:
    """Whether ``doc`` satisfies ``query``, by the manual's rules."""
    for key, cond in query.items():
        if key == "$and":
            ok = all(reference_match(doc, q) for q in cond)
        elif key == "$or":
            ok = any(reference_match(doc, q) for q in cond)
        else:
            ok = _condition(doc.get(key, _MISSING), cond)
        if not ok:
            return False
    return True


# -- strategies -----------------------------------------------------------------------------------

_ints = st.integers(min_value=-5, max_value=5)
_floats = st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False).map(
    lambda x: round(x, 1)
)
_strings = st.text(alphabet="abcAB é", min_size=0, max_size=3)
_tags = st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3)

_FIELD_VALUES = {"i": _ints, "f": _floats, "s": _strings, "t": _tags}


def _field(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(_MISSING), st.none(), values)


@st.composite
def documents(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=1, max_value=25))
    docs = []
    for i in range(n):
        doc: dict[str, Any] = {"_id": i}
        for name, values in _FIELD_VALUES.items():
            value = draw(_field(values))
            if value is not _MISSING:
                doc[name] = value
        docs.append(doc)
    return docs


def _operand(field: str) -> st.SearchStrategy[Any]:
    """A query value: usually the field's own type, sometimes another type or null."""
    own = {"i": st.one_of(_ints, _floats), "f": st.one_of(_floats, _ints), "s": _strings}
    scalar = own.get(field, st.sampled_from(["a", "b", "c", "d", "e"]))
    return st.one_of(scalar, scalar, scalar, st.none(), _ints, _strings)


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(list(_FIELD_VALUES)))
    kind = draw(
        st.sampled_from(
            [
                "implicit",
                "$eq",
                "$ne",
                "$gt",
                "$gte",
                "$lt",
                "$lte",
                "$in",
                "$nin",
                "$exists",
                "range",
            ]
        )
    )
    if kind in ("implicit", "$eq", "$ne") and field == "t" and draw(st.booleans()):
        value: Any = draw(_tags)
    else:
        value = draw(_operand(field))
    if kind == "implicit":
        return {field: value}
    if kind in ("$in", "$nin"):
        return {field: {kind: draw(st.lists(_operand(field), max_size=4))}}
    if kind == "$exists":
        return {field: {"$exists": draw(st.booleans())}}
    if kind == "range":
        return {field: {"$gte": value, "$lt": draw(_operand(field))}}
    return {field: {kind: value}}


queries = st.recursive(
    conditions(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda qs: {"$and": qs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda qs: {"$or": qs}),
        st.tuples(inner, inner).map(lambda pair: {**pair[0], **pair[1]}),
    ),
    max_leaves=5,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(docs=documents(), query=queries)
def test_find_matches_reference(
    store: EmbeddedStore, docs: list[dict[str, Any]], query: dict[str, Any]
) -> None:
    name = f"prop{next(_names)}"
    store.insert_many(name, docs)
    got = sorted(d["_id"] for d in store.find(name, query))
    expected = sorted(d["_id"] for d in docs if reference_match(d, query))
    assert got == expected, query


def test_reference_matcher_sanity() -> None:
    """The reference itself follows the manual on a few hand-checked cases."""
    assert reference_match({}, {"a": None})
    assert reference_match({"a": None}, {"a": None})
    assert not reference_match({"a": 1}, {"a": {"$gt": "0"}})
    assert reference_match({"t": ["a", "b"]}, {"t": "a"})
    assert reference_match({"t": ["a", "b"]}, {"t": ["a", "b"]})
    assert not reference_match({"t": ["a", "b"]}, {"t": ["b", "a"]})
    assert reference_match({}, {"a": {"$nin": [1]}})
    assert reference_match({"a": 2}, {"a": {"$in": [2.0]}})
