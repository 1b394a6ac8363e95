"""Aggregation pipelines compiled stage by stage onto one Polars ``LazyFrame``.

Each stage is a function ``(spec, frame, state) -> frame`` (a :data:`StageFn`) that
:func:`compile_pipeline` looks up by name in :data:`STAGES`. That table starts empty: ``catalog``
fills it from the modules that list the stages: ``stages_filter_sort`` (``$match``, ``$sort``,
``$limit``, ``$skip``), ``stages_fields`` (``$addFields``, ``$project`` …), ``group`` (``$group``,
``$count``, ``$sortByCount``), ``stages_unwind``, ``stages_facet_bucket`` (``$facet``, ``$bucket``,
``$bucketAuto``), ``stages_lookup_union`` (``$lookup``, ``$unionWith``), ``stages_fill``
(``$densify``, ``$fill``), ``stages_merge_out`` (``$merge``, ``$out``) and ``windows``
(``$setWindowFields``). Here: :func:`compile_pipeline`, the run state stages share and
:func:`sort_exprs`. The frame's schema is read before each stage, so every stage compiles against
the exact document shape the previous one produced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from dashboard.store.embedded.expressions import field_path
from dashboard.store.embedded.query import text_conditions
from dashboard.store.embedded.values import Ctx, Val
from dashboard.store.errors import OperationFailure

__all__ = ["STAGES", "Env", "RunState", "StageFn", "apply_stage", "compile_pipeline", "sort_exprs"]


class Env(Protocol):
    """What stages that reach outside the current frame need from the store."""

    def scan(self, collection: str) -> pl.LazyFrame: ...

    def write(self, collection: str, frame: pl.DataFrame, *, mode: str, on: list[str]) -> None: ...

    def text_fields(self, collection: str) -> tuple[str, ...]: ...


@dataclass
class RunState:
    """Per-run facts the stages share: the store, the source collection and ``let`` variables."""

    env: Env
    collection: str
    variables: dict[str, Val] = field(default_factory=dict)
    #: Set by ``$out``/``$merge``: the frame is written there and the pipeline returns nothing.
    writes: list[Callable[[pl.DataFrame], None]] = field(default_factory=list)

    def ctx(self, lf: pl.LazyFrame, where: str) -> Ctx:
        return Ctx(
            schema=dict(lf.collect_schema()),
            variables=dict(self.variables),
            where=where,
            text_fields=self.env.text_fields(self.collection),
            frame=lf,
        )


StageFn = Callable[[Any, pl.LazyFrame, RunState], pl.LazyFrame]

#: Every stage by name: filled by ``catalog`` from the stage modules' own ``STAGES`` lists.
STAGES: dict[str, StageFn] = {}


def compile_pipeline(
    pipeline: Sequence[Mapping[str, Any]], lf: pl.LazyFrame, state: RunState
) -> pl.LazyFrame:
    """Apply every stage of ``pipeline`` to ``lf``."""
    if not isinstance(pipeline, Sequence) or isinstance(pipeline, str | bytes):
        msg = "pipeline must be a list of stage documents"
        raise OperationFailure(msg, code=14)
    for i, spec in enumerate(pipeline):
        if not isinstance(spec, Mapping) or len(spec) != 1:
            msg = "A pipeline stage specification object must contain exactly one field."
            raise OperationFailure(msg, code=40323)
        ((name, arg),) = spec.items()
        fn = STAGES.get(name)
        if fn is None:
            if isinstance(name, str) and name.startswith("$"):
                from dashboard.store.errors import UnsupportedOperation

                raise UnsupportedOperation(f"stage {name}", where=f"pipeline stage {i}")
            msg = f"Unrecognized pipeline stage name: '{name}'"
            raise OperationFailure(msg, code=40324)
        if state.writes and i:
            msg = f"{name} cannot follow $out or $merge: they must be the last stage"
            raise OperationFailure(msg, code=40601)
        if name == "$match" and i and text_conditions(arg):
            msg = "$match with $text is only allowed as the first pipeline stage"
            raise OperationFailure(msg, code=17313)
        lf = fn(arg, lf, state)
    return lf


def apply_stage(name: str, spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Apply stage ``name`` to ``lf``: for stages that run another stage on their documents."""
    return STAGES[name](spec, lf, state)


def sort_exprs(
    spec: Mapping[str, Any], ctx: Ctx, *, nan_key: bool = False
) -> tuple[list[pl.Expr], list[bool], list[bool]]:
    """Sort keys in MongoDB's order: null and missing (equivalent), then values (reversed for -1).

    With ``nan_key`` (``$sort``) a double key gets an extra key before it that puts NaN below
    every number, and an array key one that puts ``[]`` below null; otherwise there is exactly
    one expression per key, NaN sorts above numbers and ``[]`` ties with null.

    The manual's BSON comparison order: "a sort on the a field in documents { } and { a: null }
    would treat the documents as equivalent in sort order", so a missing field sorts as null.
    """
    exprs: list[pl.Expr] = []
    descending: list[bool] = []
    nulls_last: list[bool] = []
    for path, direction in spec.items():
        if isinstance(direction, Mapping) and direction.get("$meta") == "textScore":
            raise ctx.unsupported("$sort by {$meta: 'textScore'}")
        if direction not in (1, -1):
            msg = f"$sort key ordering must be 1 (for ascending) or -1 (for descending), got {direction!r}"
            raise OperationFailure(msg, code=15975)
        val = field_path(path, ctx)
        desc = direction == -1
        key = val.expr
        if isinstance(val.dtype, pl.List):
            if nan_key:
                # BSON order: an empty array sorts below null and missing ([] < null), both of
                # which the element key below leaves null.
                kind = pl.when(key.list.len() == 0).then(0).when(key.is_null()).then(1)
                exprs.append(kind.otherwise(2))
                descending.append(desc)
                nulls_last.append(desc)
            key = key.list.max() if desc else key.list.min()
            inner = val.dtype.inner
        else:
            inner = val.dtype
        if nan_key and inner.is_float():
            # BSON order: null < NaN < every other number (Polars sorts NaN last): first a key
            # that puts NaN before the numbers, then the numbers with NaN as a tie.
            exprs.append(key.is_nan().not_())
            descending.append(desc)
            nulls_last.append(desc)
            key = key.fill_nan(None)
        exprs.append(key)
        descending.append(desc)
        nulls_last.append(desc)
    return exprs, descending, nulls_last
