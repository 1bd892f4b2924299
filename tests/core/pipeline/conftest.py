"""In-memory MediaReader for pipeline tests: counts reads and frames alive in memory."""

from __future__ import annotations

import threading
import weakref
from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.types import MediaInfo


class _Tracked(np.ndarray):
    """A frame whose lifetime the reader can watch (plain ndarrays take no weakrefs)."""


def frame_value(frame: int) -> float:
    """The grey level of frame ``frame`` (distinct per frame, inside [0, 1])."""
    return 0.05 + 0.9 * ((frame * 37) % 100) / 100


class CountingReader:
    """A MediaReader over synthetic frames (a per-frame grey plus a ramp).

    ``reads`` counts read calls; ``alive``/``max_alive`` count frames still referenced.
    """

    def __init__(self, n: int = 6, first: int = 1, h: int = 48, w: int = 64, c: int = 3,
                 colorspace: str = "Linear", timecode: str | None = None,
                 fail_at: int | None = None) -> None:  # fmt: skip
        self.info = MediaInfo(
            path="mem://shot", kind="sequence", width=w, height=h, fps=Fraction(24000, 1001),
            first_frame=first, last_frame=first + n - 1, frame_count=n, codec="exr",
            bit_depth=32, channels=c, colorspace_guess=colorspace, timecode=timecode,
        )  # fmt: skip
        self.fail_at = fail_at
        self.reads = 0
        self.alive = 0
        self.max_alive = 0
        self._lock = threading.Lock()
        ramp = np.linspace(0.0, 0.04, w, dtype=np.float32)
        self._ramp = np.broadcast_to(ramp[None, :, None], (h, w, c))

    def expected(self, frame: int) -> np.ndarray:
        return np.ascontiguousarray(self._ramp + np.float32(frame_value(frame)))

    def read(self, frame: int) -> np.ndarray:
        if not self.info.first_frame <= frame <= self.info.last_frame or frame == self.fail_at:
            raise MediaError(f"mem://shot: frame {frame} cannot be read")
        img = self.expected(frame).view(_Tracked)
        with self._lock:
            self.reads += 1
            self.alive += 1
            self.max_alive = max(self.max_alive, self.alive)
        weakref.finalize(img, self._released)
        return img

    def _released(self) -> None:
        with self._lock:
            self.alive -= 1

    def close(self) -> None:
        pass

    def __enter__(self) -> CountingReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture
def make_reader():
    return CountingReader
