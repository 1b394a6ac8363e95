"""Query filters (``$match``, ``find``, ``count_documents``, updates) compiled to a Polars predicate.

MongoDB's query semantics, not its expression semantics: comparisons are type-bracketed (``{amount:
{$gt: "5"}}`` matches nothing), ``{f: null}`` matches null *and* missing, and a condition on a path
matches when any value the path reaches satisfies it: an array's elements or the array as a whole,
the fields of each document in an array (see :mod:`.query_paths`). The predicate never evaluates to
null.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.expressions import compile_expr, truthy
from dashboard.store.embedded.pcre import InvalidRegex, Untranslatable, pcre_to_rust, regex_flags
from dashboard.store.embedded.query_paths import (
    Target,
    any_array,
    any_value,
    compare_pred,
    element_target,
    eq_pred,
    in_pred,
    target,
)
from dashboard.store.embedded.values import BSON_TYPES, Ctx, bson_type
from dashboard.store.errors import OperationFailure

__all__ = ["QUERY_OPERATORS", "compile_filter", "text_conditions"]

_LOGICAL = {"$and", "$or", "$nor"}
QUERY_OPERATORS = {
    "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$not", "$regex",
    "$options", "$size", "$all", "$elemMatch", "$type",
}  # fmt: skip
#: Operators MongoDB has that the engine refuses (rather than answering differently).
_UNSUPPORTED_OPS = frozenset({
    "$mod", "$bitsAllClear", "$bitsAllSet", "$bitsAnyClear", "$bitsAnySet", "$geoIntersects",
    "$geoWithin", "$near", "$nearSphere", "$maxDistance", "$minDistance", "$jsonSchema",
})  # fmt: skip
_UNSUPPORTED_TOP = frozenset(
    {"$where", "$jsonSchema", "$sampleRate", "$alwaysTrue", "$alwaysFalse"}
)


def compile_filter(query: Mapping[str, Any] | None, ctx: Ctx) -> pl.Expr:
    """A boolean expression true exactly for the documents ``query`` matches."""
    if query is None:
        return pl.lit(True)
    if not isinstance(query, Mapping):
        msg = "query filter must be an object"
        raise OperationFailure(msg, code=2)
    if text_conditions(query) > 1:
        raise OperationFailure("Too many text expressions", code=2)
    parts: list[pl.Expr] = []
    for key, value in query.items():
        if key in _LOGICAL:
            parts.append(_logical(key, value, ctx))
        elif key == "$expr":
            parts.append(truthy(compile_expr(value, ctx)))
        elif key == "$text":
            parts.append(_text(value, ctx))
        elif key == "$comment":
            continue
        elif key in _UNSUPPORTED_TOP:
            raise ctx.unsupported(f"query operator {key}")
        elif isinstance(key, str) and key.startswith("$"):
            msg = f"unknown top level operator: {key}"
            raise OperationFailure(msg, code=2)
        else:
            parts.append(_field_condition(key, value, ctx))
    return _all(parts)


def text_conditions(query: Any) -> int:
    """How many ``$text`` conditions ``query`` holds (at top level or under ``$and/$or/$nor``)."""
    if not isinstance(query, Mapping):
        return 0
    count = 1 if "$text" in query else 0
    for op in _LOGICAL:
        subs = query.get(op)
        if isinstance(subs, list | tuple):
            count += sum(text_conditions(q) for q in subs)
    return count


def _all(parts: list[pl.Expr]) -> pl.Expr:
    if not parts:
        return pl.lit(True)
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def _any(parts: list[pl.Expr]) -> pl.Expr:
    if not parts:
        return pl.lit(False)
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out


def _logical(op: str, value: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(value, list | tuple) or not value:
        msg = f"{op} must be a nonempty array"
        raise OperationFailure(msg, code=2)
    if op == "$nor" and any(text_conditions(q) for q in value):
        raise OperationFailure("text expression not allowed in nor", code=2)
    parts = [compile_filter(q, ctx) for q in value]
    if op == "$and":
        return _all(parts)
    return _any(parts) if op == "$or" else ~_any(parts)


def _is_operator_doc(value: Any) -> bool:
    """MongoDB reads ``{f: {...}}`` as operators when the object's first key starts with ``$``."""
    if not isinstance(value, Mapping) or not value:
        return False
    first = next(iter(value))
    if not (isinstance(first, str) and first.startswith("$")):
        return False
    return not ("$ref" in value and "$id" in value)  # a DBRef is a plain value


