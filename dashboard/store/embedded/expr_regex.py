"""``$regexMatch``: MongoDB's PCRE patterns run on Polars' (Rust) regular expressions.

The two engines agree on most syntax; where they differ the pattern is rewritten so the *match test*
gives PCRE's answer: ``\\d \\w \\s \\b`` are ASCII-only in MongoDB (no UCP) and become explicit ASCII
classes, and ``$`` without the ``m`` option also matches before a final newline. Constructs Rust
lacks (look-around, back-references, possessive quantifiers, ``\\Q…\\E`` …) are refused with
``UnsupportedOperation``; a pattern that is invalid PCRE as well raises MongoDB's error 51111.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

import bson
import polars as pl

from dashboard.store.embedded.expr_support import fail_where, type_expr
from dashboard.store.embedded.expressions import compile_expr, operator
from dashboard.store.embedded.values import Ctx, Val
from dashboard.store.errors import OperationFailure

__all__ = ["pcre_to_rust"]

_ASCII_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\x0B\\x0C\\r\\x20"}
_FLAGS = "imsx"
_PY_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}


class _Untranslatable(Exception):
    """A PCRE construct the Rust engine has no equivalent for."""


def _class_escape(letter: str, in_class: bool) -> str:
    body = _ASCII_CLASSES[letter.lower()]
    if in_class:
        if letter.isupper():
            raise _Untranslatable(f"\\{letter} inside a character class")
        return body
    return f"[{'^' if letter.isupper() else ''}{body}]"


def _translate(pattern: str, multiline: bool, extended: bool) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    after_quantifier = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e.lower() in _ASCII_CLASSES:
                out.append(_class_escape(e, in_class))
            elif e in "bB" and not in_class:
                out.append(f"(?-u:\\{e})")
            elif e == "Z" and not in_class:
                out.append("(?:\\n?\\z)")
            elif e.isdigit() and e != "0" and not in_class:
                raise _Untranslatable("back-references")
            else:
                out.append(c + e)
            i += 2
            after_quantifier = False
            continue
        if in_class:
            if c == "[" and pattern.startswith("[:", i):
                end = pattern.find(":]", i + 2)
                if end != -1:
                    out.append(pattern[i : end + 2])
                    i = end + 2
                    continue
            if c == "]":
                in_class = False
            if extended and (c.isspace() or c == "#"):
                # PCRE keeps these inside a class in extended mode; Rust's (?x) would drop them.
                out.append(f"\\x{{{ord(c):X}}}")
            else:
                out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("\\]")
                i += 1
            after_quantifier = False
            continue
        if c == "+" and after_quantifier:
            raise _Untranslatable("possessive quantifiers")
        if c == "$" and not multiline:
            out.append("(?:\\n?\\z)")
        else:
            out.append(c)
        previous = pattern[i - 1] if i else ""
        after_quantifier = c in "*+}" or (c == "?" and previous != "(")
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=256)
def pcre_to_rust(pattern: str, options: str) -> str:
    """The Rust-regex pattern matching what PCRE matches for ``pattern`` with ``options``.

    Raises ``OperationFailure`` (51111) for an invalid pattern, ``_Untranslatable`` otherwise.
    """
    body = _translate(pattern, "m" in options, "x" in options)
    flags = "".join(f for f in _FLAGS if f in options)
    translated = f"(?{flags}){body}" if flags else body
    try:
        pl.select(pl.lit("").str.contains(translated))
    except pl.exceptions.PolarsError as exc:
        try:
            re.compile(pattern)
        except re.error as py_exc:
            msg = f"Invalid Regex in $regexMatch: {py_exc}"
            raise OperationFailure(msg, code=51111) from exc
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("error:")]
        raise _Untranslatable(lines[0][len("error:") :].strip() if lines else "unknown") from exc
    return translated


def _pattern(regex: Any, options: Val, ctx: Ctx) -> tuple[str | None, str]:
    """The constant pattern and options (``None`` pattern: a null regex)."""
    flags = ""
    if isinstance(regex, bson.Regex | re.Pattern):
        pattern = str(regex.pattern)
        bits = regex.flags
        if isinstance(bits, str):
            flags = bits
        else:
            flags = "".join(f for bit, f in _PY_FLAGS.items() if int(bits) & bit)
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
        if flag not in _FLAGS:
            msg = f"$regexMatch invalid flag in regex options: {flag}"
            raise OperationFailure(msg, code=51108)
    return pattern, flags


@operator("$regexMatch")
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
    except _Untranslatable as exc:
        raise ctx.unsupported(f"$regexMatch pattern {pattern!r} ({exc})") from None
    expr = text.expr.str.contains(translated).fill_null(False)
    return Val(expr=expr, dtype=pl.Boolean())
