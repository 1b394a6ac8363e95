"""Errors raised while a query runs, from inside Polars computations, with MongoDB's error codes.

MongoDB reports a bad value when a document reaching the operator holds it, not when a field's type
merely allows it: an empty input, or rows filtered out earlier, never fail. The engine types columns
statically, so type and domain errors are checked *at run time* by :func:`raise_where`: a Boolean
column, false everywhere, that makes Polars itself fail when some row is bad. Every module raises
run-time errors through this one. In a stage's filter, check an aggregate (``bad.any()``) rather
than a row-wise condition: Polars pushes row-wise predicates into earlier filters, where the check
would also see the documents an earlier ``$match`` removed.

How a check fails: where a row is bad, a token naming the check (and carrying the first offending
row's detail, JSON in base64) is cast strictly to an integer. Polars reports the failed cast with
the value in its message; :func:`raising_checks` (around every collect of the store) finds the
token there and raises the check's own ``OperationFailure(msg, code)`` or ``UnsupportedOperation``.
No Python callback runs inside a query: a callback needs the GIL on a Polars worker thread, and
deadlocks the process when another thread holds the GIL while it waits for that pool (seen as a
server that stopped answering in the browser tests).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl

from dashboard.store.embedded.values import Ctx
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "Message",
    "fail_where",
    "failure",
    "raise_where",
    "raising_checks",
    "refuse_where",
    "unsupported",
    "unsupported_where",
    "with_checks",
]

#: A message, or a function of the first offending row's detail value that builds it.
Message = str | Callable[[Any], str]

#: What a failed check leaves in Polars' message: ``<spendlens-check ID CODE DETAIL>``.
TOKEN_PREFIX = "<spendlens-check "
_TOKEN = re.compile(r"<spendlens-check (\d+) (-?\d+) ([A-Za-z0-9+/=]*)>")
#: Checks compiled recently, by id. A check is looked up right after the collect of the query that
#: compiled it, so a bounded table is enough; an id that has aged out still fails with its code.
_KEEP = 50_000
_checks: dict[int, Callable[[Any], Exception]] = {}
_ids = itertools.count(1)
_checks_lock = threading.Lock()


def failure(message: str, code: int) -> OperationFailure:
    """``OperationFailure(message, code)``, as MongoDB sends it."""
    return OperationFailure(message, code)


def unsupported(what: str, *, where: str = "") -> UnsupportedOperation:
    """``UnsupportedOperation`` naming ``what`` the engine refuses (and where)."""
    return UnsupportedOperation(what, where=where)


def _register(make: Callable[[Any], Exception]) -> int:
    with _checks_lock:
        check_id = next(_ids)
        _checks[check_id] = make
        if len(_checks) > _KEEP:
            del _checks[next(iter(_checks))]
    return check_id


def _raised(text: str) -> Exception | None:
    """The check failure that ``text`` (a Polars error message) reports, if any."""
    found = _TOKEN.search(text)
    if found is None:
        return None
    check_id, code, detail = int(found[1]), int(found[2]), found[3]
    first = json.loads(base64.b64decode(detail))["d"] if detail else None
    with _checks_lock:
        make = _checks.get(check_id)
    if make is None:
        return OperationFailure(f"a run-time check failed (code {code})", code)
    return make(first)


@contextlib.contextmanager
def raising_checks() -> Iterator[None]:
    """Turn a failed run-time check inside Polars into the error the check stands for."""
    try:
        yield
    except pl.exceptions.PolarsError as exc:
        raised = _raised(str(exc))
        if raised is None:
            raise
        raise raised from None


def _encoded(detail: pl.Expr) -> pl.Expr:
    """``detail`` as base64 of ``{"d": value}`` JSON: typed, and free of the token's delimiters."""
    return pl.struct(detail.alias("d")).struct.json_encode().str.encode("base64")


