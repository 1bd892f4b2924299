"""Qt-free timeline geometry and timecode: frame <-> x, ruler tick steps, HH:MM:SS:FF labels."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


def timecode(frame: int, fps: Fraction, start_frame: int = 0) -> str:
    """Non-drop-frame timecode of ``frame`` counted from ``start_frame`` at the nominal rate."""
    if fps <= 0:
        raise ValueError(f"timecode needs a positive frame rate, got {fps}")
    nominal = max(1, round(float(fps)))
    n = frame - start_frame
    sign = "-" if n < 0 else ""
    n = abs(n)
    ff = n % nominal
    s = n // nominal
    return f"{sign}{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}:{ff:02d}"


@dataclass
class TimelineGeometry:
    """Horizontal layout of a frame range inside a widget of ``width`` pixels.

    Each frame owns a cell ``[x(f), x(f + 1))``; the playhead is drawn at the cell's centre.
    """

    first: int = 0
    last: int = 0
    width: int = 1
    margin: int = 12

    @property
    def frames(self) -> int:
        return max(1, self.last - self.first + 1)

    @property
    def frame_width(self) -> float:
        return max(1e-6, (self.width - 2 * self.margin) / self.frames)

    def x_of(self, frame: float) -> float:
        """Left edge x of ``frame``'s cell."""
        return self.margin + (frame - self.first) * self.frame_width

    def centre_of(self, frame: int) -> float:
        return self.x_of(frame + 0.5)

    def frame_at(self, x: float) -> int:
        """Frame under x, clamped to the range."""
        f = self.first + math.floor((x - self.margin) / self.frame_width)
        return min(self.last, max(self.first, f))

    def tick_step(self, min_pixels: float = 60.0) -> int:
        """Smallest 'nice' frame step whose labels are at least ``min_pixels`` apart."""
        for step in _STEPS:
            if step * self.frame_width >= min_pixels:
                return step
        return _STEPS[-1]

    def ticks(self, min_pixels: float = 60.0) -> list[int]:
        """Labelled frames: multiples of the step inside the range, plus the first frame."""
        step = self.tick_step(min_pixels)
        start = math.ceil(self.first / step) * step
        return list(range(start, self.last + 1, step))


def runs(frames: set[int] | list[int]) -> list[tuple[int, int]]:
    """Collapse frame numbers into inclusive (start, end) runs, for drawing bars quickly."""
    out: list[tuple[int, int]] = []
    for f in sorted(set(frames)):
        if out and f == out[-1][1] + 1:
            out[-1] = (out[-1][0], f)
        else:
            out.append((f, f))
    return out


def neighbour_key(frames: list[int] | set[int], current: int, direction: int) -> int | None:
    """The nearest keyframe strictly before (direction < 0) or after (> 0) ``current``."""
    if direction > 0:
        later = [f for f in frames if f > current]
        return min(later) if later else None
    earlier = [f for f in frames if f < current]
    return max(earlier) if earlier else None
