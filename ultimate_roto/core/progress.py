"""One Progress object for GUI and batch: fractions, messages, pause and cancel."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ultimate_roto.core.errors import Cancelled

ProgressCallback = Callable[[float, str], None]


class Progress:
    """Progress reporting and cooperative cancellation.

    Engines and pipelines call :meth:`report` and :meth:`check_aborted` between frames or
    tiles; a GUI or the batch console installs a callback and calls :meth:`abort`.

    Parameters
    ----------
    callback
        Called as ``callback(fraction, message)`` on every report (from the worker thread).
    """

    def __init__(self, callback: ProgressCallback | None = None) -> None:
        self._callback = callback
        self._abort = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self.fraction = 0.0
        self.message = ""
        self.started = time.monotonic()

    # -- reporting -------------------------------------------------------------------------
    def report(self, fraction: float, message: str = "") -> None:
        """Report overall progress in [0, 1] and check for cancellation."""
        self.fraction = min(1.0, max(0.0, float(fraction)))
        if message:
            self.message = message
        if self._callback is not None:
            self._callback(self.fraction, self.message)
        self.check_aborted()

    def eta_seconds(self) -> float | None:
        """Estimated seconds left, from the elapsed time and the last fraction."""
        if self.fraction <= 0.0:
            return None
        elapsed = time.monotonic() - self.started
        return elapsed * (1.0 - self.fraction) / self.fraction

    def sub_progress(self, start: float, end: float) -> SubProgress:
        """A view mapping [0, 1] onto [start, end] of this progress."""
        return SubProgress(self, start, end)

    # -- control ---------------------------------------------------------------------------
    def abort(self) -> None:
        """Ask the work to stop; the next :meth:`check_aborted` raises :class:`Cancelled`."""
        self._abort.set()
        self._resume.set()

    @property
    def aborted(self) -> bool:
        return self._abort.is_set()

    def pause(self) -> None:
        self._resume.clear()

    def resume(self) -> None:
        self._resume.set()

    def check_aborted(self) -> None:
        """Raise :class:`Cancelled` if aborted; block (without polling) while paused."""
        self._resume.wait()
        if self._abort.is_set():
            raise Cancelled()


class SubProgress:
    """A slice [start, end] of a parent :class:`Progress`, with the same control surface."""

    def __init__(self, parent: Progress | SubProgress, start: float, end: float) -> None:
        self._parent = parent
        self._start = start
        self._end = end

    def report(self, fraction: float, message: str = "") -> None:
        f = min(1.0, max(0.0, float(fraction)))
        self._parent.report(self._start + (self._end - self._start) * f, message)

    def sub_progress(self, start: float, end: float) -> SubProgress:
        return SubProgress(self, start, end)

    def check_aborted(self) -> None:
        self._parent.check_aborted()

    @property
    def aborted(self) -> bool:
        return self._parent.aborted
