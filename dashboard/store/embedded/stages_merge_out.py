"""``$out`` and ``$merge``: the stages that write a pipeline's results into a collection.

Both must be the last stage. They add a write to the run state: the store collects the result, then
writes it (see :mod:`.writes`), and the pipeline returns no documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from dashboard.store.embedded.pipeline import RunState, StageFn
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = ["STAGES"]

FAILED_TO_PARSE = 9


def _target(spec: Any, state: RunState, stage_name: str) -> str:
    """The collection a ``$out``/``$merge`` writes to (``"name"`` or ``{db, coll}``)."""
    if isinstance(spec, str) and spec:
        return spec
    if isinstance(spec, Mapping) and isinstance(spec.get("coll"), str) and spec["coll"]:
        db = spec.get("db")
        if db is not None and db != getattr(state.env, "db_name", db):
            raise UnsupportedOperation(f"{stage_name} into another database ({db})")
        return str(spec["coll"])
    msg = f"{stage_name} requires a collection name: a string or {{db: <db>, coll: <coll>}}"
    raise OperationFailure(msg, code=FAILED_TO_PARSE)


def _out(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Replace the target collection with the results (its indexes are kept); return nothing."""
    target = _target(spec, state, "$out")
    env = state.env
    state.writes.append(lambda frame: env.write(target, frame, mode="out", on=["_id"]))
    return lf


_WHEN_MATCHED = ("replace", "keepExisting", "merge", "fail")
_WHEN_NOT_MATCHED = ("insert", "discard", "fail")


def _merge(spec: Any, lf: pl.LazyFrame, state: RunState) -> pl.LazyFrame:
    """Merge the results into a collection by the ``on`` fields (see :mod:`.writes`)."""
    if isinstance(spec, str):
        spec = {"into": spec}
    if not isinstance(spec, Mapping) or "into" not in spec:
        msg = "BSON field '$merge.into' is missing but a required field"
        raise OperationFailure(msg, code=40414)
    for key in spec:
        if key not in ("into", "on", "let", "whenMatched", "whenNotMatched"):
            msg = f"BSON field '$merge.{key}' is an unknown field."
            raise OperationFailure(msg, code=40415)
    target = _target(spec["into"], state, "$merge")
    on_spec = spec.get("on", "_id")
    on = [on_spec] if isinstance(on_spec, str) else on_spec
    if not isinstance(on, list | tuple) or not on or not all(isinstance(f, str) and f for f in on):
        msg = "BSON field '$merge.on' must be a string or a non-empty array of strings"
        raise OperationFailure(msg, code=51186)
    if len(set(on)) != len(on):
        msg = "Found a duplicate field in the $merge 'on' field list"
        raise OperationFailure(msg, code=51188)
    matched = spec.get("whenMatched", "merge")
    not_matched = spec.get("whenNotMatched", "insert")
    if isinstance(matched, list | tuple):
        raise UnsupportedOperation("$merge with a whenMatched pipeline")
    if "let" in spec:
        raise UnsupportedOperation("$merge with let variables")
    if matched not in _WHEN_MATCHED:
        msg = f"Enumeration value '{matched}' for field '$merge.whenMatched' is not a valid value."
        raise OperationFailure(msg, code=2)
    if not_matched not in _WHEN_NOT_MATCHED:
        msg = (
            f"Enumeration value '{not_matched}' for field '$merge.whenNotMatched' is not a valid "
            "value."
        )
        raise OperationFailure(msg, code=2)
    mode = f"merge:{matched}:{not_matched}"
    env, fields = state.env, list(on)
    state.writes.append(lambda frame: env.write(target, frame, mode=mode, on=fields))
    return lf


#: The stages this module provides, by name: ``catalog`` files them in ``pipeline.STAGES``.
STAGES: dict[str, StageFn] = {
    "$out": _out,
    "$merge": _merge,
}
