"""The MongoDB compatibility gate: what the app sends must run on the oldest MongoDB we support.

No MongoDB server runs on our machines, so the production path is guarded by reading what the app
sends. While the test suite runs, :class:`Recorder` keeps every distinct pipeline, filter and update
the app gives a store (pages, reports, rollups, jobs, CLI). At the end of the run
:func:`violations` checks each against:

- :data:`INTRODUCED`: the MongoDB server version that introduced each operator, stage, accumulator,
  window function and update operator (from the manual's "New in version" notes). Anything newer
  than :data:`MINIMUM` (the minimum documented in ``docs/embedded-engine.md`` and the README) fails, and so does any
  operator missing from the table: a new one must be looked up and added, never waved through;
- :func:`refusals`: what a real server refuses even with known operators (a ``$out``/``$merge``
  that is not the last stage, ``$out`` inside ``$facet`` or ``$lookup``, a ``$text`` match that is
  not first, ``let`` variables used without being defined or named against the rules, options a
  pipeline stage does not take).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "INTRODUCED",
    "MINIMUM",
    "Recorder",
    "Sent",
    "newest",
    "operators",
    "refusals",
    "violations",
]

#: The oldest MongoDB server the app supports (README, ``docs/embedded-engine.md``).
MINIMUM = (7, 0)

_OLD = (3, 6)  # in every server since before 4.0: no version note in today's manual
_V = {
    "4.0": (4, 0), "4.2": (4, 2), "4.4": (4, 4), "5.0": (5, 0), "5.1": (5, 1), "5.2": (5, 2),
    "5.3": (5, 3), "6.0": (6, 0), "6.1": (6, 1), "6.3": (6, 3), "7.0": (7, 0), "7.1": (7, 1),
    "8.0": (8, 0), "8.1": (8, 1), "8.2": (8, 2),
}  # fmt: skip


def _table(kind: str, spec: str) -> dict[tuple[str, str], tuple[int, int]]:
    """``"4.2: $merge $set; 5.0: $dateTrunc"`` → {(kind, "$merge"): (4, 2), …}; ``old:`` = _OLD."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for part in spec.split(";"):
        version, _, names = part.strip().partition(":")
        for name in names.split():
            out[(kind, name)] = _OLD if version == "old" else _V[version]
    return out


