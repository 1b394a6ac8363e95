"""Double arithmetic done exactly where Polars approximates it, with NumPy over whole batches.

Shared by the arithmetic and numeric expression operators and the window functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

__all__ = ["numpy_unary", "true_div"]


def true_div(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """IEEE division of doubles, ``a / b`` correctly rounded in every row.

    Polars divides a column by a constant by multiplying with its reciprocal (``3 / 10`` gives
    ``0.30000000000000004``), so the quotient is computed with NumPy over the whole batch instead.
    """

    def divide(s: pl.Series) -> pl.Series:
        x = s.struct.field("a").to_numpy()
        y = s.struct.field("b").to_numpy()
        with np.errstate(all="ignore"):
            return pl.Series(s.name, np.divide(x, y), dtype=pl.Float64)

    pair = pl.struct(a.cast(pl.Float64).alias("a"), b.cast(pl.Float64).alias("b"))
    out = pair.map_batches(divide, return_dtype=pl.Float64, is_elementwise=True)
    return pl.when(a.is_null() | b.is_null()).then(None).otherwise(out)


def numpy_unary(x: pl.Expr, fn: Callable[[Any], Any]) -> pl.Expr:
    """A NumPy ufunc over a double column (C's libm where Polars approximates, e.g. ``log10``)."""

    def apply(s: pl.Series) -> pl.Series:
        with np.errstate(all="ignore"):
            return pl.Series(s.name, fn(s.cast(pl.Float64).to_numpy()), dtype=pl.Float64)

    out = x.cast(pl.Float64).map_batches(apply, return_dtype=pl.Float64, is_elementwise=True)
    return pl.when(x.is_null()).then(None).otherwise(out)
