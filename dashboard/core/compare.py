"""The one rule for every "vs previous period" and "vs last year" in the app.

A relative change is only worth showing when the period it is measured against really holds data.
A period that lies before the first record, or that has nothing in it, gives a change of "+629562 %"
or none at all; a period that the data covers only in part gives a change that compares a few weeks
with a year. :func:`compare` decides which case applies and :class:`Comparison` says it in words:

- reference period entirely before the data starts → ``"no data before Dec 2025"``;
- reference period with no data (or a reference figure of 0) → ``"nothing in the previous period"``;
- reference period covered for less than half of its days → ``"only 12 of 365 days have data"``;
- covered for at least half but not all of its days → the change, marked ``partial``;
- otherwise → the change (``"+12%"``).

Pages, tables and exports render :meth:`Comparison.text` (or :attr:`Comparison.change` where a
number is needed, e.g. for sorting) and never compute a change themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

__all__ = ["MIN_COVERAGE", "Comparison", "Reference", "compare", "format_change"]

#: Below this share of its days covered by data, a reference period gives no percentage.
MIN_COVERAGE = 0.5

Reference = Literal["previous", "last_year"]
_REFERENCE_WORDS = {"previous": "the previous period", "last_year": "the same period last year"}


def format_change(change: float) -> str:
    """``+12%``, ``-3%``, ``+1,250%``; under 1 % in size with one decimal (``+0.4%``)."""
    pct = change * 100
    if pct != 0 and abs(pct) < 1:
        return f"{pct:+.1f}%"
    return f"{pct:+,.0f}%"


@dataclass(frozen=True)
class Comparison:
    """A figure measured against the same figure over a reference period.

    ``change`` is the relative change (0.25 = +25 %) when it is meaningful, else None and ``note``
    says why in words. ``partial`` is true when the reference period has data for only part of
    its days (the change is still given, flagged).
    """

    change: float | None
    note: str | None = None
    partial: bool = False
    points: bool = False

    def _number(self, change: float) -> str:
        return f"{change * 100:+.1f} pts" if self.points else format_change(change)

    def text(self) -> str:
        """What a reader sees: ``+12%``, ``+12% (partial period)``, or the note."""
        if self.change is None:
            return self.note or "no comparison"
        if self.partial:
            return f"{self._number(self.change)} (partial period)"
        return self._number(self.change)

    def delta(self) -> str | None:
        """The change for ``st.metric(delta=...)``: only a real percentage, else None."""
        return None if self.change is None else self._number(self.change)


def _coverage(start: dt.date, end: dt.date, data_start: dt.date | None) -> float:
    """The share of ``start..end`` on or after ``data_start`` (1.0 when unknown)."""
    if data_start is None or data_start <= start:
        return 1.0
    if data_start > end:
        return 0.0
    days = (end - start).days + 1
    return ((end - data_start).days + 1) / days


def compare(
    current: float | None,
    reference: float | None,
    *,
    start: dt.date,
    end: dt.date,
    data_start: dt.date | None,
    against: Reference = "previous",
    points: bool = False,
) -> Comparison:
    """``current`` against ``reference``, the same figure for the days ``start..end``.

    ``data_start`` is the first day the data holds (the first expense, request or sign-up); None
    when there is no data at all. With ``points`` the change is the difference (for shares:
    0.62 against 0.60 is +2 points, returned as 0.02), not a ratio.
    """
    words = _REFERENCE_WORDS[against]
    if data_start is None or data_start > end:
        since = f" before {data_start:%b %Y}" if data_start is not None else ""
        return Comparison(None, f"no data{since}")
    coverage = _coverage(start, end, data_start)
    if coverage < MIN_COVERAGE:
        covered = (end - data_start).days + 1
        total = (end - start).days + 1
        return Comparison(None, f"only {covered:,} of {total:,} days have data")
    if current is None:
        return Comparison(None, "no figure for this period")
    if reference is None or (reference == 0 and not points):
        return Comparison(None, f"nothing in {words}")
    change = current - reference if points else (current - reference) / abs(reference)
    return Comparison(change, None, partial=coverage < 1.0, points=points)
