"""Helpers for media tests: small clips whose frames carry their number as bit blocks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

SIZE = 64
BLOCK = 16  # 4 x 4 blocks of 16 px = 16 bits of frame number


def numbered_frame(n: int, size: int = SIZE) -> np.ndarray:
    """uint8 RGB frame whose 16 blocks spell ``n`` in binary (white = 1)."""
    bits = [(n >> i) & 1 for i in range(16)]
    img = np.zeros((size, size, 3), np.uint8)
    step = size // 4
    for i, bit in enumerate(bits):
        y, x = divmod(i, 4)
        img[y * step : (y + 1) * step, x * step : (x + 1) * step] = 235 if bit else 16
    return img


def decode_number(img: np.ndarray) -> int:
    """Read the number back from a float image in [0, 1] (block centres)."""
    step = img.shape[0] // 4
    n = 0
    for i in range(16):
        y, x = divmod(i, 4)
        block = img[y * step + 4 : (y + 1) * step - 4, x * step + 4 : (x + 1) * step - 4, :3]
        if block.mean() > 0.5:
            n |= 1 << i
    return n


def write_numbered_video(
    path: Path,
    frames: int,
    *,
    fps: Fraction = Fraction(24),
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
) -> Path:
    """Encode ``frames`` numbered frames with PyAV."""
    import av

    with av.open(str(path), "w", options=container_options or {}) as out:
        if metadata:
            out.metadata.update(metadata)
        stream = out.add_stream(codec, rate=fps)
        stream.width = stream.height = SIZE
        stream.pix_fmt = pix_fmt
        stream.options = options or {}
        for n in range(frames):
            frame = av.VideoFrame.from_ndarray(numbered_frame(n), format="rgb24")
            for pkt in stream.encode(frame):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path
