"""Interactive segmentation off the GUI thread: newest request wins, masks come back queued."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from ultimate_roto.app.job_work import to_uint8
from ultimate_roto.core.engines.run_segment import display_rgb, load_engine, segment_frame
from ultimate_roto.core.errors import RotoError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentRequest:
    """One immutable segmentation request: the prompts of one object on one frame."""

    id: int
    obj_id: str
    frame: int
    engine: str  # "auto" or an engine id of the "segment" task
    points: tuple[tuple[float, float, int], ...]
    boxes: tuple[tuple[float, float, float, float], ...]
    name: str = ""
    device: str | None = None  # None: load_engine picks the best device for torch engines

    def prompts(self) -> list[Any]:
        """Engine prompts: one per box (the clicks go with the first), or the clicks alone."""
        from ultimate_roto.core.engines.base import Prompt

        return [
            Prompt(self.frame, self.points if i == 0 else (), box, name=self.name)
            for i, box in enumerate(self.boxes)
        ] or [Prompt(self.frame, self.points, name=self.name)]


class _Drain(QRunnable):
    def __init__(self, worker: QtSegmentWorker) -> None:
        super().__init__()
        self.worker = worker

    def run(self) -> None:  # on a pool thread
        self.worker._drain()


class QtSegmentWorker(QObject):
    """Runs the object's segment engine on a pool thread.

    :meth:`request` replaces any request not started yet; ``mask_ready(request_id, obj_id,
    frame, uint8 mask, seconds)`` or ``failed(request_id, obj_id, frame, message)`` arrive on the
    GUI thread. Engines are created once per (engine id, device) and reused.
    """

    mask_ready = Signal(int, str, int, object, float)
    failed = Signal(int, str, int, str)
    _finished = Signal(int, str, int, object, float)
    _failed = Signal(int, str, int, str)

    def __init__(
        self,
        read_frame: Callable[[int], np.ndarray],
        colorspace: str,
        parent: QObject | None = None,
        pool: QThreadPool | None = None,
    ) -> None:
        super().__init__(parent)
        self._read = read_frame
        self._colorspace = colorspace
        self._pool = pool or QThreadPool.globalInstance()
        self._lock = threading.Lock()
        self._pending: SegmentRequest | None = None
        self._busy = False
        self._closed = False
        self._idle = threading.Event()
        self._idle.set()
        self._engines: dict[tuple[str, str], Any] = {}
        self._next_id = 0
        queued = Qt.ConnectionType.QueuedConnection
        self._finished.connect(self.mask_ready, queued)
        self._failed.connect(self.failed, queued)

    def request(self, **fields: Any) -> int:
        """Queue ``SegmentRequest(**fields)`` (superseding an unstarted one); returns its id."""
        with self._lock:
            if self._closed:
                return -1
            self._next_id += 1
            self._pending = SegmentRequest(id=self._next_id, **fields)
            if not self._busy:
                self._busy = True
                self._idle.clear()
                self._pool.start(_Drain(self))
            return self._next_id

    @property
    def latest_id(self) -> int:
        return self._next_id

    def _take(self) -> SegmentRequest | None:
        with self._lock:
            req, self._pending = self._pending, None
            if req is None or self._closed:
                self._busy = False
                self._idle.set()
                return None
            return req

    def _drain(self) -> None:
        while (req := self._take()) is not None:
            started = time.perf_counter()
            try:
                engine = self._engine(req)
                image = display_rgb(self._read(req.frame), self._colorspace)
                mask = to_uint8(segment_frame(engine, image, req.prompts(), obj=req.name))
            except (RotoError, ValueError, OSError) as exc:
                self._failed.emit(req.id, req.obj_id, req.frame, str(exc))
                continue
            except Exception as exc:  # an engine bug must not kill the pool thread silently
                log.exception("segmentation of frame %d failed", req.frame)
                self._failed.emit(req.id, req.obj_id, req.frame, f"engine error: {exc}")
                continue
            self._finished.emit(req.id, req.obj_id, req.frame, mask, time.perf_counter() - started)

    def _engine(self, req: SegmentRequest) -> Any:
        key = (req.engine, req.device)
        if key not in self._engines:
            self._engines[key] = load_engine("segment", req.engine, device=req.device)[1]
        return self._engines[key]

    def shutdown(self, timeout_s: float = 30.0) -> bool:
        """Drop pending work and wait for the running request; True when idle."""
        with self._lock:
            self._closed = True
            self._pending = None
        return self._idle.wait(timeout_s)
