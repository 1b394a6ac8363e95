"""Sub-pipelines: what the stages that run a pipeline of their own share (``$facet``, ``$lookup``,
``$unionWith``).

A sub-pipeline gets its own :class:`~.pipeline.RunState` (same store and variables, its own
writes), is checked for the stages its owner forbids, and its documents can be gathered into one
array field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from dashboard.store.embedded.codec import user_columns
from dashboard.store.embedded.pipeline import RunState
from dashboard.store.embedded.runtime_errors import refuse_where, with_checks
from dashboard.store.embedded.values import Val
from dashboard.store.errors import OperationFailure

__all__ = ["documents_array", "sub_pipeline", "sub_state"]


def sub_state(state: RunState, variables: Mapping[str, Val] | None = None) -> RunState:
    """A run state for a sub-pipeline: same store and variables, its own (empty) write list."""
    return RunState(
        env=state.env,
        collection=state.collection,
        variables={**state.variables, **(variables or {})},
    )


def sub_pipeline(
    pipeline: Any, *, owner: str, forbidden: Sequence[str], code: int
) -> list[Mapping[str, Any]]:
    """Validate a nested pipeline: a list of stage documents without the ``forbidden`` stages."""
    if not isinstance(pipeline, list | tuple):
        msg = f"{owner} pipeline must be an array of stage documents"
        raise OperationFailure(msg, code=14)
    for spec in pipeline:
        if not isinstance(spec, Mapping):
            msg = f"{owner} pipeline must be an array of stage documents"
            raise OperationFailure(msg, code=14)
        for name in spec:
            if name in forbidden:
                msg = f"{name} is not allowed to be used within a {owner} stage"
                raise OperationFailure(msg, code=code)
    return list(pipeline)


def documents_array(lf: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """One row holding every document of ``lf`` as an array (a List of Structs) in column ``name``.

    Inside the array a missing field reads as null (the codec's documented limit for nested values).
    """
    cols = user_columns(lf.collect_schema())
    if not cols:
        what = "arrays of documents that have no field (empty documents)"
        count = with_checks(pl.len(), refuse_where(pl.len() > 0, what, fold=True)).alias("__n")
        empty = pl.lit([], dtype=pl.List(pl.Null))
        return lf.select(count).select(pl.when(pl.col("__n") == 0).then(empty).alias(name))
    return lf.select(pl.struct(cols).implode().alias(name))
