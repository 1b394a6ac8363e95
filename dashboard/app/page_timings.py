"""The buffer of page script durations that the shell fills on every page view.

:func:`dashboard.app.shell.run` times every ``page.run()`` with :meth:`PageTimings.measure` on the
process-wide :data:`PAGE_TIMINGS`; the System performance page compares them with the scaling
notes' "page load < 2 s" (:func:`dashboard.views.system.page_durations`). The duration is the
server-side script run (queries, shaping, figure building), not the browser's rendering. Like the
store's :class:`~dashboard.store.timings.CommandTimings`, it covers this process only.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl
from pymongo.errors import PyMongoError

from dashboard.core.timings import CONTROL_FLOW, TimingBuffer
from dashboard.data import page_load
from dashboard.store import Store

__all__ = ["PAGE_TIMINGS", "PageLoadFlusher", "PageTiming", "PageTimings"]

_log = logging.getLogger("spendlens.page_timings")


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


class PageLoadFlusher:
    """Every ``interval_s``, append this process's new page runs to ``page_load_minutely``, so the
    page-p95 alert sees every replica; a failed write is logged and retried with the next flush."""

    def __init__(
        self, store: Store, *, timings: PageTimings = PAGE_TIMINGS, interval_s: float = 60.0
    ) -> None:
        self._store = store
        self._timings = timings
        self._interval = interval_s
        self._since = datetime.now(UTC)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.replica = f"{socket.gethostname()}:{os.getpid()}"

    def flush(self) -> int:
        """Write the runs recorded since the last flush; return how many runs."""
        new = [t for t in self._timings.snapshot() if t.at > self._since]
        if not new:
            return 0
        page_load.record(self._store, ((t.at, t.duration_ms) for t in new), replica=self.replica)
        self._since = max(t.at for t in new)
        return len(new)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.flush()
            except (OSError, PyMongoError):
                _log.exception("could not record page load times; retrying with the next flush")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="page-load-flush", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.flush()
        except (OSError, PyMongoError):
            _log.exception("could not record the last page load times")
