"""The buffer of page script durations that the shell fills on every page view.

:func:`dashboard.app.shell.run` times every ``page.run()`` with :meth:`PageTimings.measure` on the
process-wide :data:`PAGE_TIMINGS`; the System performance page compares them with the scaling
notes' "page load < 2 s" (:func:`dashboard.views.system.page_durations`). The duration is the
server-side script run (queries, shaping, figure building), not the browser's rendering. Like the
store's :class:`~dashboard.store.timings.CommandTimings`, it covers this process only.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from dashboard.core.timings import CONTROL_FLOW, TimingBuffer

__all__ = ["PAGE_TIMINGS", "PageTiming", "PageTimings"]


@dataclass(frozen=True, slots=True)
class PageTiming:
    """One page script run."""

    at: datetime
    page: str
    duration_ms: float
    #: "ok", "stopped" (st.stop), "rerun" (st.rerun, st.switch_page) or the error's class name.
    outcome: str


_SCHEMA = {
    "at": pl.Datetime("us", "UTC"),
    "page": pl.String,
    "duration_ms": pl.Float64,
    "outcome": pl.String,
}


class PageTimings(TimingBuffer[PageTiming]):
    """The last ``maxlen`` page runs of this process."""

    def __init__(self, maxlen: int = 5_000) -> None:
        super().__init__(PageTiming, _SCHEMA, maxlen=maxlen, outcomes=CONTROL_FLOW)

    def measure(self, page: str) -> AbstractContextManager[None]:
        """Time the body as a run of ``page``."""
        return self.timed(page=page)


#: The buffer of this process, shared by every session.
PAGE_TIMINGS = PageTimings()
