"""FrameProvider: cached frames of one reader (float32, or compact for display), with prefetch."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

from ultimate_roto.core.cache.keys import CacheKey
from ultimate_roto.core.cache.tiered import TieredCache
from ultimate_roto.core.errors import InputError, ProcessingError, RotoError
from ultimate_roto.core.media.pixels import (
    FLOAT32,
    read_frame,
    reader_dtype,
    to_compact,
    to_float32,
)
from ultimate_roto.core.media.types import MediaReader

log = logging.getLogger(__name__)

Transform = Callable[[np.ndarray], np.ndarray]


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise InputError(
            f"prefetch {name} must be a whole number of frames >= 0, got {value!r}",
            hint=f"pass {name}=0 or a positive frame count",
        )
    return int(value)


class FrameProvider:
    """Frames of one :class:`MediaReader` through a :class:`TieredCache`, with prefetch.

    ``get`` returns the frame as a read-only C-contiguous (H, W, C) array of ``dtype``: float32
    after ``transform`` (applied once, before caching), or with ``compact=True`` the reader's
    compact display dtype (uint8 for 8-bit sources, float16 otherwise; see
    :mod:`~ultimate_roto.core.media.pixels`), so a RAM budget holds 4x / 2x the frames.
    ``get_float32`` gives float32 in either case (for engines and exporters). ``prefetch`` reads a window of frames around
    the playhead, in the play direction, on ONE background thread; a newer window cancels the
    frames of an older one that it does not want and that have not started yet. ``peek``
    answers from the frames of the window already fetched, without blocking (playback shows a
    frame the moment it is due). Reads of the reader are serialised by a lock, so the reader
    needs no thread safety of its own. The provider does not close the reader or the cache.

    Parameters
    ----------
    reader
        The media reader.
    cache
        The cache shared with other providers and engines.
    media_id
        Identifies the media in cache keys (default: ``reader.info.path``).
    transform
        Optional ``fn(frame) -> frame`` (e.g. a colour conversion) applied before caching.
    transform_id
        Names the transform in the cache key; required with a transform so that two different
        transforms of the same media never share cache entries.
    compact
        Cache and return frames as the reader's ``compact_dtype`` (``read_compact``); a reader
        without ``read_compact`` gives float32 as before. Cache keys name the dtype
        (``params[0]``), so compact and float32 entries of one media never mix.

    Raises
    ------
    InputError
        For a transform that is not callable or has no ``transform_id``, or a transform
        together with ``compact`` (transforms work on float32).
    """

    def __init__(
        self,
        reader: MediaReader,
        cache: TieredCache,
        media_id: str | None = None,
        transform: Transform | None = None,
        transform_id: str = "",
        compact: bool = False,
    ) -> None:
        if transform is not None and not callable(transform):
            raise InputError(
                f"FrameProvider transform must be callable, got {type(transform).__name__}",
                hint="pass a function that takes and returns a float32 (H, W, C) array",
            )
        if transform is not None and not transform_id:
            raise InputError(
                "FrameProvider got a transform without a transform_id",
                hint="name the transform, e.g. transform_id='sRGB->ACEScg', so that cached "
                "frames of different transforms are kept apart",
            )
        if transform is not None and compact:
            raise InputError(
                "FrameProvider got a transform and compact=True",
                hint="transforms work on float32 frames: use compact=False with a transform",
            )
        self._reader = reader
        self._cache = cache
        info = reader.info
        self.media_id = str(info.path) if media_id is None else media_id
        self._transform = transform
        self.compact = bool(compact)
        #: dtype of the frames ``get`` returns (float32, or the reader's compact dtype)
        self.dtype = reader_dtype(reader, self.compact)
        self.params: tuple = (self.dtype.name, str(transform_id))
        self._float_params: tuple = ("float32", str(transform_id))
        self._range = (info.first_frame, info.last_frame)
        self._missing = frozenset(info.missing_frames)
        self._keys: dict[int, CacheKey] = {}
        self._read_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._wake = threading.Condition(self._state_lock)
        self._worker: threading.Thread | None = None
        self._queue: list[tuple[int, Future]] = []  # frames to fetch, in reading order
        self._running: tuple[int, Future] | None = None
        self._futures: list[Future] = []  # of the latest window: queued or being read
        self._wanted: set[int] = set()  # the latest window
        self._ready: dict[int, np.ndarray] = {}  # read-ahead buffer: fetched frames of it
        self._closed = False

    def key(self, frame: int) -> CacheKey:
        """The cache key of ``frame`` for this provider."""
        key = self._keys.get(frame) if type(frame) is int else None
        if key is None:  # build (and validate) each key once: hits stay cheap
            key = CacheKey(self.media_id, frame, "frame", self.params)
            if type(frame) is int:
                self._keys[frame] = key
        return key

    def get(self, frame: int) -> np.ndarray:
        """Frame ``frame`` from the cache, reading (and transforming) it on a miss.

        Raises
        ------
        MediaError
            From the reader, for a missing or undecodable frame.
        """
        return self._cache.get_or_compute(self.key(frame), lambda: self._load(frame))

    def get_float32(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as float32, whatever ``dtype`` is (for engines and exporters).

        uint8 frames are converted from the cached compact frame (``v / 255`` in float32: the
        values the reader's ``read`` gives for 8-bit data); float16 ones would lose the source's
        precision, so the frame is read as float32 and cached under its own key
        (``params[0] == "float32"``).

        Raises
        ------
        MediaError
            From the reader, for a missing or undecodable frame.
        """
        if self.dtype == FLOAT32:
            return self.get(frame)
        if self.dtype == np.uint8:
            return to_float32(self.get(frame))
        key = CacheKey(self.media_id, frame, "frame", self._float_params)
        return self._cache.get_or_compute(key, lambda: self._load(frame, FLOAT32))

    def _load(self, frame: int, dtype: np.dtype | None = None) -> np.ndarray:
        dtype = self.dtype if dtype is None else dtype
        with self._read_lock:
            image = read_frame(self._reader, frame, compact=dtype != FLOAT32)
        if self._transform is not None and dtype == FLOAT32:
            image = self._transform(image)
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            raise ProcessingError(
                f"frame {frame} of {self.media_id!r} is not an (H, W, C) array after reading "
                f"and transform '{self.params[1]}' (got {getattr(image, 'shape', type(image))})",
                hint="the reader and transform must return float32 (H, W, C) arrays",
            )
        if dtype != FLOAT32:
            return to_compact(image, dtype)  # a no-op when the reader keeps its compact_dtype
        return np.ascontiguousarray(image, dtype=np.float32)

    def cached_frames(self) -> list[int]:
        """Sorted frame numbers of this media (and transform) held in any cache tier."""
        return self._cache.frames(self.media_id, "frame", self.params)

    # -- prefetch --------------------------------------------------------------------------
    def prefetch(self, center: int, ahead: int = 8, behind: int = 2, step: int = 1) -> list[Future]:
        """Read ``center``, then ``ahead`` frames in the play direction and ``behind`` before it.

        ``step`` is the signed stride of playback (2: every other frame forwards, -1: reverse).
        The frames of this window are kept in a read-ahead buffer that :meth:`peek` answers
        from without blocking; frames already cached are taken from the cache (not read again).
        Frames outside the media's range or missing are skipped. A newer call supersedes this
        one: its frames that the new window does not want are cancelled if not started, while
        frames both want keep their place in the queue. Backwards, the frames ahead are queued
        in ascending order and in blocks (once half the window needs reading): a video decoder
        runs forwards, so a block costs one seek instead of one per frame.

        Returns
        -------
        list of Future
            One per frame of the window still to fetch (result: the frame array), in reading
            order; cancelled ones when superseded. An empty list after :meth:`close`.
        """
        ahead = _check_count("ahead", ahead)
        behind = _check_count("behind", behind)
        if isinstance(step, bool) or not isinstance(step, int | np.integer) or step == 0:
            raise InputError(
                f"prefetch step must be a non-zero whole number of frames, got {step!r}",
                hint="pass step=1 for forward playback, -1 for reverse, 2 for double speed",
            )
        center, step = int(center), int(step)
        near, far = self._window(center, ahead, behind, step)
        with self._state_lock:
            if self._closed:
                return []
            dropped = self._queue_window(center, near, far, step)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="ur-prefetch", daemon=True)
                self._worker.start()
            self._wake.notify()
            running = [self._running] if self._running and self._running[0] in self._wanted else []
            self._futures = [future for _, future in running + self._queue]
            futures = list(self._futures)
        for future in dropped:  # outside the lock: done-callbacks run here
            future.cancel()
        return futures

    def peek(self, frame: int) -> np.ndarray | None:
        """Frame ``frame`` if the read-ahead buffer holds it, else None (never reads or waits)."""
        with self._state_lock:
            return self._ready.get(frame)

    def future_of(self, frame: int) -> Future | None:
        """The prefetch future of ``frame`` while it is queued or being read, else None."""
        with self._state_lock:
            if self._running and self._running[0] == frame:
                return self._running[1]
            return next((future for f, future in self._queue if f == frame), None)

    def _window(self, center: int, ahead: int, behind: int, step: int) -> tuple[list, list]:
        """(center and the frames ahead in reading order, frames behind) of a window."""
        first, last = self._range

        def usable(frames) -> list[int]:
            return [f for f in frames if first <= f <= last and f not in self._missing]

        near = usable(center + k * step for k in range(1, ahead + 1))
        if step < 0:
            near.reverse()  # decoders run forwards: read the block in ascending order
        back = -1 if step > 0 else 1
        return usable([center]) + near, usable(center + k * back for k in range(1, behind + 1))

    def _queue_window(
        self, center: int, near: list[int], far: list[int], step: int
    ) -> list[Future]:
        """Re-plan the queue for a new window (state lock held); returns the futures to cancel."""
        near_set, far_set = set(near), set(far) - set(near)
        self._wanted = near_set | far_set
        self._ready = {f: a for f, a in self._ready.items() if f in self._wanted}
        dropped = [future for frame, future in self._queue if frame not in self._wanted]
        kept_near = [(f, fu) for f, fu in self._queue if f in near_set]
        kept_far = [(f, fu) for f, fu in self._queue if f in far_set]
        busy = {f for f, _ in kept_near + kept_far}
        if self._running:
            busy.add(self._running[0])
        new = [f for f in near + far if f not in self._ready and f not in busy]
        wanting = len([f for f in new if f in near_set])
        if step < 0 and center not in new and 2 * wanting < max(1, len(near) - 1):
            new = [f for f in new if f in far_set]  # backwards, top up in blocks of half a window
        head = []
        if center in new:
            head = [(center, Future())]
        elif step > 0:  # forwards the played frame goes first; backwards it keeps its place
            head = [item for item in kept_near if item[0] == center]
        kept_near = [item for item in kept_near if item not in head]
        fresh = [(f, Future()) for f in new if f != center]
        self._queue = (
            head
            + kept_near
            + [item for item in fresh if item[0] in near_set]
            + kept_far
            + [item for item in fresh if item[0] in far_set]
        )
        return dropped

    def _work(self) -> None:
        """The prefetch thread: fetch queued frames in order until closed."""
        while True:
            with self._state_lock:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                frame, future = self._queue.pop(0)
                if not future.set_running_or_notify_cancel():
                    continue
                self._running = (frame, future)
            image, error = None, None
            try:
                image = self.get(frame)
            except RotoError as exc:  # kept in the future (and logged)
                log.warning("prefetch of frame %s of %r failed: %s", frame, self.media_id, exc)
                error = exc
            except Exception as exc:  # a bug in a reader or transform: keep the thread alive
                log.exception("prefetch of frame %s of %r failed", frame, self.media_id)
                error = exc
            with self._state_lock:
                self._running = None
                if image is not None and frame in self._wanted:
                    self._ready[frame] = image
            if error is None:
                future.set_result(image)
            else:
                future.set_exception(error)

    def close(self) -> None:
        """Cancel pending prefetches and stop the worker thread (waits for a running read)."""
        with self._state_lock:
            self._closed = True
            worker, self._worker = self._worker, None
            dropped = [future for _, future in self._queue]
            self._queue, self._futures, self._ready = [], [], {}
            self._wake.notify_all()
        for future in dropped:
            future.cancel()
        if worker is not None:
            worker.join()

    def __enter__(self) -> FrameProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
