"""Qt-free in-memory MediaReader: generated frames for a missing demo shot, and for tests."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ultimate_roto.core.errors import MediaError
from ultimate_roto.core.media.pixels import to_float32
from ultimate_roto.core.media.types import MediaInfo


class ArrayReader:
    """A MediaReader over a list of (H, W, C) frames numbered from ``first``.

    Frames are kept as given when they are uint8 (8-bit: ``read`` gives ``v / 255``) or float16;
    anything else is stored as float32. ``read`` returns float32; ``read_compact`` the stored
    frame itself (``compact_dtype``: the frames' dtype), through ``read`` for float32 frames
    (nothing to save: the cache then holds the very arrays this reader holds).
    """

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
        kept = np.asarray(frames[0]).dtype
        if kept not in (np.uint8, np.float16):
            kept = np.dtype(np.float32)
        self._frames = [np.ascontiguousarray(f, dtype=kept) for f in frames]
        self.compact_dtype = np.dtype(kept)
        bits, pixel_type = {"uint8": (8, "uint"), "float16": (16, "half")}.get(
            kept.name, (32, "float")
        )
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
            bit_depth=bits,
            channels=channels,
            colorspace_guess="sRGB",
            pixel_type=pixel_type,
        )

    def read(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as float32 (the stored array itself when it is float32)."""
        return to_float32(self._stored(frame))

    def read_compact(self, frame: int) -> np.ndarray:
        """Frame ``frame`` as stored (``compact_dtype``)."""
        if self.compact_dtype == np.float32:
            return self.read(frame)  # (subclasses that wrap read() see every read)
        return self._stored(frame)

    def _stored(self, frame: int) -> np.ndarray:
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
