"""Qt-free playback clock: the frame to show comes from elapsed time, so slow frames are dropped."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction

SPEEDS = (1, 2, 4, 8)


class PlaybackClock:
    """Frame-accurate playback timing for a frame range.

    The target frame is ``start + floor(elapsed * fps * speed)``, wrapped into [first, last]
    when looping: a late tick skips (drops) frames instead of drifting behind the wall clock.

    Parameters
    ----------
    fps
        The shot's exact frame rate.
    first, last
        Inclusive playback range (usually the in/out points).
    now
        Monotonic time source in seconds (injectable for tests).
    """

    def __init__(
        self,
        fps: Fraction,
        first: int,
        last: int,
        now: Callable[[], float] = time.monotonic,
        loop: bool = True,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"playback needs a positive frame rate, got {fps}")
        self.fps = Fraction(fps)
        self.first, self.last = first, max(first, last)
        self.loop = loop
        self._now = now
        self.speed = 0  # signed multiple of fps; 0 = stopped
        self._t0 = 0.0
        self._f0 = first
        self._last_frame = first
        self.dropped = 0
        self._shown: deque[float] = deque(maxlen=256)  # presentation times

    @property
    def playing(self) -> bool:
        return self.speed != 0

    def now(self) -> float:
        """The clock's time source (seconds)."""
        return self._now()

    def set_range(self, first: int, last: int) -> None:
        self.first, self.last = first, max(first, last)

    def start(self, frame: int, speed: int = 1) -> None:
        """Start playing from ``frame`` at ``speed`` (negative plays backwards)."""
        self.speed = speed
        self._t0 = self._now()
        self._f0 = self._last_frame = min(self.last, max(self.first, frame))
        self.dropped = 0
        self._shown.clear()

    def stop(self) -> None:
        self.speed = 0
        self._shown.clear()

    def toggle(self, frame: int) -> None:
        """Space: stop if playing, else play forward from ``frame``."""
        if self.playing:
            self.stop()
        else:
            self.start(frame, 1)

    def shuttle(self, direction: int, frame: int) -> None:
        """J (-1) / L (+1): start at 1x, or double the speed in that direction up to 8x."""
        if direction == 0:
            self.stop()
            return
        same = self.speed != 0 and (self.speed > 0) == (direction > 0)
        magnitude = min(SPEEDS[-1], abs(self.speed) * 2) if same else 1
        self.start(self._last_frame if same else frame, magnitude * (1 if direction > 0 else -1))

    def target_frame(self) -> int:
        """The frame that should be on screen now."""
        if not self.playing:
            return self._last_frame
        magnitude = math.floor((self._now() - self._t0) * self.fps * abs(self.speed))
        steps = magnitude if self.speed > 0 else -magnitude
        frame = self._f0 + steps
        length = self.last - self.first + 1
        if self.loop:
            return self.first + (frame - self.first) % length
        if frame > self.last or frame < self.first:
            self.stop()
            frame = min(self.last, max(self.first, frame))
        return frame

    def tick(self) -> int | None:
        """Advance; returns the new frame to show, or None when it has not changed."""
        frame = self.target_frame()
        if frame == self._last_frame:
            return None
        span = self.last - self.first + 1
        step = abs(frame - self._last_frame)
        step = min(step, span - step) if self.loop else step
        expected = max(1, abs(self.speed))
        self.dropped += max(0, step - expected)
        self._last_frame = frame
        return frame

    def next_due(self) -> float:
        """Seconds from now until the target frame next changes (0 when stopped).

        Frame k is due at ``t0 + k / (fps * |speed|)``: a timer aimed there shows each frame
        on time instead of up to a timer period late, and a late wake-up still lands on the
        frame the wall clock says (``target_frame``), so nothing drifts."""
        if not self.playing:
            return 0.0
        rate = float(self.fps) * abs(self.speed)
        elapsed = self._now() - self._t0
        k = math.floor(elapsed * self.fps * abs(self.speed)) + 1
        return max(0.0, k / rate - elapsed)

    def presented(self) -> None:
        """A new frame reached the screen (painted): what :meth:`actual_fps` counts."""
        if self.playing:
            self._shown.append(self._now())

    def actual_fps(self, window: float = 1.0) -> float:
        """Frames presented per second over the last ``window`` seconds (0 when not
        measurable). Counts paints, not clock steps: frames the reader could not deliver in
        time are not on screen and do not count, and a stall brings the figure down."""
        now = self._now()
        times = [t for t in self._shown if now - t <= window]
        if len(times) < 2:
            return 0.0
        period = 1.0 / (float(self.fps) * max(1, abs(self.speed)))
        # a frame is expected one period after the last: waiting longer than that is a stall
        span = max(times[-1] - times[0], now - times[0] - period)
        return (len(times) - 1) / span if span > 0 else 0.0


class ReadAhead:
    """Which way to read ahead of the playhead, inferred from the frames it asks for.

    Playback asks for frames ``speed`` apart (further when a late tick drops some), stepping
    asks for neighbours, a click on the timeline or a loop jumps. The direction is that of the
    last short move; the stride is the shortest of the recent moves that way (drops only make
    moves longer), trusted once two moves agree: 2x playback reads every other frame, reverse
    playback reads backwards, a single click reads on in the direction it was going.

    Parameters
    ----------
    max_stride
        The fastest playback in frames per tick; moves longer than three strides are jumps.
    """

    def __init__(self, max_stride: int = SPEEDS[-1]) -> None:
        self.max_move = 3 * max_stride
        self.step = 1  # signed stride
        self._last: int | None = None
        self._moves: deque[int] = deque(maxlen=4)

    def observe(self, frame: int) -> int:
        """Note that the playhead asked for ``frame``; returns the step to read ahead with."""
        last, self._last = self._last, frame
        move = 0 if last is None else frame - last
        if move == 0:
            return self.step
        if abs(move) > self.max_move:  # a jump (click, loop): keep going the same way
            self._moves.clear()
            return self.step
        if self._moves and (self._moves[-1] > 0) != (move > 0):
            self._moves.clear()  # turned round
        self._moves.append(move)
        stride = min(abs(m) for m in self._moves) if len(self._moves) > 1 else 1
        self.step = stride if move > 0 else -stride
        return self.step
