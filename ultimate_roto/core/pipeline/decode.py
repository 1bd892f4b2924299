"""Decode stage: a thread reading frames in order into a small bounded queue."""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from ultimate_roto.core.media.types import MediaReader

_WAIT_S = 0.1  # how often blocked calls look at the stop flag / the Progress


class _Done:
    """Sentinel: every frame has been read."""


DONE = _Done()


class Decoder:
    """Read ``frames`` from ``reader`` on a background thread, in order.

    At most ``maxsize`` decoded frames wait in the queue (plus the one being read), so a
    slow encoder makes the reader wait instead of filling memory.

    Parameters
    ----------
    reader
        Any :class:`MediaReader`.
    frames
        Source frame numbers, in the order wanted.
    maxsize
        Queue bound.
    """

    def __init__(self, reader: MediaReader, frames: Sequence[int], maxsize: int = 2) -> None:
        self._reader = reader
        self._frames = list(frames)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, maxsize))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="convert-decode", daemon=True)

    def __enter__(self) -> Decoder:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _run(self) -> None:
        try:
            for frame in self._frames:
                if self._stop.is_set():
                    return
                img = self._reader.read(frame)
                self._put((frame, img))
                del img
            self._put(DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            self._put(exc)

    def _put(self, item: Any) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_WAIT_S)
                return
            except queue.Full:
                continue

    def get(self, check: Any = None) -> tuple[int, np.ndarray] | _Done:
        """The next ``(frame, image)`` or :data:`DONE`; re-raises a read error.

        ``check`` (e.g. ``progress.check_aborted``) is called while waiting, so a cancel
        is seen within a fraction of a second even when a frame takes long to decode.
        """
        while True:
            try:
                item = self._queue.get(timeout=_WAIT_S)
            except queue.Empty:
                if check is not None:
                    check()
                continue
            if isinstance(item, BaseException):
                raise item
            return item

    def close(self) -> None:
        """Stop reading, drop queued frames and wait for the thread to end."""
        self._stop.set()
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._thread.is_alive():
            self._thread.join(timeout=10)
