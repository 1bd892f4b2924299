"""The open media: reader, frame cache, prefetching provider and the background loader."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import psutil
from PySide6.QtCore import QObject, Qt, Signal

from ultimate_roto.app.qt_frames import QtFrameLoader
from ultimate_roto.core.cache import FrameProvider, TieredCache
from ultimate_roto.core.errors import RotoError
from ultimate_roto.core.media.types import MediaInfo, MediaReader

log = logging.getLogger(__name__)
THUMBNAILS = 24


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


def thumbnail_frames(first: int, last: int, count: int = THUMBNAILS) -> list[int]:
    """Up to ``count`` evenly spaced frames covering [first, last]."""
    n = last - first + 1
    if n <= count:
        return list(range(first, last + 1))
    return sorted({first + round(i * (n - 1) / (count - 1)) for i in range(count)})


class QtMediaSession(QObject):
    """Owns one reader and its cached, prefetched frames; results arrive as queued signals."""

    frame_loaded = Signal(int, object)
    frame_failed = Signal(int, str)
    thumbnail_loaded = Signal(int, object)

    def __init__(
        self, reader: MediaReader, parent: QObject | None = None, cache: TieredCache | None = None
    ) -> None:
        super().__init__(parent)
        self.reader = reader
        self.info: MediaInfo = reader.info
        self.cache = cache if cache is not None else TieredCache(ram_budget())
        self.provider = FrameProvider(reader, self.cache)
        self.prefetch_ahead = 8
        self.loader = QtFrameLoader(self.provider.get, self, after_read=self._prefetch)
        queued = Qt.ConnectionType.QueuedConnection
        self.loader.frame_loaded.connect(self.frame_loaded, queued)
        self.loader.frame_failed.connect(self.frame_failed, queued)
        self.loader.thumbnail_loaded.connect(self.thumbnail_loaded, queued)

    @property
    def name(self) -> str:
        return Path(str(self.info.path)).name

    def request(self, frame: int) -> None:
        self.loader.request(frame)

    def request_thumbnails(self) -> list[int]:
        frames = thumbnail_frames(self.info.first_frame, self.info.last_frame)
        self.loader.request_thumbnails(frames)
        return frames

    def _prefetch(self, frame: int) -> None:
        """After each displayed read (worker thread): warm the frames that come next."""
        if self.prefetch_ahead:
            self.provider.prefetch(frame, ahead=self.prefetch_ahead, behind=2)

    def cached_frames(self) -> list[int]:
        return self.provider.cached_frames()

    def cache_summary(self) -> str:
        s = self.cache.stats()
        return (
            f"{len(self.cached_frames())} frames, {s.ram_bytes / 1024**2:.0f}/"
            f"{s.ram_budget / 1024**2:.0f} MiB"
        )

    def read_now(self, frame: int) -> np.ndarray:
        """Synchronous read for non-GUI callers (tools, tests); never call on the GUI thread."""
        return self.provider.get(frame)

    def close(self) -> None:
        """Stop the workers, then release the reader and the cache."""
        self.loader.shutdown()
        self.provider.close()
        self.cache.clear()
        self.reader.close()
