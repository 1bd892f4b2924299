"""Background jobs on the window's own QThreadPool: one Progress each (ETA, Cancel), results via
queued signals, a newer job superseding an older one with the same tag."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from ultimate_roto.core.errors import Cancelled, RotoError
from ultimate_roto.core.progress import Progress

log = logging.getLogger(__name__)
Work = Callable[[Progress, Callable[[int, Any], None]], str]
#: ``apply(message) -> (state, message)`` on the GUI thread once the work succeeded.
Apply = Callable[[str], tuple[str, str]]


def job_threads(cores: int | None = None) -> int:
    """Threads of the jobs pool: two, up to one less than the cores (at most four).

    Jobs run ML engines and encoders that use several cores (or the GPU) each; more parallel
    jobs only make each slower. Interactive work (click segmentation, System probes) stays on
    Qt's global pool and frame decoding on the media session's executor, so a long job never
    queues them.
    """
    cores = cores or os.cpu_count() or 2
    return max(2, min(4, cores - 1))


class _Run(QRunnable):
    def __init__(self, job: QtJob) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:  # pool thread
        self.job._run()


class QtJob(QObject):
    """A unit of background work: ``work(progress, emit) -> summary``.

    ``work`` runs on a pool thread and calls ``emit(frame, payload)`` per result; the GUI
    receives ``started()`` when a pool thread picks it up, ``frame_done`` (queued),
    ``progressed(fraction, message, eta_s)`` (eta < 0 when unknown) and, once,
    ``finished(state, message)`` with state "done", "cancelled", "failed" or "dropped" (the
    work ended but its results no longer apply: superseded, or the document moved on).

    :meth:`cancel` aborts the Progress: a queued job never starts its work, a running one
    stops at its next check. ``cancellable=False`` marks work that never checks (a download,
    a hash): it can be cancelled only while queued. ``apply`` runs on the GUI thread when
    the work succeeded, before ``finished``, and may change the final state and message.
    """

    started = Signal()
    progressed = Signal(float, str, float)
    frame_done = Signal(int, object)
    finished = Signal(str, str)
    _started = Signal()
    _progress = Signal(float, str, float)
    _frame = Signal(int, object)
    _done = Signal(str, str)

    def __init__(
        self,
        job_id: str,
        title: str,
        work: Work,
        parent: QObject | None = None,
        *,
        cancellable: bool = True,
        tag: Hashable | None = None,
    ) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.title = title
        self.state = "queued"
        self.message = ""
        self.cancellable = cancellable
        self.tag = tag
        self.superseded = False
        self.apply: Apply | None = None
        self.ask_before_quit = True
        self._work = work
        self.progress = Progress(self._report)
        self._ended = threading.Event()
        queued = Qt.ConnectionType.QueuedConnection
        self._started.connect(self._begin, queued)
        self._progress.connect(self.progressed, queued)
        self._frame.connect(self.frame_done, queued)
        self._done.connect(self._finish, queued)

    def start(self, pool: QThreadPool | None = None) -> None:
        self.state = "queued"
        (pool or QThreadPool.globalInstance()).start(_Run(self))

    def cancel(self) -> None:
        """Ask the work to stop (it checks between frames; within about a second)."""
        self.progress.abort()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the work function returned (tests, shutdown); True when it did."""
        return self._ended.wait(max(0.0, timeout_s))

    @property
    def running(self) -> bool:
        """Not finished yet: queued on the pool or running there."""
        return self.state in ("queued", "running")

    def _report(self, fraction: float, message: str) -> None:
        eta = self.progress.eta_seconds()
        self._progress.emit(fraction, message, -1.0 if eta is None else eta)

    def _run(self) -> None:
        try:
            self.progress.check_aborted()  # cancelled while queued: never load an engine
            self._started.emit()
            summary = self._work(self.progress, self._frame.emit)
            state, message = "done", summary
        except Cancelled:
            state, message = "cancelled", f"{self.title}: cancelled"
        except (RotoError, ValueError, OSError) as exc:
            state, message = "failed", f"{self.title}: {exc}"
        except Exception as exc:  # report engine bugs instead of losing them on a pool thread
            log.exception("%s failed", self.title)
            state, message = "failed", f"{self.title}: {type(exc).__name__}: {exc}"
        self._ended.set()
        self._done.emit(state, message)

    def _begin(self) -> None:
        if self.state == "queued":
            self.state = "running"
            self.started.emit()

    def _finish(self, state: str, message: str) -> None:
        if state == "done" and self.superseded:
            state, message = "dropped", f"{self.title}: superseded by a newer run"
        elif state == "done" and self.apply is not None:
            state, message = self._apply(message)
        self.state, self.message = state, message
        self.finished.emit(state, message)

    def _apply(self, message: str) -> tuple[str, str]:
        try:
            return self.apply(message)
        except RotoError as exc:
            return "failed", f"{self.title}: {exc}"
        except Exception as exc:  # a bug applying results must not lose the job's row
            log.exception("applying %s failed", self.title)
            return "failed", f"{self.title}: {type(exc).__name__}: {exc}"


