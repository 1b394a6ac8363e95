"""MongoDB's PCRE patterns run on Polars' (Rust) regular expressions, for ``$regex`` and ``$regexMatch``.

The two engines agree on most syntax; where they differ the pattern is rewritten so the *match test*
gives PCRE's answer: ``\\d \\w \\s \\b`` are ASCII-only in MongoDB (no UCP) and become explicit ASCII
classes, ``$`` and ``\\Z`` without the ``m`` option also match before a final newline, and in
extended mode whitespace inside a class stays literal. Constructs Rust lacks (look-around,
back-references, possessive quantifiers, ``\\Q…\\E`` …) raise :class:`Untranslatable`; a pattern
that is not a valid regular expression at all raises :class:`InvalidRegex`. Callers turn these into
``UnsupportedOperation`` and their operator's MongoDB error.
"""

from __future__ import annotations

import functools
import re

import bson
import polars as pl

__all__ = ["InvalidRegex", "Untranslatable", "pcre_to_rust", "regex_flags"]

_ASCII_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\x0B\\x0C\\r\\x20"}
#: The options that change matching (MongoDB also accepts ``u``, always on).
_FLAGS = "imsx"
_PY_FLAGS = ((re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))


class Untranslatable(Exception):
    """A PCRE construct the Rust engine has no equivalent for (the message says which)."""


class InvalidRegex(ValueError):
    """A pattern that is not a valid regular expression (the message is the parser's)."""


def regex_flags(pattern: re.Pattern[str] | bson.Regex) -> str:
    """The MongoDB option letters of a compiled Python or BSON regex."""
    flags = pattern.flags
    if isinstance(flags, str):
        return flags
    return "".join(letter for flag, letter in _PY_FLAGS if int(flags) & flag)


def _class_escape(letter: str, in_class: bool) -> str:
    """``\\d \\w \\s`` (or negated ``\\D \\W \\S``) as ASCII classes; nested inside a class."""
    body = _ASCII_CLASSES[letter.lower()]
    if letter.isupper():
        return f"[^{body}]"  # Rust accepts a nested class inside a class: [a[^0-9]]
    return body if in_class else f"[{body}]"


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
                raise Untranslatable("back-references")
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
            raise Untranslatable("possessive quantifiers")
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
    """The Rust regex (options inlined) matching what PCRE matches for ``pattern``/``options``.

    Only whether a string matches is preserved (``$`` may consume the final newline). Raises
    :class:`InvalidRegex` for an invalid pattern and :class:`Untranslatable` for one Rust cannot
    express.
    """
    body = _translate(pattern, "m" in options, "x" in options)
    flags = "".join(f for f in _FLAGS if f in options)
    translated = f"(?{flags}){body}" if flags else body
    try:
        pl.select(pl.lit("").str.contains(translated))
    except pl.exceptions.PolarsError as exc:
        try:
            re.compile(pattern)
        except re.error as invalid:
            raise InvalidRegex(str(invalid)) from exc
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("error:")]
        raise Untranslatable(lines[0][len("error:") :].strip() if lines else "unknown") from exc
    return translated
