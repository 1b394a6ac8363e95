"""``$regexMatch``: MongoDB's PCRE patterns run on Polars' (Rust) regular expressions.

The pattern is translated by :mod:`.pcre` (shared with the query operator ``$regex``): ASCII-only
``\\d \\w \\s \\b`` as in MongoDB, ``$`` before a final newline. Constructs Rust lacks (look-around,
back-references, possessive quantifiers, ``\\Q…\\E`` …) are refused with ``UnsupportedOperation``; a
pattern that is invalid as well raises MongoDB's error 51111.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.expressions import OperatorFn, compile_expr
from dashboard.store.embedded.pcre import InvalidRegex, Untranslatable, pcre_to_rust, regex_flags
from dashboard.store.embedded.runtime_errors import fail_where
from dashboard.store.embedded.values import Ctx, Val, type_expr
from dashboard.store.errors import OperationFailure

__all__ = ["OPERATORS"]


def _pattern(regex: Any, options: Val, ctx: Ctx) -> tuple[str | None, str]:
    """The constant pattern and options (``None`` pattern: a null regex)."""
    flags = ""
    if isinstance(regex, bson.Regex | re.Pattern):
        pattern, flags = str(regex.pattern), regex_flags(regex)
    else:
        value = compile_expr(regex, ctx)
        if not value.is_const:
            raise ctx.unsupported("$regexMatch with a 'regex' that is not a constant")
        if value.const is not None and not isinstance(value.const, str):
            msg = "$regexMatch needs 'regex' to be of type string or regex"
            raise OperationFailure(msg, code=51105)
        pattern = value.const
    if not options.is_const:
        raise ctx.unsupported("$regexMatch with 'options' that are not a constant")
    if options.const is not None:
        if not isinstance(options.const, str):
            msg = "$regexMatch needs 'options' to be of type string"
            raise OperationFailure(msg, code=51106)
        if flags:
            msg = "$regexMatch: found regex option(s) specified in both 'regex' and 'option' fields"
            raise OperationFailure(msg, code=51107)
        flags = options.const
    for flag in flags:
        if flag not in "imsx":
            msg = f"$regexMatch invalid flag in regex options: {flag}"
            raise OperationFailure(msg, code=51108)
    return pattern, flags


def _regex_match(spec: Any, ctx: Ctx) -> Val:
    if not isinstance(spec, Mapping):
        msg = "$regexMatch expects an object of named arguments but found: " + type(spec).__name__
        raise OperationFailure(msg, code=51103)
    for key in spec:
        if key not in ("input", "regex", "options"):
            msg = f"$regexMatch found an unknown argument: {key}"
            raise OperationFailure(msg, code=31024)
    for key in ("input", "regex"):
        if key not in spec:
            msg = f"$regexMatch requires '{key}' parameter"
            raise OperationFailure(msg, code=31022 if key == "input" else 31023)
    options = compile_expr(spec.get("options"), ctx)
    pattern, flags = _pattern(spec["regex"], options, ctx)
    text = compile_expr(spec["input"], ctx)
    message = "$regexMatch needs 'input' to be of type string"
    if text.dtype != pl.String:
        bad = text.expr.is_not_null() if text.dtype != pl.Null else None
        return Val(
            fail_where(ctx, bad, pl.lit(False), message, 51104, type_expr(text)), pl.Boolean()
        )
    if pattern is None:
        return Val(expr=pl.lit(False), dtype=pl.Boolean())
    try:
        translated = pcre_to_rust(pattern, flags)
    except InvalidRegex as exc:
        raise OperationFailure(f"Invalid Regex in $regexMatch: {exc}", code=51111) from None
    except Untranslatable as exc:
        raise ctx.unsupported(f"$regexMatch pattern {pattern!r} ({exc})") from None
    expr = text.expr.str.contains(translated).fill_null(False)
    return Val(expr=expr, dtype=pl.Boolean())


#: The expression operators this module provides, by name: ``catalog`` files them in
#: ``expressions.OPERATORS``.
OPERATORS: dict[str, OperatorFn] = {
    "$regexMatch": _regex_match,
}
