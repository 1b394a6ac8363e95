"""A dependency-free terminal progress line for long writes such as :func:`dashboard.seed.seed_store`."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["TerminalProgress"]


class TerminalProgress:
    """Draw ``progress(label, done, total)`` reports as one line on stderr: a bar, counts and rate.

    Several labels (e.g. collections) may report; the bar shows their combined progress once every
    reported label has a total, and the line names the label reported last. Redraws are throttled to
    ``1 / interval`` per second (on a non-terminal stream: a plain line every ``log_interval`` s). The
    line ends with a newline when everything reported is complete, or on :meth:`close`.
    """

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        width: int = 24,
        interval: float = 0.1,
        log_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = sys.stderr if stream is None else stream
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._interval = interval if self._tty else log_interval
        self._width = width
        self._clock = clock
        self._done: dict[str, int] = {}
        self._total: dict[str, int | None] = {}
        self._label = ""
        self._started: float | None = None
        self._drawn_at = float("-inf")
        self._open = False  # a line is on screen without its newline
        self._length = 0

    def __call__(self, label: str, done: int, total: int | None) -> None:
        """Record a report and redraw if the throttle allows (always when everything is complete)."""
        now = self._clock()
        if self._started is None:
            self._started = now
        self._done[label], self._total[label], self._label = done, total, label
        complete = self._complete()
        if complete or now - self._drawn_at >= self._interval:
            self._draw(now)
        if complete:
            self.close()

    def close(self) -> None:
        """End the line (idempotent)."""
        if self._open:
            self._stream.write("\n")
            self._stream.flush()
            self._open = False

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _complete(self) -> bool:
        totals = list(self._total.values())
        return None not in totals and all(self._done[k] >= (t or 0) for k, t in self._total.items())

    def _draw(self, now: float) -> None:
        self._drawn_at = now
        line = self._render(now)
        if self._tty:
            self._stream.write("\r" + line.ljust(self._length))
            self._length, self._open = len(line), True
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def _render(self, now: float) -> str:
        """``[#########...............]  38%  expenses 310,201/812,345  41,200/s``: the bar and the
        percentage cover every label, the counts the label reported last (no bar without totals)."""
        done_all = sum(self._done.values())
        elapsed = max(now - (self._started or now), 1e-9)
        rate = f"{done_all / elapsed:,.0f}/s" if now > (self._started or now) else "-/s"
        done, total = self._done[self._label], self._total[self._label]
        counts = f"{done:,}/{total:,}" if total is not None else f"{done:,}"
        totals = list(self._total.values())
        if None in totals:
            return f"{self._label} {counts}  {rate}"
        total_all = sum(t or 0 for t in totals)
        fraction = 1.0 if total_all == 0 else min(done_all / total_all, 1.0)
        filled = round(fraction * self._width)
        bar = "#" * filled + "." * (self._width - filled)
        return f"[{bar}] {fraction:4.0%}  {self._label} {counts}  {rate}"