def _field_condition(path: str, value: Any, ctx: Ctx) -> pl.Expr:
    t = target(path, ctx)
    if isinstance(value, re.Pattern | bson.Regex):
        return _regex(t, value.pattern, regex_flags(value), ctx)
    if not _is_operator_doc(value):
        return _equals(t, value, ctx)
    return _all([_operator(op, arg, t, ctx) for op, arg in _with_regex(value).items()])


def _with_regex(ops: Mapping[str, Any]) -> dict[str, Any]:
    """The operators with ``$regex``/``$options`` merged into one ``$regex: (pattern, options)``."""
    out = dict(ops)
    if "$regex" not in out and "$options" not in out:
        return out
    if "$regex" not in out:
        raise OperationFailure("$options needs a $regex", code=2)
    pattern, options = out.pop("$regex"), out.pop("$options", None)
    if isinstance(pattern, re.Pattern | bson.Regex):
        if options:
            raise OperationFailure("options set in both $regex and $options", code=51075)
        pattern, options = pattern.pattern, regex_flags(pattern)
    out["$regex"] = (pattern, options or "")
    return out


def _operator(op: str, arg: Any, t: Target, ctx: Ctx) -> pl.Expr:
    if op == "$eq":
        return _equals(t, arg, ctx, implicit=False)
    if op == "$ne":
        return ~_equals(t, arg, ctx, implicit=False)
    if op in _RANGE:
        return _range(op, t, arg, ctx)
    if op == "$in":
        return _in(t, arg, ctx)
    if op == "$nin":
        return ~_in(t, arg, ctx)
    if op == "$exists":
        return t.present if bool(arg) else ~t.present
    if op == "$not":
        return ~_not_operand(t, arg, ctx)
    if op == "$regex":
        return _regex(t, arg[0], arg[1], ctx)
    if op == "$size":
        size = _size_arg(arg)
        return any_array(t, lambda a: a.list.len() == size)
    if op == "$all":
        return _all_of(t, arg, ctx)
    if op == "$elemMatch":
        return _elem_match(t, arg, ctx)
    if op == "$type":
        return _type(t, arg, ctx)
    if op in _UNSUPPORTED_OPS:
        raise ctx.unsupported(f"query operator {op}")
    msg = f"unknown operator: {op}"
    raise OperationFailure(msg, code=2)


def _not_operand(t: Target, arg: Any, ctx: Ctx) -> pl.Expr:
    if isinstance(arg, re.Pattern | bson.Regex):
        return _regex(t, arg.pattern, regex_flags(arg), ctx)
    if not isinstance(arg, Mapping):
        raise OperationFailure("$not needs a regex or a document", code=2)
    if not arg:
        raise OperationFailure("$not cannot be empty", code=2)
    if not _is_operator_doc(arg):
        raise OperationFailure("$not needs a regex or a document", code=2)
    return _all([_operator(op, a, t, ctx) for op, a in _with_regex(arg).items()])


def _equals(t: Target, value: Any, ctx: Ctx, *, implicit: bool = True) -> pl.Expr:
    """``{f: value}`` (``implicit``: a regex matches strings) or ``{f: {$eq: value}}``.

    A regex under ``$eq`` only equals a stored regex, which the engine never holds.
    """
    if isinstance(value, re.Pattern | bson.Regex):
        return _regex(t, value.pattern, regex_flags(value), ctx) if implicit else pl.lit(False)
    if value is None:
        return t.nullish
    out = any_value(t, eq_pred(t.dtype, value))
    if isinstance(value, list | tuple):
        whole = eq_pred(pl.List(t.dtype), list(value))
        out = out | any_array(t, whole)
    return out