#: (kind, name) → the server version that introduced it, from the MongoDB manual's reference pages
#: ("New in version X" on each operator's page; Aggregation Pipeline Stages, Expression Operators,
#: Accumulators, Window Operators, Query and Projection Operators, Update Operators).
INTRODUCED: dict[tuple[str, str], tuple[int, int]] = {
    **_table(
        "stage",
        "old: $match $project $group $sort $limit $skip $unwind $lookup $count $facet $bucket"
        " $bucketAuto $sortByCount $addFields $replaceRoot $out $sample $graphLookup $geoNear"
        " $redact $indexStats $collStats $currentOp $listSessions;"
        " 4.2: $merge $replaceWith $set $unset; 4.4: $unionWith; 5.0: $setWindowFields;"
        " 5.1: $densify $documents; 5.3: $fill; 6.0: $shardedDataDistribution;"
        " 7.0: $changeStreamSplitLargeEvent; 7.1: $queryStats; 8.1: $rankFusion;"
        " 8.2: $scoreFusion $score",
    ),
    **_table(
        "expression",
        "old: $abs $add $allElementsTrue $and $anyElementTrue $arrayElemAt $arrayToObject $ceil"
        " $cmp $concat $concatArrays $cond $convert $dateFromParts $dateFromString $dateToParts"
        " $dateToString $dayOfMonth $dayOfWeek $dayOfYear $divide $eq $exp $filter $floor $gt $gte"
        " $hour $ifNull $in $indexOfArray $indexOfBytes $indexOfCP $isArray $isoDayOfWeek $isoWeek"
        " $isoWeekYear $let $literal $ln $log $log10 $lt $lte $ltrim $map $max $mergeObjects $meta"
        " $millisecond $min $minute $mod $month $multiply $ne $not $objectToArray $or $pow $range"
        " $reduce $reverseArray $rtrim $second $setDifference $setEquals $setIntersection"
        " $setIsSubset $setUnion $size $slice $split $sqrt $strLenBytes $strLenCP $strcasecmp"
        " $substr $substrBytes $substrCP $subtract $switch $toBool $toDate $toDecimal $toDouble"
        " $toInt $toLong $toLower $toObjectId $toString $toUpper $trim $trunc $type $week $year"
        " $zip $sum $avg $stdDevPop $stdDevSamp $sin $cos $tan $asin $acos $atan $atan2 $asinh"
        " $acosh $atanh $sinh $cosh $tanh $degreesToRadians $radiansToDegrees;"
        " 4.2: $regexFind $regexFindAll $regexMatch $round;"
        " 4.4: $first $last $isNumber $replaceOne $replaceAll $binarySize $bsonSize $function"
        " $accumulator;"
        " 4.4: $rand $sampleRate;"
        " 5.0: $dateAdd $dateDiff $dateSubtract $dateTrunc $getField $setField $unsetField;"
        " 5.1: $tsIncrement $tsSecond;"
        " 5.2: $firstN $lastN $maxN $minN $sortArray;"
        " 6.3: $bitAnd $bitOr $bitXor $bitNot;"
        " 7.0: $median $percentile;"
        " 8.0: $toUUID",
    ),
    **_table(
        "accumulator",
        "old: $sum $avg $min $max $first $last $push $addToSet $stdDevPop $stdDevSamp"
        " $mergeObjects; 4.4: $accumulator; 5.0: $count;"
        " 5.2: $top $bottom $topN $bottomN $firstN $lastN $minN $maxN; 7.0: $median $percentile",
    ),
    **_table(
        "window",
        "5.0: $sum $avg $min $max $first $last $push $addToSet $stdDevPop $stdDevSamp $count"
        " $covariancePop $covarianceSamp $derivative $integral $expMovingAvg $rank $denseRank"
        " $documentNumber $shift; 5.2: $locf $top $bottom $topN $bottomN $firstN $lastN $minN"
        " $maxN; 5.3: $linearFill; 7.0: $median $percentile",
    ),
    **_table(
        "query",
        "old: $eq $ne $gt $gte $lt $lte $in $nin $and $or $nor $not $exists $type $regex"
        " $options $text $search $language $caseSensitive $diacriticSensitive $mod $where $all"
        " $elemMatch $size $comment $bitsAllClear $bitsAllSet $bitsAnyClear $bitsAnySet"
        " $geoWithin $geoIntersects $near $nearSphere $jsonSchema $expr",
    ),
    **_table(
        "update",
        "old: $set $unset $inc $mul $rename $min $max $currentDate $setOnInsert $push $pull"
        " $pullAll $addToSet $pop $bit $each $slice $sort $position",
    ),
}

_ACCUMULATOR_STAGES = {"$group", "$bucket", "$bucketAuto"}
_LAST_ONLY = {"$out", "$merge"}
_VARIABLE = re.compile(r"^\$\$([A-Za-z_][A-Za-z0-9_]*)")
_SYSTEM_VARIABLES = {"ROOT", "CURRENT", "REMOVE", "NOW", "CLUSTER_TIME", "DESCEND", "PRUNE"}
_SYSTEM_VARIABLES |= {"KEEP", "SEARCH_META", "USER_ROLES"}
#: Expression operators whose argument document binds variables: operator → (its `as` default).
_BINDERS = {"$filter": "this", "$map": "this", "$reduce": None, "$let": None}


@dataclass(frozen=True)
class Sent:
    """One distinct thing the app sent: ``kind`` is aggregate, find, count, update or delete."""

    kind: str
    collection: str
    payload: Any  # the pipeline, filter, or (filter, update)

    def describe(self) -> str:
        text = json.dumps(self.payload, default=str, sort_keys=True)
        return f"{self.kind} on {self.collection}: {text[:300]}"


@dataclass
class Recorder:
    """Every distinct pipeline, filter and update sent during a run (deduplicated by content)."""

    sent: dict[str, Sent] = field(default_factory=dict)

    def add(self, kind: str, collection: str, payload: Any) -> None:
        key = f"{kind}|{collection}|{json.dumps(payload, default=repr, sort_keys=True)}"
        if key not in self.sent:
            self.sent[key] = Sent(kind, collection, _plain(payload))


