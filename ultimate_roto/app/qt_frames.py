"""Background frame decoding: one worker, newest request wins, results via queued signals."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from PySide6.QtCore import QObject, Signal

from ultimate_roto.core.media.pixels import to_float32

log = logging.getLogger(__name__)


def thumbnail(frame: np.ndarray, height: int = 72) -> np.ndarray:
    """Display-ready uint8 RGB thumbnail of a uint8, float16 or float32 frame (nearest
    sampling; runs in the worker)."""
    h, w = frame.shape[:2]
    th = max(1, min(h, height))
    tw = max(1, round(w * th / h))
    ys = (np.arange(th) * h // th).astype(np.intp)
    xs = (np.arange(tw) * w // tw).astype(np.intp)
    small = frame[ys][:, xs]
    if small.ndim == 2:
        small = np.repeat(small[..., None], 3, axis=2)
    if small.dtype == np.uint8:  # compact 8-bit frames: the samples are the thumbnail
        rgb = small[..., :3] if small.shape[2] != 1 else np.repeat(small, 3, axis=2)
        return np.ascontiguousarray(rgb)
    rgb = np.clip(to_float32(small[..., :3]), 0.0, 1.0) * 255.0 + 0.5
    if small.shape[2] == 1:
        rgb = np.repeat(rgb, 3, axis=2)
    return np.ascontiguousarray(rgb.astype(np.uint8))


class QtFrameLoader(QObject):
    """Decodes frames off the GUI thread.

    ``request(frame)`` supersedes any frame request not yet started; thumbnails queue behind it.
    ``frame_loaded(frame, array)`` and ``thumbnail_loaded(frame, uint8 array)`` arrive on the
    GUI thread (queued connections). Call :meth:`shutdown` before dropping the reader.
    """

    frame_loaded = Signal(int, object)
    frame_failed = Signal(int, str)
    thumbnail_loaded = Signal(int, object)

    def __init__(
        self,
        read: Callable[[int], np.ndarray],
        parent: QObject | None = None,
        after_read: Callable[[int], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._read = read
        self._after_read = after_read
        self._lock = threading.Lock()
        self._pending: int | None = None
        self._thumbs: list[int] = []
        self._busy = False
        self._closed = False
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ur-frame-loader")

    def request(self, frame: int) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending = frame
            self._kick()

    def request_thumbnails(self, frames: list[int]) -> None:
        with self._lock:
            if self._closed:
                return
            self._thumbs = list(frames)
            self._kick()

    def _kick(self) -> None:
        if not self._busy:
            self._busy = True
            self._executor.submit(self._drain)

    def _next(self) -> tuple[str, int] | None:
        with self._lock:
            if self._closed:
                self._busy = False
                return None
            if self._pending is not None:
                frame, self._pending = self._pending, None
                return "frame", frame
            if self._thumbs:
                return "thumb", self._thumbs.pop(0)
            self._busy = False
            return None

    def _drain(self) -> None:
        while (job := self._next()) is not None:
            kind, frame = job
            try:
                data = self._read(frame)
            except Exception as exc:  # reported to the GUI, never raised in the worker
                log.warning("frame %d: %s", frame, exc)
                self.frame_failed.emit(frame, str(exc))
                continue
            if kind == "frame":
                self.frame_loaded.emit(frame, data)
                if self._after_read is not None:
                    self._after_read(frame)
            else:
                self.thumbnail_loaded.emit(frame, thumbnail(data))

    def shutdown(self) -> None:
        """Stop taking requests and wait for the worker to finish its current read."""
        with self._lock:
            self._closed = True
            self._thumbs.clear()
            self._pending = None
        self._executor.shutdown(wait=True, cancel_futures=True)