_RANGE = {
    "$gt": lambda c, lit: c > lit,
    "$gte": lambda c, lit: c >= lit,
    "$lt": lambda c, lit: c < lit,
    "$lte": lambda c, lit: c <= lit,
}


def _range(op: str, t: Target, value: Any, ctx: Ctx) -> pl.Expr:
    if value is None:
        return t.nullish if op in ("$gte", "$lte") else pl.lit(False)
    if isinstance(value, Mapping | list | tuple | re.Pattern | bson.Regex):
        raise ctx.unsupported(f"{op} with an array, document or regex operand")
    if isinstance(value, float) and math.isnan(value):
        # NaN equals only NaN and is neither above nor below any number in a query.
        return _equals(t, value, ctx) if op in ("$gte", "$lte") else pl.lit(False)
    compare = _RANGE[op]
    if _holds_floats(t.dtype):
        return any_value(t, compare_pred(t.dtype, value, _not_nan(compare)))
    return any_value(t, compare_pred(t.dtype, value, compare))


def _holds_floats(dtype: pl.DataType) -> bool:
    while isinstance(dtype, pl.List):
        dtype = dtype.inner
    return dtype.is_float()


def _not_nan(compare: Callable[[pl.Expr, Any], pl.Expr]) -> Callable[[pl.Expr, Any], pl.Expr]:
    return lambda c, lit: compare(c, lit) & c.is_not_nan()


