"""FrameProvider: cached float32 frames of one reader, with background prefetch around a frame."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ultimate_roto.core.cache.keys import CacheKey
from ultimate_roto.core.cache.tiered import TieredCache
from ultimate_roto.core.errors import InputError, ProcessingError, RotoError
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

    ``get`` returns the frame as a read-only C-contiguous float32 (H, W, C) array, after
    ``transform`` (applied once, before caching). ``prefetch`` reads frames around the playhead
    on ONE background thread; a newer request cancels the frames of an older one that have not
    started yet. Reads of the reader are serialised by a lock, so the reader needs no thread
    safety of its own. The provider does not close the reader or the cache.

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

    Raises
    ------
    InputError
        For a transform that is not callable or has no ``transform_id``.
    """

    def __init__(
        self,
        reader: MediaReader,
        cache: TieredCache,
        media_id: str | None = None,
        transform: Transform | None = None,
        transform_id: str = "",
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
        self._reader = reader
        self._cache = cache
        info = reader.info
        self.media_id = str(info.path) if media_id is None else media_id
        self._transform = transform
        self.params: tuple = ("float32", str(transform_id))
        self._range = (info.first_frame, info.last_frame)
        self._missing = frozenset(info.missing_frames)
        self._keys: dict[int, CacheKey] = {}
        self._read_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []
        self._generation = 0
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

    def _load(self, frame: int) -> np.ndarray:
        with self._read_lock:
            image = self._reader.read(frame)
        if self._transform is not None:
            image = self._transform(image)
        if not isinstance(image, np.ndarray) or image.ndim != 3:
            raise ProcessingError(
                f"frame {frame} of {self.media_id!r} is not an (H, W, C) array after reading "
                f"and transform '{self.params[1]}' (got {getattr(image, 'shape', type(image))})",
                hint="the reader and transform must return float32 (H, W, C) arrays",
            )
        return np.ascontiguousarray(image, dtype=np.float32)

    def cached_frames(self) -> list[int]:
        """Sorted frame numbers of this media (and transform) held in any cache tier."""
        return self._cache.frames(self.media_id, "frame", self.params)

    # -- prefetch --------------------------------------------------------------------------
    def prefetch(self, center: int, ahead: int = 8, behind: int = 2) -> list[Future]:
        """Read ``center``, then up to ``ahead`` frames after it and ``behind`` before it.

        Frames already cached, outside the media's range or missing are skipped. A newer call
        supersedes this one: its frames not yet started are cancelled.

        Returns
        -------
        list of Future
            One per scheduled frame (result: the frame array); cancelled ones when superseded.
            An empty list after :meth:`close`.
        """
        ahead = _check_count("ahead", ahead)
        behind = _check_count("behind", behind)
        frames = self._plan(int(center), ahead, behind)
        with self._state_lock:
            if self._closed:
                return []
            for future in self._futures:
                future.cancel()
            self._generation += 1
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="ur-prefetch")
            gen = self._generation
            self._futures = [self._executor.submit(self._fetch, f, gen) for f in frames]
            return list(self._futures)

    def _plan(self, center: int, ahead: int, behind: int) -> list[int]:
        order = [center, *range(center + 1, center + ahead + 1)]
        order += range(center - 1, center - behind - 1, -1)
        first, last = self._range
        return [
            f
            for f in order
            if first <= f <= last and f not in self._missing and self.key(f) not in self._cache
        ]

    def _fetch(self, frame: int, generation: int) -> np.ndarray | None:
        if generation != self._generation or self._closed:
            return None  # superseded after it started waiting: skip the read
        try:
            return self.get(frame)
        except RotoError as exc:
            log.warning("prefetch of frame %s of %r failed: %s", frame, self.media_id, exc)
            raise

    def close(self) -> None:
        """Cancel pending prefetches and stop the worker thread (waits for a running read)."""
        with self._state_lock:
            self._closed = True
            executor, self._executor = self._executor, None
            for future in self._futures:
                future.cancel()
            self._futures = []
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FrameProvider:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