def _plain(value: Any) -> Any:
    """A copy made of dicts and lists only, so later changes by the caller do not leak in."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- walking what was sent ------------------------------------------------------------------------


def operators(sent: Sent) -> Iterator[tuple[str, str]]:
    """Every (kind, ``$name``) that ``sent`` uses, kinds as in :data:`INTRODUCED`."""
    if sent.kind == "aggregate":
        yield from _pipeline(sent.payload)
    elif sent.kind == "update":
        query, update = sent.payload
        yield from _query(query)
        if isinstance(update, list):  # pipeline-style update
            yield from _pipeline(update)
        else:
            for name, fields in update.items():
                yield ("update", name)
                if name == "$push" and isinstance(fields, Mapping):
                    for value in fields.values():
                        if isinstance(value, Mapping):
                            yield from (("update", k) for k in value if k.startswith("$"))
    else:
        yield from _query(sent.payload)


def _pipeline(pipeline: Sequence[Any]) -> Iterator[tuple[str, str]]:
    for stage in pipeline:
        (name, spec), *_ = stage.items()
        yield ("stage", name)
        yield from _stage(name, spec)


def _stage(name: str, spec: Any) -> Iterator[tuple[str, str]]:
    if name == "$match":
        yield from _query(spec)
    elif name in ("$project", "$addFields", "$set"):
        yield from _projection(spec)
    elif name in ("$replaceRoot",):
        yield from _expr(spec.get("newRoot"))
    elif name in ("$replaceWith", "$sortByCount"):
        yield from _expr(spec)
    elif name in _ACCUMULATOR_STAGES:
        yield from _expr(spec.get("_id", spec.get("groupBy")))
        fields = spec if name == "$group" else spec.get("output", {})
        for key, acc in fields.items():
            if key in ("_id", "groupBy", "boundaries", "default", "buckets", "granularity"):
                continue
            (acc_name, args), *_ = acc.items()
            yield ("accumulator", acc_name)
            yield from _expr(args)
    elif name == "$setWindowFields":
        yield from _expr(spec.get("partitionBy"))
        for out in spec.get("output", {}).values():
            for key, args in out.items():
                if key != "window":
                    yield ("window", key)
                    yield from _expr(args)
    elif name == "$lookup":
        yield from _expr(spec.get("let"))
        yield from _pipeline(spec.get("pipeline", []))
    elif name == "$unionWith":
        yield from _pipeline(spec.get("pipeline", []) if isinstance(spec, Mapping) else [])
    elif name == "$facet":
        for sub in spec.values():
            yield from _pipeline(sub)
    elif name == "$fill":
        for out in spec.get("output", {}).values():
            yield from _expr(out.get("value"))
    elif name == "$merge" and isinstance(spec, Mapping):
        matched = spec.get("whenMatched")
        if isinstance(matched, list):
            yield from _pipeline(matched)


def _projection(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for value in spec.values():
        if isinstance(value, Mapping) and not any(str(k).startswith("$") for k in value):
            yield from _projection(value)
        elif not isinstance(value, bool | int):
            yield from _expr(value)


def _expr(value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, list):
        for item in value:
            yield from _expr(item)
    elif isinstance(value, Mapping):
        if len(value) == 1 and str(next(iter(value))).startswith("$"):
            (name, args), *_ = value.items()
            yield ("expression", name)
            if name != "$literal":
                yield from _expr(args)
        else:
            for item in value.values():
                yield from _expr(item)


def _query(flt: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(flt, Mapping):
        return
    for key, cond in flt.items():
        if key in ("$and", "$or", "$nor"):
            yield ("query", key)
            for sub in cond:
                yield from _query(sub)
        elif key == "$expr":
            yield ("query", key)
            yield from _expr(cond)
        elif key.startswith("$"):
            yield ("query", key)
            if key == "$text":
                yield from (("query", k) for k in cond)
        elif isinstance(cond, Mapping) and any(str(k).startswith("$") for k in cond):
            yield from _condition(cond)


def _condition(cond: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for op, arg in cond.items():
        yield ("query", op)
        if op == "$elemMatch":
            yield from _query(arg)
            if isinstance(arg, Mapping) and any(str(k).startswith("$") for k in arg):
                yield from _condition({k: v for k, v in arg.items() if k.startswith("$")})
        elif op == "$not" and isinstance(arg, Mapping):
            yield from _condition(arg)


# -- what a server refuses ------------------------------------------------------------------------


def refusals(sent: Sent) -> Iterator[str]:
    """Why a real server would refuse ``sent`` with operators it knows (nothing if it would not)."""
    if sent.kind != "aggregate":
        return
    yield from _pipeline_refusals(sent.payload, top=True, bound=frozenset())


def _pipeline_refusals(
    pipeline: Sequence[Any], *, top: bool, bound: frozenset[str]
) -> Iterator[str]:
    for i, stage in enumerate(pipeline):
        if not isinstance(stage, Mapping) or len(stage) != 1:
            yield f"stage {i}: a stage is a document with exactly one field, got {stage!r}"
            continue
        (name, spec), *_ = stage.items()
        if name in _LAST_ONLY and (not top or i != len(pipeline) - 1):
            yield f"{name} must be the last stage of the outer pipeline (stage {i})"
        if name == "$match" and isinstance(spec, Mapping) and "$text" in spec and i != 0:
            yield f"$text is only allowed in the first $match (stage {i})"
        if name in ("allowDiskUse", "maxTimeMS", "$allowDiskUse"):
            yield f"{name} is an option of the aggregate command, not a stage (stage {i})"
        if name == "$lookup":
            let = spec.get("let", {})
            for var in let:
                if not re.fullmatch(r"[a-z][A-Za-z0-9_]*", var):
                    yield f"$lookup let variable {var!r} must start with a lowercase letter"
            yield from _pipeline_refusals(
                spec.get("pipeline", []), top=False, bound=bound | frozenset(let)
            )
        elif name == "$facet":
            for sub in spec.values():
                for inner in sub:
                    inner_name = next(iter(inner))
                    if inner_name in ("$facet", "$out", "$merge", "$collStats", "$indexStats"):
                        yield f"{inner_name} is not allowed inside $facet"
                yield from _pipeline_refusals(sub, top=False, bound=bound)
        elif name == "$unionWith" and isinstance(spec, Mapping):
            yield from _pipeline_refusals(spec.get("pipeline", []), top=False, bound=bound)
        else:
            yield from _unbound_variables(spec, bound)


def _unbound_variables(value: Any, bound: frozenset[str]) -> Iterator[str]:
    """``$$name`` references to variables nothing defines (a server refuses the pipeline)."""
    if isinstance(value, str):
        found = _VARIABLE.match(value)
        if found and found.group(1) not in _SYSTEM_VARIABLES and found.group(1) not in bound:
            yield f"variable $${found.group(1)} is used but not defined"
    elif isinstance(value, list):
        for item in value:
            yield from _unbound_variables(item, bound)
    elif isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)) in _BINDERS:
            (name, args), *_ = value.items()
            if isinstance(args, Mapping):
                names = set()
                if name in ("$filter", "$map"):
                    names.add(args.get("as", "this"))
                elif name == "$reduce":
                    names |= {"value", "this"}
                elif name == "$let":
                    names |= set(args.get("vars", {}))
                    yield from _unbound_variables(args.get("vars", {}), bound)
                inner = {k: v for k, v in args.items() if k != "vars"}
                yield from _unbound_variables(inner, bound | frozenset(names))
                return
        if len(value) == 1 and next(iter(value)) == "$literal":
            return
        for item in value.values():
            yield from _unbound_variables(item, bound)


def newest(recorder: Recorder, *, count: int = 8) -> list[str]:
    """The ``count`` newest operators the recorded run used, newest first (``$percentile 7.0``)."""
    used = {op for sent in recorder.sent.values() for op in operators(sent)}
    known = sorted((INTRODUCED[op], op[1]) for op in used if op in INTRODUCED)
    return [f"{name} {v[0]}.{v[1]}" for v, name in reversed(known[-count:])]


def violations(recorder: Recorder, *, minimum: tuple[int, int] = MINIMUM) -> list[str]:
    """Every problem found in what was sent, one line each (empty: all would run on ``minimum``)."""
    found: list[str] = []
    for sent in recorder.sent.values():
        for kind, name in sorted(set(operators(sent))):
            version = INTRODUCED.get((kind, name))
            if version is None:
                found.append(
                    f"{kind} {name} is not in the version table (tests/mongo_compat.py "
                    f"INTRODUCED): look up its 'New in version' in the manual; {sent.describe()}"
                )
            elif version > minimum:
                found.append(
                    f"{kind} {name} needs MongoDB {version[0]}.{version[1]}, newer than the "
                    f"minimum {minimum[0]}.{minimum[1]}; {sent.describe()}"
                )
        found.extend(f"{reason}; {sent.describe()}" for reason in refusals(sent))
    return found
