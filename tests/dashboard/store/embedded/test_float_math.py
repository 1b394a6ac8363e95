"""Double arithmetic built from Polars kernels: IEEE division, C's ``fmod``, ``log10``.

Expected values come from a second implementation: Python's own ``/``, ``math.fmod`` (C's
``fmod``, which the manual's ``$mod`` page names for doubles) and exact powers of ten.
"""

from __future__ import annotations

import math
import random
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from typing import Any

import polars as pl
import pytest

from dashboard.store.embedded.float_math import fmod, fmod_quotient_too_large, log10, true_div
from dashboard.store.errors import UnsupportedOperation
from tests.dashboard.store.embedded.conftest import RunFn


def _same(a: float, b: float) -> bool:
    """Equal as doubles, including the sign of zero, with NaN equal to NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _c_fmod(x: float, y: float) -> float:
    try:
        return math.fmod(x, y)
    except ValueError:  # fmod(inf, y) and fmod(x, 0) are NaN in C
        return math.nan


_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.1, 0.3, 7.5, -7.5, 1e-320, 5e-324, 1e308, math.inf, -math.inf]


def _pairs() -> list[tuple[float, float]]:
    rng = random.Random(16)
    scales = [1.0, 1e-20, 1e20, 1e-300, 1e300, 1e-310]
    xs = [rng.uniform(-1e6, 1e6) * rng.choice(scales) for _ in range(4000)] + _SPECIAL
    ys = [10.0, 3.0, 0.1, -2.5, 1e-300, 0.3, 1e20, 1e305, 5e-324, math.inf, 0.0, math.nan]
    return [(x, rng.choice(ys)) for x in xs] + [(x, y) for x in _SPECIAL for y in ys]


def test_division_is_ieee_division_even_by_a_constant() -> None:
    # Polars multiplies by the reciprocal of a scalar divisor: 3 * (1 / 10) = 0.30000000000000004.
    values = [3.0, 0.3, 7.0, 1e308, 5e-324, -0.0, 2.0 / 3.0]
    out = pl.DataFrame({"a": values}).select(true_div(pl.col("a"), pl.lit(10.0)))
    assert out.to_series().to_list() == [v / 10.0 for v in values]


def test_division_by_an_aggregate_in_a_group_is_ieee_division() -> None:
    frame = pl.DataFrame({"g": [1, 1, 2], "a": [1.0, 2.0, 0.3]})
    out = frame.group_by("g", maintain_order=True).agg(
        true_div(pl.col("a").sum(), pl.lit(10.0)).alias("r")
    )
    assert out.get_column("r").to_list() == [3.0 / 10.0, 0.3 / 10.0]


def test_fmod_is_c_fmod_wherever_it_answers() -> None:
    pairs = _pairs()
    frame = pl.DataFrame({"x": [x for x, _ in pairs], "y": [y for _, y in pairs]})
    out = frame.select(
        r=fmod(pl.col("x"), pl.col("y")), wide=fmod_quotient_too_large(pl.col("x"), pl.col("y"))
    )
    wrong = [
        (x, y, r, _c_fmod(x, y))
        for (x, y), r, wide in zip(pairs, out.get_column("r"), out.get_column("wide"), strict=True)
        if not wide and not _same(r, _c_fmod(x, y))
    ]
    assert wrong == []
    # The refused share is the quotients of 2**53 and more, which a random mix holds many of.
    assert 0 < out.get_column("wide").sum() < len(pairs)


@pytest.mark.parametrize(
    ("x", "expected"), [(1.0, 0.0), (10.0, 1.0), (1000.0, 3.0), (1e22, 22.0), (1e-5, -5.0)]
)
def test_log10_is_exact_at_powers_of_ten(x: float, expected: float) -> None:
    assert pl.select(log10(pl.lit(x))).item() == expected


def test_log10_is_within_one_unit_in_the_last_place() -> None:
    rng = random.Random(10)
    values = [rng.uniform(1e-6, 1e6) for _ in range(2000)]
    out = pl.DataFrame({"x": values}).select(log10(pl.col("x"))).to_series().to_list()
    assert all(abs(o - math.log10(v)) <= math.ulp(math.log10(v)) for o, v in zip(out, values))


def _project(expr: Any) -> list[dict[str, Any]]:
    fields = expr if isinstance(expr, dict) and "r" in expr else {"r": expr}
    return [{"$project": {"_id": 0, **fields}}]


def test_mod_of_doubles_through_a_pipeline(run: RunFn) -> None:
    # $mod "uses the C fmod" for doubles: fmod(0.3, 0.1) = 0.09999999999999998, sign of the dividend
    docs = [{"a": 0.3, "b": 0.1}, {"a": -7.5, "b": 2.0}, {"a": 1e-20, "b": -1.0}]
    out = run(docs, _project({"$mod": ["$a", "$b"]}))
    assert out == [{"r": math.fmod(d["a"], d["b"])} for d in docs]


def test_mod_of_doubles_with_a_huge_quotient_is_refused(run: RunFn) -> None:
    with pytest.raises(UnsupportedOperation, match=r"\$mod of doubles"):
        run([{"a": 1e300, "b": 3.0}], _project({"$mod": ["$a", "$b"]}))


@pytest.mark.parametrize("place", [0, 1, 2, -1])
def test_round_and_trunc_use_the_exact_decimal_value(run: RunFn, place: int) -> None:
    # Manual $round: "rounds to the specified decimal place", half to even; $trunc truncates. The
    # double's exact decimal value decides (Decimal(x) is exact), so 2.675 (2.67499999…) → 2.67.
    rng = random.Random(place)
    values = [round(rng.uniform(-1000, 1000), rng.choice([1, 2, 3])) for _ in range(300)]
    values += [2.675, 0.125, -0.125, 2.5, -2.5, 1e-9, 12345.5]
    docs = [{"v": v} for v in values]
    out = run(docs, _project({"r": {"$round": ["$v", place]}, "t": {"$trunc": ["$v", place]}}))
    step = Decimal(1).scaleb(-place)
    want = [
        {
            "r": float(Decimal(v).quantize(step, rounding=ROUND_HALF_EVEN)),
            "t": float(Decimal(v).quantize(step, rounding=ROUND_DOWN)),
        }
        for v in values
    ]
    assert [o["r"] for o in out] == [w["r"] for w in want]
    assert [o["t"] for o in out] == [w["t"] for w in want]