def _in(t: Target, values: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(values, list | tuple):
        raise OperationFailure("$in needs an array", code=2)
    parts: list[pl.Expr] = []
    scalars: list[Any] = []
    for x in values:
        if _is_operator_doc(x):
            raise OperationFailure("cannot nest $ under $in", code=2)
        if x is None or isinstance(x, Mapping | list | tuple | re.Pattern | bson.Regex):
            parts.append(_equals(t, x, ctx))
        else:
            scalars.append(x)
    if scalars:
        parts.append(any_value(t, in_pred(t.dtype, scalars)))
    return _any(parts)


def _size_arg(arg: Any) -> int:
    if isinstance(arg, bool) or not isinstance(arg, int | float):
        raise OperationFailure("$size needs a number", code=2)
    if int(arg) != arg:
        raise OperationFailure("$size must be a whole number", code=2)
    if arg < 0:
        raise OperationFailure("$size may not be negative", code=2)
    return int(arg)


def _all_of(t: Target, values: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(values, list | tuple):
        raise OperationFailure("$all needs an array", code=2)
    if not values:
        return pl.lit(False)
    elem_matches = [_is_operator_doc(x) and "$elemMatch" in x for x in values]
    if any(elem_matches) and not all(elem_matches):
        raise OperationFailure("$all/$elemMatch has to be consistent", code=2)
    if all(elem_matches):
        return _all([_elem_match(t, x["$elemMatch"], ctx) for x in values])
    if any(_is_operator_doc(x) for x in values):
        raise OperationFailure("no $ expressions in $all", code=2)
    return _all([_equals(t, x, ctx) for x in values])


def _elem_match(t: Target, query: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(query, Mapping):
        raise OperationFailure("$elemMatch needs an Object", code=2)
    inner = t.dtype
    if _is_operator_doc(query) and next(iter(query)) not in ("$and", "$or", "$nor", "$expr"):
        el_ctx = ctx.in_element(inner)
        element = element_target(inner)
        pred = _all([_operator(op, a, element, el_ctx) for op, a in _with_regex(query).items()])
    elif isinstance(inner, pl.Struct):
        pred = compile_filter(query, ctx.in_element(inner, fields_from_element=True))
    else:
        return pl.lit(False)
    return any_array(t, lambda a: a.list.eval(pred.fill_null(False)).list.any())


_NUMBER_NAMES = frozenset({"double", "int", "long", "decimal"})
_INT32 = (-(2**31), 2**31 - 1)


def _type_names(arg: Any) -> set[str]:
    wanted: set[str] = set()
    for item in arg if isinstance(arg, list | tuple) else [arg]:
        if isinstance(item, int | float) and not isinstance(item, bool):
            if int(item) != item or int(item) not in BSON_TYPES:
                msg = f"Invalid numerical type code: {item}"
                raise OperationFailure(msg, code=2)
            wanted.add(BSON_TYPES[int(item)])
        elif isinstance(item, str):
            if item != "number" and item not in BSON_TYPES.values():
                msg = f"Unknown type name alias: {item}"
                raise OperationFailure(msg, code=2)
            wanted.add(item)
        else:
            raise OperationFailure("type must be represented as a number or a string", code=14)
    if "number" in wanted:
        wanted |= _NUMBER_NAMES
    return wanted


def _type(t: Target, arg: Any, ctx: Ctx) -> pl.Expr:
    """``$type``: the BSON type of the value or, for arrays, of the array or any element.

    Integer columns hold pymongo's int32 ("int") or int64 ("long") by magnitude; a double column may
    hold numbers inserted as ints (the engine stores mixed numbers as doubles), so asking it for
    "double", "int" or "long" is refused rather than guessed.
    """
    wanted = _type_names(arg)
    parts: list[pl.Expr] = []
    if "array" in wanted:
        parts.append(any_array(t, lambda a: a.is_not_null()))
    if "null" in wanted:
        parts.append(t.present & any_value(t, lambda e: e.is_null()))
    dtype = t.dtype
    if dtype == pl.Null:
        return _any(parts)
    if dtype.is_float() and wanted & {"double", "int", "long"} and "number" not in _named(arg):
        raise ctx.unsupported("$type 'double', 'int' or 'long' on a field of mixed numbers")
    if dtype.is_integer():
        small = dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16)
        if "int" in wanted:
            parts.append(
                any_value(t, lambda e: e.is_not_null() if small else e.is_between(*_INT32))
            )
        if "long" in wanted and not small:
            parts.append(any_value(t, lambda e: ~e.is_between(*_INT32)))
    elif bson_type(dtype) in wanted:
        parts.append(any_value(t, lambda e: e.is_not_null()))
    return _any(parts)


def _named(arg: Any) -> set[Any]:
    return set(arg) if isinstance(arg, list | tuple) else {arg}


def _regex(t: Target, pattern: Any, options: Any, ctx: Ctx) -> pl.Expr:
    if not isinstance(pattern, str):
        raise OperationFailure("$regex has to be a string", code=2)
    options = options or ""
    if not isinstance(options, str):
        raise OperationFailure("$options has to be a string", code=2)
    bad = set(options) - set("imsxu")
    if bad:
        msg = f"invalid flag in regex options: {''.join(sorted(bad))}"
        raise OperationFailure(msg, code=51108)
    try:
        full = pcre_to_rust(pattern, options)
    except InvalidRegex as exc:
        msg = f"Regular expression is invalid: {exc}"
        raise OperationFailure(msg, code=51091) from None
    except Untranslatable as exc:
        raise ctx.unsupported(f"$regex pattern {pattern!r} ({exc})") from None
    if t.dtype == pl.String or isinstance(t.dtype, pl.Categorical | pl.Enum):
        return any_value(t, lambda e: e.cast(pl.String).str.contains(full))
    return pl.lit(False)


def _text(spec: Any, ctx: Ctx) -> pl.Expr:
    from dashboard.store.embedded.text import text_predicate

    return text_predicate(spec, ctx)
