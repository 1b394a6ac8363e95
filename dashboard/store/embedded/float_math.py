"""Double arithmetic done exactly where Polars approximates it, with Polars' own kernels.

Shared by the arithmetic and numeric expression operators and the window functions. No Python
callback runs inside a query (see ``runtime_errors``), so each rule here is a Polars expression.
"""

from __future__ import annotations

import polars as pl

__all__ = ["fmod", "fmod_quotient_too_large", "log10", "steps", "true_div", "two_product_steps"]

F64 = pl.Float64
#: 2**53: below it every integer is a double, so a truncated quotient is exact.
_EXACT_INT = 2.0**53


def steps(first: dict[str, pl.Expr], *more: dict[str, pl.Expr]) -> pl.Expr:
    """A struct built in ``steps``, each naming its inputs with ``pl.field``: every intermediate
    value is computed once, where nesting expressions would copy a subtree at each use (a tree that
    grows exponentially with the steps and takes Polars seconds to plan)."""
    out = pl.struct(**first)
    for step in more:
        out = out.struct.with_fields(**step)
    return out


def true_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """IEEE division of doubles, ``a / b`` correctly rounded in every row (null where one is).

    Polars divides by a scalar (a literal, or an aggregate broadcast over a group) by multiplying
    with its reciprocal (``3 / 10`` gives ``0.30000000000000004``); two fields of a struct are full
    columns, which it divides element by element: IEEE division.
    """
    pair = steps({"a": a.cast(F64), "b": b.cast(F64)}, {"q": pl.field("a") / pl.field("b")})
    return pair.struct.field("q")


def fmod(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """C's ``fmod``: the remainder of ``a / b`` truncated toward zero, with the sign of ``a``.

    Exact wherever the truncated quotient is below 2**53 (:func:`fmod_quotient_too_large` marks
    the rest): ``|a| - q * |b|`` with the product split exactly in two doubles (Dekker's product),
    the first difference exact by Sterbenz's lemma, and one correction where the rounded quotient
    overshot. Magnitudes near the ends of the double range are scaled by a power of two first.
    """
    x, y, ax, ay = pl.field("x"), pl.field("y"), pl.field("ax"), pl.field("ay")
    sx, sy, q, r = pl.field("sx"), pl.field("sy"), pl.field("q"), pl.field("r")
    scale = pl.when(ay > 2.0**900).then(2.0**-200).when(ay < 2.0**-900).then(2.0**200)
    built = steps(
        {"x": a.cast(F64), "y": b.cast(F64)},
        {"ax": x.abs(), "ay": y.abs(), "one": pl.lit(1.0)},
        {"scale": scale.otherwise(1.0)},
        {"sx": ax * pl.field("scale"), "sy": ay * pl.field("scale")},
        {"q": (sx / sy).floor()},
        *two_product_steps(q, sy),
        {"r": (sx - pl.field("p")) - pl.field("e")},
        {"r": pl.when(r < 0).then(r + sy).when(r >= sy).then(r - sy).otherwise(r)},
        {"r": pl.when(ay.is_infinite() | (ax < ay)).then(ax).otherwise(r / pl.field("scale"))},
        {"negative": (x < 0) | ((x == 0) & ((pl.field("one") / x) < 0))},
        {"r": pl.when(pl.field("negative")).then(-r).otherwise(r)},
        {"r": pl.when(x.is_nan() | y.is_nan() | x.is_infinite() | (y == 0)).then(float("nan"))
         .otherwise(r)},
    )  # fmt: skip
    return built.struct.field("r")


def fmod_quotient_too_large(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """Where :func:`fmod` cannot be exact: a finite quotient ``|a / b|`` of 2**53 or more."""
    x, y = pl.field("x"), pl.field("y")
    built = steps(
        {"x": a.cast(F64), "y": b.cast(F64)},
        {"q": x.abs() / y.abs()},
        {"wide": (pl.field("q") >= _EXACT_INT) & x.is_finite() & y.is_finite() & (y != 0)},
    )
    return built.struct.field("wide")


def two_product_steps(a: pl.Expr, b: pl.Expr, *, prefix: str = "") -> list[dict[str, pl.Expr]]:
    """Dekker's product as struct steps: ``a * b == p + e`` exactly, ``p`` the rounded product
    (fields ``p`` and ``e``, or ``<prefix>_p`` and ``<prefix>_e``).

    Veltkamp's split (``* (2**27 + 1)``) cuts each factor into halves of at most 26 significant
    bits, whose products are exact.
    """

    def name(n: str) -> str:
        return f"{prefix}_{n}" if prefix else n

    t, u, p = pl.field(name("_t")), pl.field(name("_u")), pl.field(name("p"))
    ah, al = pl.field(name("_ah")), pl.field(name("_al"))
    bh, bl = pl.field(name("_bh")), pl.field(name("_bl"))
    return [
        {name("p"): a * b, name("_t"): a * 134217729.0, name("_u"): b * 134217729.0},
        {name("_ah"): t - (t - a), name("_bh"): u - (u - b)},
        {name("_al"): a - ah, name("_bl"): b - bh},
        {name("e"): ((ah * bh - p) + ah * bl + al * bh) + al * bl},
    ]


#: ln(10) as the sum of two doubles (the second holds the bits the first cannot).
_LN10_HI = 2.302585092994046
_LN10_LO = -2.1707562233822494e-16


def log10(x: pl.Expr) -> pl.Expr:
    """``log10`` of a positive double: exact at powers of ten, elsewhere within one unit in the last
    place of C's ``log10``: ``ln(x) / ln(10)`` with ln(10) in double-double and one correction."""
    ln, hi, q, y = pl.field("ln"), pl.field("hi"), pl.field("q"), pl.field("y")
    built = steps(
        {"x": x.cast(F64)},
        {"ln": pl.field("x").log(), "hi": pl.lit(_LN10_HI)},
        {"q": ln / hi},
        *two_product_steps(q, hi),
        {"y": q + (((ln - pl.field("p")) - pl.field("e")) - q * _LN10_LO) / hi},
        {"k": y.round()},
        {"y": pl.when(pl.lit(10.0).pow(pl.field("k")) == pl.field("x")).then(pl.field("k"))
         .otherwise(y)},
    )  # fmt: skip
    return built.struct.field("y")
