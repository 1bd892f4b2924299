"""The open media: reader, frame cache, read-ahead while playing and the background loader."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import psutil
from PySide6.QtCore import QObject, Qt, Signal

from ultimate_roto.app.playback import ReadAhead
from ultimate_roto.app.qt_frames import QtFrameLoader
from ultimate_roto.core.cache import FrameProvider, TieredCache
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.media.types import MediaInfo, MediaReader

log = logging.getLogger(__name__)
THUMBNAILS = 24
MIB = 1024**2


def ram_budget() -> int:
    """Frame cache budget: a quarter of physical memory, at most 6 GiB."""
    return int(min(6 * 1024**3, psutil.virtual_memory().total // 4))


def make_cache(prefs) -> TieredCache:
    """The frame cache from the Preferences' budgets (RAM MB, optional disk MB and folder)."""
    from ultimate_roto.core.cache.settings import budgets_from_settings

    try:
        return TieredCache(**budgets_from_settings(prefs.cache_settings()))
    except (RotoError, OSError) as exc:
        log.warning("cache preferences unusable (%s); using RAM only", exc)
        return TieredCache(ram_budget())


def read_ahead_frames(
    info: MediaInfo, cache: TieredCache, most: int = 12, itemsize: int = 4
) -> int:
    """Frames to read ahead while playing: ``most``, fewer when a frame is so big that the
    read-ahead window would take more than an eighth of the RAM budget (it holds them).
    ``itemsize``: bytes per sample of the cached frames (1 uint8, 2 float16, 4 float32)."""
    frame_bytes = max(1, info.width * info.height * max(1, info.channels) * max(1, itemsize))
    return max(2, min(most, cache.stats().ram_budget // 8 // frame_bytes))


def thumbnail_frames(first: int, last: int, count: int = THUMBNAILS) -> list[int]:
    """Up to ``count`` evenly spaced frames covering [first, last]."""
    n = last - first + 1
    if n <= count:
        return list(range(first, last + 1))
    return sorted({first + round(i * (n - 1) / (count - 1)) for i in range(count)})


class QtMediaSession(QObject):
    """Owns one reader and its cached frames, read ahead of the playhead in the play direction.

    ``request(frame)`` shows ``frame`` as soon as it can: a frame already read ahead is handed
    over at once (``frame_loaded`` is emitted before ``request`` returns, so the new image is
    painted together with the playhead and readouts); any other arrives later from the
    prefetch thread through a queued signal. Each request re-plans the read-ahead window
    (direction and stride follow the requests: see :class:`ReadAhead`), so frames that the
    playhead has passed are cancelled instead of read, and a result that arrives after a newer
    frame was shown is dropped (never shown out of order).

    Frames for display (``frame_loaded``, thumbnails, the cache) are the reader's compact
    dtype: uint8 for 8-bit sources, float16 for deeper and float ones (``provider.dtype``), so
    the RAM budget holds 4x / 2x the frames of float32. :meth:`read_now` gives float32 for
    engines and exporters.
    """

    frame_loaded = Signal(int, object)
    frame_failed = Signal(int, str)
    thumbnail_loaded = Signal(int, object)
    _fetched = Signal(int, object, str)  # prefetch thread -> GUI thread: frame, array, error

    def __init__(
        self, reader: MediaReader, parent: QObject | None = None, cache: TieredCache | None = None
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        self.info: MediaInfo = reader.info
        self.cache = cache if cache is not None else TieredCache(ram_budget())
        self.provider = FrameProvider(reader, self.cache, compact=True)
        self.prefetch_ahead = self._read_ahead()
        self.prefetch_behind = 2
        self.readahead = ReadAhead()
        self._wanted: int | None = None  # the frame last requested
        self._shown: int | None = None  # the frame last handed over
        self._first: int | None = None  # the first frame requested
        self._closed = False
        self._last_cached: list[int] | None = None
        # thumbnails, and frames the prefetch cannot plan (e.g. missing ones: errors or holds)
        self.loader = QtFrameLoader(self.provider.get, self)
        queued = Qt.ConnectionType.QueuedConnection
        self.loader.frame_loaded.connect(self._arrived, queued)
        self.loader.frame_failed.connect(self._failed, queued)
        self.loader.thumbnail_loaded.connect(self.thumbnail_loaded, queued)
        self._fetched.connect(self._fetched_here, queued)

    def _read_ahead(self) -> int:
        return read_ahead_frames(self.info, self.cache, itemsize=self.provider.dtype.itemsize)

    @property
    def name(self) -> str:
        return Path(str(self.info.path)).name

    def request(self, frame: int) -> None:
        """Show ``frame``: now if it was read ahead, else when the prefetch thread has it."""
        if self._closed:
            return
        step = self.readahead.observe(frame)
        self._wanted = frame
        if self._first is None:
            self._first = frame
        ahead, behind = self.prefetch_ahead, self.prefetch_behind
        self.provider.prefetch(frame, ahead=ahead, behind=behind, step=step)
        data = self.provider.peek(frame)
        if data is not None:  # read ahead already: painted with the playhead that asked for it
            self._hand_over(frame, data)
            return
        future = self.provider.future_of(frame)
        if future is None:  # not in the window (a missing frame: error or hold), or just done
            self.loader.request(frame)
            return
        future.add_done_callback(lambda f, n=frame: self._done(n, f))

    def _done(self, frame: int, future: Future) -> None:
        """A requested frame's prefetch finished (any thread): pass it to the GUI thread."""
        if self._closed or future.cancelled():
            return
        error = future.exception()
        if error is None:
            self._fetched.emit(frame, future.result(), "")
        else:
            self._fetched.emit(frame, None, str(error))

    def _fetched_here(self, frame: int, data: np.ndarray | None, error: str) -> None:
        if error:
            self._failed(frame, error)
        else:
            self._arrived(frame, data)

    def _arrived(self, frame: int, data: np.ndarray) -> None:
        """A frame read in the background (GUI thread): shown unless a newer one was."""
        if self._closed or not self._fresh(frame):
            return
        self._hand_over(frame, data)

    def _failed(self, frame: int, message: str) -> None:
        if not self._closed and frame == self._wanted:
            self.frame_failed.emit(frame, message)

    def _fresh(self, frame: int) -> bool:
        """The wanted frame, or one on the way to it from the frame on screen (a late frame
        while playing is still progress); never one the playhead has already passed."""
        if frame == self._wanted:
            return True
        # from the frame on screen, or before any is: from the first one asked for
        origin = self._shown if self._shown is not None else self._first
        if self._wanted is None or origin is None:
            return False
        lo, hi = sorted((origin, self._wanted))
        return lo < frame < hi and (frame - origin) * (self._wanted - origin) > 0

    def _hand_over(self, frame: int, data: np.ndarray) -> None:
        self._shown = frame
        self.frame_loaded.emit(frame, data)

    def request_thumbnails(self) -> list[int]:
        frames = thumbnail_frames(self.info.first_frame, self.info.last_frame)
        self.loader.request_thumbnails(frames)
        return frames

    def cached_frames(self) -> list[int]:
        return self.provider.cached_frames()

    def cached_frames_changed(self) -> list[int] | None:
        """The cached frames if they changed since the last call, else None (the timeline's
        cache bar repaints only then: a repaint per frame costs a window composition)."""
        frames = self.cached_frames()
        if frames == self._last_cached:
            return None
        self._last_cached = frames
        return frames

    def budgets_changed(self) -> list[int]:
        """After the cache's budgets changed live: size the read-ahead window to the new RAM
        budget; returns the cached frames now (and remembers them for the cache bar)."""
        self.prefetch_ahead = self._read_ahead()
        self._last_cached = self.cached_frames()
        return self._last_cached

    def cache_summary(self) -> str:
        """The System panel's cache figures: frames of this media, RAM (and disk) use against
        the budgets, the hit rate of all lookups so far, and a line per kind when more kinds
        than frames are cached (embeddings, masks, mattes, depth)."""
        s = self.cache.stats()
        text = (
            f"{len(self.cached_frames())} frames, {s.ram_bytes / MIB:.0f}/"
            f"{s.ram_budget / MIB:.0f} MiB"
        )
        if s.disk_budget:
            text += f", disk {s.disk_bytes / MIB:.0f}/{s.disk_budget / MIB:.0f} MiB"
        text += f"\nhit rate {s.hit_rate:.0%} of {s.lookups} lookups"
        kinds = {k: ks for k, ks in s.per_kind.items() if ks.ram_entries or ks.disk_entries}
        if len(kinds) > 1:
            for kind, ks in sorted(kinds.items()):
                text += f"\n{kind}: {ks.ram_entries} in RAM {ks.ram_bytes / MIB:.0f} MiB"
                if s.disk_budget:
                    text += f", {ks.disk_entries} on disk {ks.disk_bytes / MIB:.0f} MiB"
                text += f", hit rate {ks.hit_rate:.0%}"
        return text

    def read_now(self, frame: int) -> np.ndarray:
        """Synchronous float32 read for non-GUI callers (engines, exports, tests); never call
        on the GUI thread. 8-bit frames come from the compact cache (``v / 255``)."""
        return self.provider.get_float32(frame)

    def close(self) -> None:
        """Stop the workers, then release the reader and the cache."""
        self._closed = True
        self.loader.shutdown()
        self.provider.close()
        self.cache.clear()
        self.reader.close()
