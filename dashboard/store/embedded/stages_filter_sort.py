"""``$match``, ``$sort``, ``$limit`` and ``$skip``: the stages that select and order documents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.pipeline import RunState, StageFn, sort_exprs
from dashboard.store.embedded.query import compile_filter
from dashboard.store.embedded.runtime_errors import TOKEN_PREFIX
from dashboard.store.errors import OperationFailure

__all__ = ["STAGES"]


def _match(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    ctx = state.ctx(lf, "$match")
    predicate = compile_filter(spec, ctx)
    if _RUNTIME_CHECK in str(predicate) and predicate.meta.root_names():
        # A run-time error check must see only the documents that reach this stage: Polars merges
        # consecutive filters into one and would evaluate the check on rows an earlier one
        # removed. A filter on a column computed after the earlier filter cannot be merged into
        # it. (Not a Python callback as a fence: one inside a Polars query can deadlock on the
        # GIL against another thread converting a frame.) A predicate that reads no column is a
        # constant, which a filter broadcasts and a computed column cannot.
        lf = lf.with_columns(predicate.alias(_MATCHED)).filter(pl.col(_MATCHED))
        return lf.drop(_MATCHED)
    return lf.filter(predicate)


#: How a run-time check (``runtime_errors``) shows in a Polars expression.
_RUNTIME_CHECK = TOKEN_PREFIX
#: The hidden column a checked ``$match`` computes its predicate into.
_MATCHED = "$p:__engine:matched"


def _sort(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    if not isinstance(spec, Mapping) or not spec:
        msg = "$sort stage must have at least one sort key"
        raise OperationFailure(msg, code=15976)
    exprs, descending, nulls_last = sort_exprs(spec, state.ctx(lf, "$sort"), nan_key=True)
    return lf.sort(exprs, descending=descending, nulls_last=nulls_last, maintain_order=True)


def _non_negative(name: str, value: Any, *, positive: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        msg = f"invalid argument to {name} stage: Expected an integer: {name}: {value!r}"
        raise OperationFailure(msg, code=15958)
    if value < 0 or (positive and value == 0):
        msg = f"invalid argument to {name} stage: the number must be {'positive' if positive else 'non-negative'}"
        raise OperationFailure(msg, code=15958)
    return int(value)


def _limit(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    return lf.head(_non_negative("$limit", spec, positive=True))


def _skip(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    return lf.slice(_non_negative("$skip", spec, positive=False))


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$match": _match,
    "$sort": _sort,
    "$limit": _limit,
    "$skip": _skip,
}