class QtJobManager(QObject):
    """The window's jobs on a pool of their own; starting one tells the Jobs panel.

    Parameters
    ----------
    threads
        Size of the pool (:func:`job_threads` by default).
    """

    job_added = Signal(object)  # QtJob

    def __init__(self, parent: QObject | None = None, threads: int | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads or job_threads())
        self.jobs: dict[str, QtJob] = {}
        self._count = 0

    def start(
        self,
        title: str,
        work: Work,
        kind: str = "job",
        *,
        tag: Hashable | None = None,
        cancellable: bool = True,
        apply: Apply | None = None,
        ask_before_quit: bool = True,
    ) -> QtJob:
        """Queue ``work``; with ``tag`` a running job of the same tag is superseded (cancelled,
        and its results dropped even if it already finished). ``ask_before_quit=False``:
        housekeeping whose loss costs the user nothing (a warm-up, a hash check); closing the
        window cancels it without asking."""
        if tag is not None:
            self.supersede(tag)
        self._count += 1
        job = QtJob(f"{kind}-{self._count}", title, work, self, cancellable=cancellable, tag=tag)
        job.apply = apply
        job.ask_before_quit = ask_before_quit
        self.jobs[job.job_id] = job
        job.finished.connect(lambda *_a, j=job: self._ended(j))
        self.job_added.emit(job)
        job.start(self.pool)
        return job

    def supersede(self, tag: Hashable) -> list[QtJob]:
        """Cancel the unfinished jobs tagged ``tag``; their results will not apply."""
        older = [j for j in self.jobs.values() if j.tag == tag and j.running]
        for job in older:
            job.superseded = True
            job.cancel()
        return older

    def _ended(self, job: QtJob) -> None:
        self.jobs.pop(job.job_id, None)
        job.deleteLater()

    def running(self) -> list[QtJob]:
        return [j for j in self.jobs.values() if j.running]

    def cancel(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.cancel()

    def cancel_all(self, wait_s: float = 10.0) -> bool:
        """Abort every job; with ``wait_s > 0`` wait (one deadline for all of them) for their
        work functions to return. True when none is still running on the pool."""
        jobs = list(self.jobs.values())
        for job in jobs:
            job.cancel()
        if wait_s <= 0:
            return all(j.wait(0) for j in jobs)
        deadline = time.monotonic() + wait_s
        stuck = [j.title for j in jobs if not j.wait(deadline - time.monotonic())]
        if stuck:
            log.warning("still running %.0f s after cancel: %s", wait_s, "; ".join(stuck))
        return not stuck

    def shutdown(self, wait_s: float = 10.0) -> bool:
        """Window close: cancel everything and wait (one deadline) for the pool's threads."""
        deadline = time.monotonic() + wait_s
        stopped = self.cancel_all(wait_s)
        left_ms = max(0, int(1000 * (deadline - time.monotonic())))
        return self.pool.waitForDone(left_ms) and stopped
