"""Insights over one user's expenses: what recurs (subscriptions, rent) and what is unusually high.

Both are plain statistics a user can check by hand, and every flagged row carries a one-line
``reason`` saying why it was picked.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from dashboard.core.money import format_money

__all__ = [
    "INTERVALS",
    "RECURRING_SCHEMA",
    "UNUSUAL_SCHEMA",
    "recurring_expenses",
    "unusual_expenses",
]

#: (label, shortest gap, longest gap, calendar step to the next payment), in days.
INTERVALS: tuple[tuple[str, float, float, str], ...] = (
    ("weekly", 6, 8, "1w"),
    ("every 2 weeks", 12, 16, "2w"),
    ("monthly", 28, 31, "1mo"),
    ("quarterly", 89, 92, "3mo"),
    ("yearly", 364, 366, "1y"),
)
#: Share of the gaps between payments that must fall in the interval's band.
REGULAR_SHARE = 0.75

RECURRING_SCHEMA: dict[str, pl.DataType] = {
    "description": pl.String(),
    "category": pl.String(),
    "typical_amount": pl.Float64(),
    "interval": pl.String(),
    "interval_days": pl.Float64(),
    "occurrences": pl.Int64(),
    "last_date": pl.Date(),
    "next_expected": pl.Date(),
    "reason": pl.String(),
}

#: ``date`` keeps the input's type (the user's zone); ``Datetime("ms")`` shown as a stand-in.
UNUSUAL_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "date": pl.Datetime("ms"),
    "category": pl.String(),
    "description": pl.String(),
    "amount": pl.Float64(),
    "category_median": pl.Float64(),
    "robust_z": pl.Float64(),
    "reason": pl.String(),
}

_EXPENSE_COLUMNS = ("id", "date", "category", "description", "amount")
# 0.6745 × (x − median) / MAD is the modified z-score (Iglewicz & Hoaglin); when MAD is 0 the scale
# falls back to 1.2533 × mean absolute deviation (both estimate one standard deviation).
_MAD_FACTOR = 0.6745
_MEAN_AD_FACTOR = 1.2533
_EPSILON = 1e-9


def recurring_expenses(
    expenses: pl.DataFrame,
    *,
    today: date,
    min_occurrences: int = 3,
    amount_tolerance: float = 0.15,
    currency: str = "USD",
) -> pl.DataFrame:
    """Find expenses that repeat at a regular interval for about the same amount.

    Expenses are grouped by normalised description (lowercase; digits, punctuation and extra
    spaces removed, so ``"Netflix #123"`` and ``"NETFLIX"`` match). A group recurs when it has at
    least ``min_occurrences`` expenses, every amount is within ``amount_tolerance`` (a fraction) of
    the group's median, the median gap between consecutive local dates falls in one of the
    :data:`INTERVALS` bands, and at least 75% of the gaps fall in that band too.

    Expenses dated after ``today`` are ignored, and so are series that have stopped: the last
    payment is more than two intervals before ``today``.

    Returns
    -------
    pl.DataFrame
        :data:`RECURRING_SCHEMA`, largest ``typical_amount`` first. ``description`` and ``category``
        are the group's most frequent ones, ``typical_amount`` the median amount, ``interval_days``
        the median gap, and ``next_expected`` the last date plus one interval, stepped on the
        calendar (monthly: same day next month, clamped to the month's end; weekly: 7 days).

    Examples
    --------
    >>> from datetime import datetime
    >>> expenses = pl.DataFrame({
    ...     "id": ["a", "b", "c"],
    ...     "date": [datetime(2026, 9, 3), datetime(2026, 10, 3), datetime(2026, 11, 3)],
    ...     "category": ["Fun"] * 3,
    ...     "description": ["Netflix #1", "NETFLIX", "netflix"],
    ...     "amount": [15.99, 15.99, 15.99],
    ... })
    >>> recurring_expenses(expenses, today=date(2026, 11, 20))["reason"].item()
    '3 payments of about $15.99, monthly (every ~31 days), last on 03 Nov 2026'
    """
    if min_occurrences < 2:
        raise ValueError(f"min_occurrences must be at least 2, got {min_occurrences}")
    if amount_tolerance < 0:
        raise ValueError(f"amount_tolerance must not be negative, got {amount_tolerance}")
    frame = _expenses(expenses)
    if frame is None:
        return pl.DataFrame(schema=RECURRING_SCHEMA)

    base = (
        frame.lazy()
        .select(
            "description",
            "category",
            pl.col("amount").cast(pl.Float64),
            day=pl.col("date").dt.date(),
            key=_normalise(pl.col("description")),
        )
        .filter(
            pl.col("key").is_not_null(),
            pl.col("key") != "",
            pl.col("amount").is_not_null(),
            pl.col("day") <= today,
        )
    )
    gap = pl.col("gap")
    median_gap = pl.col("median_gap")
    low, high = _band(median_gap, 1), _band(median_gap, 2)
    typical = pl.col("amount").median()
    series = (
        base.sort("key", "day")
        .with_columns(gap=pl.col("day").diff().dt.total_days().over("key").cast(pl.Float64))
        .with_columns(median_gap=gap.median().over("key"))
        .with_columns(in_band=gap.is_between(low, high).cast(pl.Float64))
        .group_by("key")
        .agg(
            occurrences=pl.len().cast(pl.Int64),
            typical_amount=typical,
            largest_deviation=(pl.col("amount") - typical).abs().max(),
            interval=_band(median_gap, 0).first(),
            step=_band(median_gap, 3).first(),
            interval_days=median_gap.first(),
            regular_share=pl.col("in_band").mean(),
            last_date=pl.col("day").max(),
        )
        .filter(
            pl.col("occurrences") >= min_occurrences,
            pl.col("typical_amount") > 0,
            pl.col("largest_deviation") <= pl.col("typical_amount") * (amount_tolerance + _EPSILON),
            pl.col("interval").is_not_null(),
            pl.col("regular_share") >= REGULAR_SHARE,
            (pl.lit(today) - pl.col("last_date")).dt.total_days() <= 2 * pl.col("interval_days"),
        )
    )
    reason = pl.format(
        "{} payments of about {}, {} (every ~{} days), last on {}",
        "occurrences",
        _money("typical_amount"),
        "interval",
        _fixed(pl.col("interval_days"), 0),
        pl.col("last_date").dt.to_string("%d %b %Y"),
    )
    return (
        series.join(_most_frequent(base, "description"), on="key", how="left")
        .join(_most_frequent(base, "category"), on="key", how="left")
        .with_columns(
            next_expected=pl.col("last_date").dt.offset_by(pl.col("step")),
            reason=reason,
        )
        .sort(["typical_amount", "description"], descending=[True, False])
        .select(pl.col(name).cast(dtype) for name, dtype in RECURRING_SCHEMA.items())
        .collect()
        .pipe(_with_money, currency)
    )


def unusual_expenses(
    expenses: pl.DataFrame,
    *,
    threshold: float = 3.5,
    min_category_size: int = 8,
    currency: str = "USD",
) -> pl.DataFrame:
    """Flag expenses far above what is usual for their category (robust z-score).

    Within each category of at least ``min_category_size`` expenses,
    ``z = 0.6745 × (amount − median) / MAD`` (MAD: median absolute deviation from the median). When
    MAD is 0 (most amounts identical), ``z = (amount − median) / (1.2533 × MeanAD)`` instead, with
    MeanAD the mean absolute deviation from the median; a category where that is 0 too (all
    amounts equal) is skipped. Only unusually *high* amounts are flagged: ``z > threshold``.

    Returns
    -------
    pl.DataFrame
        :data:`UNUSUAL_SCHEMA` (``date`` as given), highest ``robust_z`` first.

    Examples
    --------
    >>> from datetime import datetime
    >>> amounts = [10.0, 11.0, 12.0, 12.0, 13.0, 14.0, 12.0, 11.0, 95.0]
    >>> expenses = pl.DataFrame({
    ...     "id": [str(n) for n in range(9)],
    ...     "date": [datetime(2026, 11, n + 1) for n in range(9)],
    ...     "category": ["Food"] * 9,
    ...     "description": ["lunch"] * 9,
    ...     "amount": amounts,
    ... })
    >>> unusual_expenses(expenses)["reason"].item()
    '7.9× your typical Food expense of $12.00'
    """
    if threshold < 0:
        raise ValueError(f"threshold must not be negative, got {threshold}")
    if min_category_size < 1:
        raise ValueError(f"min_category_size must be at least 1, got {min_category_size}")
    frame = _expenses(expenses)
    if frame is None:
        date_type = expenses.schema.get("date", UNUSUAL_SCHEMA["date"])
        return pl.DataFrame(schema={**UNUSUAL_SCHEMA, "date": date_type})

    amount, median = pl.col("amount"), pl.col("category_median")
    deviation = (amount - median).abs()
    scale = (
        pl.when(pl.col("mad") > 0)
        .then(pl.col("mad") / _MAD_FACTOR)
        .when(pl.col("mean_ad") > 0)
        .then(pl.col("mean_ad") * _MEAN_AD_FACTOR)
    )
    name = pl.col("category").fill_null("uncategorised")
    reason = (
        pl.when(median > 0)
        .then(
            pl.format(
                "{}× your typical {} expense of {}",
                _fixed(amount / median, 1),
                name,
                _money("category_median"),
            )
        )
        .otherwise(
            pl.format(
                "{} against a typical {} expense of {}",
                _money("amount"),
                name,
                _money("category_median"),
            )
        )
    )
    return (
        frame.lazy()
        .select("id", "date", "category", "description", amount.cast(pl.Float64))
        .filter(amount.is_not_null())
        .with_columns(
            size=pl.len().over("category"), category_median=amount.median().over("category")
        )
        .filter(pl.col("size") >= min_category_size)
        .with_columns(
            mad=deviation.median().over("category"), mean_ad=deviation.mean().over("category")
        )
        .with_columns(robust_z=(amount - median) / scale)
        .filter(pl.col("robust_z") > threshold)
        .with_columns(reason=reason)
        .sort(["robust_z", "date", "id"], descending=[True, False, False])
        .select(
            pl.col(column).cast(dtype) if column != "date" else pl.col(column)
            for column, dtype in UNUSUAL_SCHEMA.items()
        )
        .collect()
        .pipe(_with_money, currency)
    )


def _expenses(expenses: pl.DataFrame) -> pl.DataFrame | None:
    """The expenses to analyse, or ``None`` when there are none; missing columns are an error."""
    if expenses.height == 0:
        return None
    missing = [column for column in _EXPENSE_COLUMNS if column not in expenses.columns]
    if missing:
        raise ValueError(f"expenses is missing column(s) {', '.join(missing)}")
    return expenses


def _normalise(description: pl.Expr) -> pl.Expr:
    """Lowercase letters only, single-spaced: ``"Netflix #123"`` → ``"netflix"``."""
    return (
        description.str.to_lowercase()
        .str.replace_all(r"[^\p{L}\s]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _band(median_gap: pl.Expr, field: int) -> pl.Expr:
    """Field ``field`` of the :data:`INTERVALS` entry whose band holds ``median_gap`` (else null)."""
    chain = pl.when(median_gap.is_between(INTERVALS[0][1], INTERVALS[0][2])).then(
        pl.lit(INTERVALS[0][field])
    )
    for entry in INTERVALS[1:]:
        chain = chain.when(median_gap.is_between(entry[1], entry[2])).then(pl.lit(entry[field]))
    return chain.otherwise(None)


def _most_frequent(base: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Per group key, the most frequent value of ``column`` (ties: the latest used, then A–Z)."""
    return (
        base.group_by("key", column)
        .agg(count=pl.len(), latest=pl.col("day").max())
        .sort(
            ["key", "count", "latest", column],
            descending=[False, True, True, False],
            nulls_last=True,
        )
        .unique(subset="key", keep="first", maintain_order=True)
        .select("key", column)
    )


def _money(column: str) -> pl.Expr:
    """A slot for ``column``'s amount in a reason, written out by :func:`_with_money`."""
    return pl.lit(f"\x00{column}\x00")


def _with_money(frame: pl.DataFrame, currency: str) -> pl.DataFrame:
    """The reasons with their amount slots filled by :func:`format_money` ("$1,234.50").

    Done on the (small) result rather than inside the query: a Python callback inside a Polars
    query can deadlock the process (see ``dashboard.store.embedded.runtime_errors``).
    """
    columns = [c for c in ("typical_amount", "amount", "category_median") if c in frame.columns]
    reasons: list[str | None] = []
    for row in frame.select("reason", *columns).iter_rows(named=True):
        text = row["reason"]
        for column in columns:
            if text is not None:
                text = text.replace(f"\x00{column}\x00", format_money(row[column], currency))
        reasons.append(text)
    return frame.with_columns(pl.Series("reason", reasons, dtype=pl.String))


def _fixed(value: pl.Expr, decimals: int) -> pl.Expr:
    """``value`` as text with ``decimals`` decimals, halves rounded away from zero (vectorised)."""
    unit = 10**decimals
    scaled = (value.abs() * unit + 0.5).floor().cast(pl.Int64)
    sign = pl.when((value < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (scaled // unit).cast(pl.String)
    if decimals == 0:
        return pl.concat_str(sign, whole)
    fraction = (scaled % unit).cast(pl.String).str.zfill(decimals)
    return pl.concat_str(sign, whole, pl.lit("."), fraction)
