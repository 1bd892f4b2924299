"""Playback driver: a precise QTimer ticks the Qt-free PlaybackClock, which drops late frames."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ultimate_roto.app.playback import PlaybackClock

#: Seconds between actual-fps reports while playing.
REPORT_EVERY = 0.5


class QtPlayback(QObject):
    """Play/pause/J-K-L over the in/out range; emits the frames to show, never decodes.

    A single-shot precise timer is aimed at the moment the next frame is due (re-armed after
    each tick), so frames are asked for on time; the clock picks the frame from elapsed time,
    so a late tick drops frames rather than drifting. The actual fps counts the frames the
    viewport presented (:meth:`note_presented`, connected to the viewport's
    ``frame_presented``), not the clock's steps.
    """

    frame_changed = Signal(int)
    speed_changed = Signal(int)  # signed multiple of the shot's fps, 0 = stopped
    actual_fps_changed = Signal(float)

    def __init__(
        self, parent: QObject | None = None, now: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(parent)
        self.clock = PlaybackClock(Fraction(24), 0, 0, now=now)
        self.current = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.tick)
        self._reported_at = 0.0

    def configure(self, fps: Fraction, first: int, last: int) -> None:
        self.stop()
        self.clock = PlaybackClock(Fraction(fps), first, last, now=self.clock._now)
        self.current = first

    def set_range(self, first: int, last: int) -> None:
        self.clock.set_range(first, last)

    def set_current(self, frame: int) -> None:
        """The playhead moved by the user: keep playing from there."""
        self.current = frame
        if self.clock.playing:
            self.clock.start(frame, self.clock.speed)

    @property
    def playing(self) -> bool:
        return self.clock.playing

    def toggle(self) -> None:
        self._apply(lambda: self.clock.toggle(self.current))

    def play(self, speed: int = 1) -> None:
        self._apply(lambda: self.clock.start(self.current, speed))

    def shuttle(self, direction: int) -> None:
        self._apply(lambda: self.clock.shuttle(direction, self.current))

    def stop(self) -> None:
        self._apply(self.clock.stop)

    def _apply(self, change: Callable[[], None]) -> None:
        before = self.clock.speed
        change()
        if self.clock.playing:
            self._reported_at = self.clock.now()
            self._arm()
        else:
            self._timer.stop()
            self.actual_fps_changed.emit(0.0)
        if self.clock.speed != before:
            self.speed_changed.emit(self.clock.speed)

    def _arm(self) -> None:
        """Wake when the next frame is due (rounded up to the timer's milliseconds)."""
        self._timer.start(next_due_ms(self.clock.next_due()))

    def tick(self) -> None:
        frame = self.clock.tick()
        if frame is not None:
            self.current = frame
            self.frame_changed.emit(frame)
        if not self.clock.playing:
            self._apply(lambda: None)
            return
        now = self.clock.now()
        if now - self._reported_at >= REPORT_EVERY:
            self._reported_at = now
            self.actual_fps_changed.emit(self.clock.actual_fps())
        self._arm()

    def note_presented(self, *_args) -> None:
        """Slot: the viewport painted a new frame (counted while playing)."""
        self.clock.presented()


def next_due_ms(seconds: float) -> int:
    """Timer interval for a frame due in ``seconds``: whole milliseconds, rounded up so the
    tick never comes before the frame changes (a tick 1 ms early would find nothing new)."""
    return max(0, math.ceil(seconds * 1000.0 - 1e-6))
