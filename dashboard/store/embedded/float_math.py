"""Double arithmetic done exactly where Polars approximates it, with Polars' own kernels.

Shared by the arithmetic and numeric expression operators and the window functions. No Python
callback runs inside a query (see ``runtime_errors``), so each rule here is a Polars expression.
"""

from __future__ import annotations

import polars as pl

__all__ = ["fmod", "fmod_quotient_too_large", "log10", "true_div"]

F64 = pl.Float64
#: 2**53: below it every integer is a double, so a truncated quotient is exact.
_EXACT_INT = 2.0**53


def _pair(a: pl.Expr, b: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """``a`` and ``b`` as full columns of doubles: fields of one struct, which broadcasts a scalar."""
    pair = pl.struct(a.cast(F64).alias("a"), b.cast(F64).alias("b"))
    return pair.struct.field("a"), pair.struct.field("b")


def true_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """IEEE division of doubles, ``a / b`` correctly rounded in every row.

    Polars divides by a scalar (a literal, or an aggregate broadcast over a group) by multiplying
    with its reciprocal (``3 / 10`` gives ``0.30000000000000004``); two full columns it divides
    element by element, which is IEEE division.
    """
    x, y = _pair(a, b)
    return pl.when(a.is_null() | b.is_null()).then(None).otherwise(x / y)


def fmod(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """C's ``fmod``: the remainder of ``a / b`` truncated toward zero, with the sign of ``a``.

    Exact wherever the truncated quotient is below 2**53 (:func:`fmod_quotient_too_large` marks
    the rest): ``|a| - q * |b|`` with the product split exactly in two doubles (Dekker's product),
    the first difference exact by Sterbenz's lemma, and one correction where the rounded quotient
    overshot.
    """
    x, y = _pair(a, b)
    ax, ay = x.abs(), y.abs()
    scale = pl.when(ay > 2.0**900).then(2.0**-200).when(ay < 2.0**-900).then(2.0**200)
    scale = scale.otherwise(1.0)
    sx, sy = ax * scale, ay * scale
    q = true_div(sx, sy).floor()
    p, e = _two_product(q, sy)
    r = (sx - p) - e
    r = pl.when(r < 0).then(r + sy).when(r >= sy).then(r - sy).otherwise(r)
    r = pl.when(ay.is_infinite() | (ax < ay)).then(ax).otherwise(true_div(r, scale))
    negative = (x < 0) | ((x == 0) & (true_div(pl.lit(1.0), x) < 0))
    out = pl.when(negative).then(-r).otherwise(r)
    undefined = x.is_nan() | y.is_nan() | x.is_infinite() | (y == 0)
    return pl.when(undefined).then(float("nan")).otherwise(out)


def fmod_quotient_too_large(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Where :func:`fmod` cannot be exact: a finite quotient ``|a / b|`` of 2**53 or more."""
    x, y = _pair(a, b)
    q = true_div(x.abs(), y.abs())
    return (q >= _EXACT_INT) & x.is_finite() & y.is_finite() & (y != 0)


def _split(v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Veltkamp's split: ``v == hi + lo`` with each half holding at most 26 significant bits."""
    t = v * 134217729.0  # 2**27 + 1
    hi = t - (t - v)
    return hi, v - hi


def _two_product(a: pl.Expr, b: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Dekker's product: ``a * b == p + e`` exactly, ``p`` the rounded product."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


#: ln(10) as the sum of two doubles (the second holds the bits the first cannot).
_LN10_HI = 2.302585092994046
_LN10_LO = -2.1707562233822494e-16


def log10(x: pl.Expr) -> pl.Expr:
    """``log10`` of a positive double: exact at powers of ten, elsewhere within one unit in the last
    place of C's ``log10``: ``ln(x) / ln(10)`` with ln(10) in double-double and one correction."""
    ln = x.cast(F64).log()
    q = true_div(ln, pl.lit(_LN10_HI))
    p, e = _two_product(q, pl.lit(_LN10_HI))
    y = q + true_div(((ln - p) - e) - q * _LN10_LO, pl.lit(_LN10_HI))
    k = y.round()
    return pl.when(pl.lit(10.0).pow(k) == x).then(k).otherwise(y)
