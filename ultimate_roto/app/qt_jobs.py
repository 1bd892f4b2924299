"""Background jobs on QThreadPool: one Progress each (ETA, Cancel), results via queued signals."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from ultimate_roto.core.errors import Cancelled, RotoError
from ultimate_roto.core.progress import Progress

log = logging.getLogger(__name__)
Work = Callable[[Progress, Callable[[int, Any], None]], str]


class _Run(QRunnable):
    def __init__(self, job: QtJob) -> None:
        super().__init__()
        self.job = job

    def run(self) -> None:  # pool thread
        self.job._run()


class QtJob(QObject):
    """A unit of background work: ``work(progress, emit) -> summary``.

    ``work`` runs on a pool thread and calls ``emit(frame, payload)`` per result; the GUI
    receives ``frame_done`` (queued), ``progressed(fraction, message, eta_s)`` (eta < 0 when
    unknown) and, once, ``finished(state, message)`` with state "done", "cancelled" or
    "failed". :meth:`cancel` aborts the Progress; the work stops at its next check.
    """

    progressed = Signal(float, str, float)
    frame_done = Signal(int, object)
    finished = Signal(str, str)
    _progress = Signal(float, str, float)
    _frame = Signal(int, object)
    _done = Signal(str, str)

    def __init__(self, job_id: str, title: str, work: Work, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job_id = job_id
        self.title = title
        self.state = "queued"
        self.message = ""
        self._work = work
        self.progress = Progress(self._report)
        self._ended = threading.Event()
        queued = Qt.ConnectionType.QueuedConnection
        self._progress.connect(self.progressed, queued)
        self._frame.connect(self.frame_done, queued)
        self._done.connect(self._finish, queued)

    def start(self, pool: QThreadPool | None = None) -> None:
        self.state = "running"
        (pool or QThreadPool.globalInstance()).start(_Run(self))

    def cancel(self) -> None:
        """Ask the work to stop (it checks between frames; within about a second)."""
        self.progress.abort()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Block until the work function returned (tests, shutdown); True when it did."""
        return self._ended.wait(timeout_s)

    @property
    def running(self) -> bool:
        return self.state == "running"

    def _report(self, fraction: float, message: str) -> None:
        eta = self.progress.eta_seconds()
        self._progress.emit(fraction, message, -1.0 if eta is None else eta)

    def _run(self) -> None:
        try:
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

    def _finish(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.finished.emit(state, message)


class QtJobManager(QObject):
    """The window's running jobs; starting one tells the Jobs panel, cancelling is by id."""

    job_added = Signal(object)  # QtJob

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: dict[str, QtJob] = {}
        self._count = 0

    def start(self, title: str, work: Work, kind: str = "job") -> QtJob:
        self._count += 1
        job = QtJob(f"{kind}-{self._count}", title, work, self)
        self.jobs[job.job_id] = job
        job.finished.connect(lambda *_a, j=job: self._ended(j))
        self.job_added.emit(job)
        job.start()
        return job

    def _ended(self, job: QtJob) -> None:
        self.jobs.pop(job.job_id, None)
        job.deleteLater()

    def running(self) -> list[QtJob]:
        return [j for j in self.jobs.values() if j.running]

    def cancel(self, job_id: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.cancel()

    def cancel_all(self, wait_s: float = 10.0) -> None:
        """Abort every job and wait for their work functions to return (session change, close)."""
        jobs = list(self.jobs.values())
        for job in jobs:
            job.cancel()
        for job in jobs:
            if not job.wait(wait_s):
                log.warning("%s did not stop within %.0f s", job.title, wait_s)
