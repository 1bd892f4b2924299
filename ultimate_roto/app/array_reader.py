"""Qt-free in-memory MediaReader: generated frames for a missing demo shot, and for tests."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.types import MediaInfo


class ArrayReader:
    """A MediaReader over a list of float32 (H, W, C) frames numbered from ``first``."""

    def __init__(
        self,
        frames: list[np.ndarray],
        fps: Fraction = Fraction(24),
        first: int = 0,
        name: str = "generated",
    ) -> None:
        if not frames:
            raise MediaError(f"{name}: no frames", "give at least one frame")
        h, w = frames[0].shape[:2]
        channels = frames[0].shape[2] if frames[0].ndim == 3 else 3
        self._frames = [np.ascontiguousarray(f, dtype=np.float32) for f in frames]
        self.info = MediaInfo(
            path=name,
            kind="sequence",
            width=w,
            height=h,
            fps=Fraction(fps),
            first_frame=first,
            last_frame=first + len(frames) - 1,
            frame_count=len(frames),
            codec="raw",
            bit_depth=32,
            channels=channels,
            colorspace_guess="sRGB",
            pixel_type="float",
        )

    def read(self, frame: int) -> np.ndarray:
        i = frame - self.info.first_frame
        if not 0 <= i < len(self._frames):
            raise MediaError(
                f"{self.info.path}: frame {frame} does not exist",
                f"frames run {self.info.first_frame}-{self.info.last_frame}",
            )
        return self._frames[i]

    def close(self) -> None:
        self._frames = []

    def __enter__(self) -> ArrayReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def generated_shot(width: int = 960, height: int = 540, count: int = 48) -> ArrayReader:
    """A moving gradient with a bright disc: something to look at when no media is given."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([xx / width, yy / height, 0.5 * (1 - xx / width)], axis=2) * 0.6
    frames = []
    for i in range(count):
        cx = width * (0.25 + 0.5 * i / max(1, count - 1))
        disc = ((xx - cx) ** 2 + (yy - height / 2) ** 2) < (height / 5) ** 2
        f = base.copy()
        f[disc] = (0.9, 0.8, 0.6)
        frames.append(f)
    return ArrayReader(frames, name="generated shot")
