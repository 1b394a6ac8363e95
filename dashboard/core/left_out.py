"""Expenses left out of the figures because their data is unusable, and the notice that counts them.

The Expense Tracker's documents are not ours to trust: an amount can be missing, null, NaN, ±infinite,
a string or absurdly large, a category or currency null or empty, a date missing, not a date or out
of range, an owner (``userId``) missing. One
rule (:mod:`queries.validity`) keeps such an expense out of every total, chart and export, and a
count query says how many were left out and why, so a page can say so instead of crashing or adding
``NaN`` to a total. This module holds what the rule and the pages share: the reasons, in the order an
expense is checked (each expense is counted once, under its first problem), the amount limit, and
the counted notice.

>>> LeftOut({"amount": 3}).notice()
'3 expenses with an invalid amount were left out.'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["AMOUNT_LIMIT", "DATE_RANGE", "REASONS", "LeftOut"]

#: The largest amount (in absolute value, in currency units) an expense may have: a trillion.
#: In whole cents that is 1e14, so ``round(amount * 100)`` is exact on a double (spacing 1/64
#: there) and a sum of up to 90 such expenses stays below 2**53 cents, exact; larger values are
#: data errors (``1e308``), not spending.
AMOUNT_LIMIT = 1e12

#: The dates an expense may have: from 1970 up to, not including, 2100. Anything else is a data error
#: (a year 1 or 9999 typed by mistake, a timestamp read in the wrong unit) that no period shows, and
#: dates past year 9999 cannot even be read back into Python.
DATE_RANGE: tuple[datetime, datetime] = (
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
)

#: Why an expense is left out, in the order it is checked, with how a notice names it.
REASONS: dict[str, str] = {
    "date": "without a valid date",
    "amount": "with an invalid amount",
    "category": "without a category",
    "currency": "without a currency",
    "owner": "without an owner",
}


@dataclass(frozen=True)
class LeftOut:
    """How many expenses were left out, per reason of :data:`REASONS` (absent reasons count 0)."""

    counts: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.counts) - set(REASONS)
        if unknown:
            msg = f"unknown reasons {sorted(unknown)}; expected some of {', '.join(REASONS)}"
            raise ValueError(msg)

    @property
    def total(self) -> int:
        """How many expenses were left out, whatever the reason."""
        return sum(int(n) for n in self.counts.values())

    def notice(self) -> str | None:
        """``"3 expenses with an invalid amount and 1 expense without a category were left out."``,
        or ``None`` when nothing was left out."""
        parts = [
            f"{n:,} {'expense' if n == 1 else 'expenses'} {REASONS[reason]}"
            for reason in REASONS
            if (n := int(self.counts.get(reason, 0))) > 0
        ]
        if not parts:
            return None
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        verb = "was" if self.total == 1 else "were"
        return f"{listed} {verb} left out."