def _checked(
    bad: pl.Expr, detail: pl.Expr | None, make: Callable[[Any], Exception], code: int, *, fold: bool
) -> pl.Expr:
    """A Boolean column that is false everywhere, failing the query with ``make(first detail)``
    where ``bad`` holds."""
    bad = bad.fill_null(False)
    if not fold and not bad.meta.root_names():
        # A condition that reads no column holds once per input row: none when the input is empty.
        bad = bad & pl.repeat(True, pl.len())
    prefix = f"{TOKEN_PREFIX}{_register(make)} {code} "
    parts = [pl.lit(prefix), pl.lit(">")]
    if detail is not None:
        parts.insert(1, _encoded(detail))
    token = pl.concat_str(parts)
    # The strict cast sits outside the when: Polars evaluates both branches on every row.
    flagged = pl.when(bad).then(token).otherwise(pl.lit(None, pl.String))
    return flagged.cast(pl.Int8, strict=True).is_not_null()


def _text(message: Message, first: Any) -> str:
    return message(first) if callable(message) else message


def raise_where(
    bad: pl.Expr, message: Message, code: int, detail: pl.Expr | None = None, *, fold: bool = False
) -> pl.Expr:
    """A Boolean column, false everywhere, raising ``OperationFailure(message, code)`` where ``bad``.

    ``message`` may be a function of ``detail`` in the first offending row. Apply the column with
    :func:`with_checks`. A condition that reads no column (a static type made it constant) holds
    once per input row, so an empty input never fails. With ``fold`` it is taken as it is: a
    constant fails even for an empty input, as MongoDB's constant folding does for an expression of
    literals, and an aggregate without columns (``pl.len() > 0``) keeps its length of one.
    """
    return _checked(
        bad, detail, lambda first: failure(_text(message, first), code), code, fold=fold
    )


def refuse_where(
    bad: pl.Expr,
    what: Message,
    *,
    where: str = "",
    detail: pl.Expr | None = None,
    fold: bool = False,
) -> pl.Expr:
    """Like :func:`raise_where`, raising ``UnsupportedOperation(what)`` (the engine refuses)."""

    def make(first: Any) -> Exception:
        return unsupported(_text(what, first), where=where)

    return _checked(bad, detail, make, 168, fold=fold)


def with_checks(expr: pl.Expr, *checks: pl.Expr | None) -> pl.Expr:
    """``expr`` evaluated under the :func:`raise_where` / :func:`refuse_where` ``checks``.

    Checks wrap the value from outside: Polars folds ``when(<literal true>)`` branches away, so a
    check nested under a constant mask would never run.
    """
    for check in checks:
        if check is not None:
            expr = pl.when(check).then(None).otherwise(expr)
    return expr


def _guarded(ctx: Ctx, bad: pl.Expr) -> pl.Expr:
    """``bad`` limited to the rows MongoDB evaluates the expression for (``ctx.guard``)."""
    return bad if ctx.guard is None else bad & ctx.guard


def fail_where(
    ctx: Ctx,
    bad: pl.Expr | None,
    value: pl.Expr,
    message: Message,
    code: int,
    detail: pl.Expr | None = None,
) -> pl.Expr:
    """``value``, raising ``OperationFailure(message, code)`` at run time where ``bad`` holds.

    Only rows MongoDB evaluates this expression for count (``ctx.guard``: not the untaken branch of
    a ``$cond``…). ``message`` may be a function of the first offending row's ``detail``.
    """
    if bad is None:
        return value
    return with_checks(value, raise_where(_guarded(ctx, bad), message, code, detail))


def unsupported_where(ctx: Ctx, bad: pl.Expr | None, value: pl.Expr, what: str) -> pl.Expr:
    """``value``, raising ``UnsupportedOperation(what)`` at run time where ``bad`` holds."""
    if bad is None:
        return value
    return with_checks(value, refuse_where(_guarded(ctx, bad), what, where=ctx.where))
