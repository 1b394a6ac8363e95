"""Errors raised while a query runs, from inside Polars computations, with MongoDB's error codes.

MongoDB reports a bad value when a document reaching the operator holds it, not when a field's type
merely allows it: an empty input, or rows filtered out earlier, never fail. The engine types columns
statically, so type and domain errors are checked *at run time* by :func:`raise_where`: one
``map_batches`` over a Boolean column, false everywhere, that raises when some row is bad. Every
module raises run-time errors through this one. In a stage's filter, check an aggregate
(``bad.any()``) rather than a row-wise condition: Polars pushes row-wise predicates into earlier
filters, where the check would also see the documents an earlier ``$match`` removed.

Polars may re-raise an exception from a ``map_batches`` callback by calling its class with one
message argument (the original text plus the expression that failed). The classes here keep the
MongoDB error code as the constructor's default and drop that suffix, so callers see
``OperationFailure(msg, code)`` as MongoDB would send it, or ``UnsupportedOperation`` naming what
the engine refuses.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import polars as pl

from dashboard.store.embedded.values import Ctx
from dashboard.store.errors import OperationFailure, UnsupportedOperation

__all__ = [
    "Message",
    "RuntimeUnsupported",
    "fail_where",
    "failure",
    "raise_where",
    "refuse_where",
    "unsupported",
    "unsupported_where",
    "with_checks",
]

#: A message, or a function of the first offending row's detail value that builds it.
Message = str | Callable[[Any], str]

_POLARS_CONTEXT = "\n\nThis error occurred"
_UNSUPPORTED_PREFIX = "embedded engine does not support "


def _strip(message: object) -> str:
    """The original message, without the expression Polars appends when it re-raises."""
    return str(message).split(_POLARS_CONTEXT, 1)[0]


@functools.cache
def _failure_class(code: int) -> type[OperationFailure]:
    """An ``OperationFailure`` subclass whose ``code`` survives Polars re-raising it."""

    class RuntimeFailure(OperationFailure):
        def __init__(
            self,
            error: object,
            code: int | None = code,
            details: Any = None,
            max_wire_version: int | None = None,
        ) -> None:
            super().__init__(_strip(error), code, details, max_wire_version)

    RuntimeFailure.__name__ = RuntimeFailure.__qualname__ = "OperationFailure"
    return RuntimeFailure


class RuntimeUnsupported(UnsupportedOperation):
    """``UnsupportedOperation`` raised while the query runs (survives Polars re-raising it)."""

    def __init__(self, message: object, *, where: str = "") -> None:
        text = _strip(message)
        if not text.startswith(_UNSUPPORTED_PREFIX):
            text = _UNSUPPORTED_PREFIX + text + (f" in {where}" if where else "")
        self.operator = text[len(_UNSUPPORTED_PREFIX) :]
        self.where = where
        OperationFailure.__init__(self, text, 168)


RuntimeUnsupported.__name__ = RuntimeUnsupported.__qualname__ = "UnsupportedOperation"


def failure(message: str, code: int) -> OperationFailure:
    """``OperationFailure(message, code)`` to raise inside a Polars callback."""
    return _failure_class(code)(message, code)


def unsupported(what: str, *, where: str = "") -> UnsupportedOperation:
    """``UnsupportedOperation(what)`` to raise inside a Polars callback."""
    return RuntimeUnsupported(what, where=where)


def _checked(
    bad: pl.Expr, detail: pl.Expr | None, make: Callable[[Any], Exception], *, fold: bool
) -> pl.Expr:
    """A Boolean column that is false everywhere, raising ``make(first detail)`` where ``bad``."""
    bad = bad.fill_null(False)
    if not fold and not bad.meta.root_names():
        # A condition that reads no column holds once per input row: none when the input is empty.
        bad = bad & pl.repeat(True, pl.len())

    def check(s: pl.Series) -> pl.Series:
        if detail is None:
            flags, details = s, None
        else:
            flags, details = s.struct.field("b"), s.struct.field("d")
        flags = flags.fill_null(False)
        if flags.any():
            raise make(details.filter(flags)[0] if details is not None else None)
        return flags

    source = bad if detail is None else pl.struct(bad.alias("b"), detail.alias("d"))
    return source.map_batches(check, return_dtype=pl.Boolean, is_elementwise=True)


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
    return _checked(bad, detail, lambda first: failure(_text(message, first), code), fold=fold)


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

    return _checked(bad, detail, make, fold=fold)


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
