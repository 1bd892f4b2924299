"""Playback driver: a precise QTimer ticks the Qt-free PlaybackClock, which drops late frames."""

from __future__ import annotations

import time
from collections.abc import Callable
from fractions import Fraction

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from ultimate_roto.app.playback import PlaybackClock


class QtPlayback(QObject):
    """Play/pause/J-K-L over the in/out range; emits the frames to show, never decodes."""

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
        self._timer.timeout.connect(self.tick)
        self._shown_since_report = 0

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
            # tick twice per frame period at the played speed: late ticks drop frames
            period_ms = 1000.0 / (float(self.clock.fps) * abs(self.clock.speed))
            self._timer.start(max(1, int(period_ms / 2)))
        else:
            self._timer.stop()
            self.actual_fps_changed.emit(0.0)
        if self.clock.speed != before:
            self.speed_changed.emit(self.clock.speed)

    def tick(self) -> None:
        frame = self.clock.tick()
        if frame is not None:
            self.current = frame
            self.frame_changed.emit(frame)
            self._shown_since_report += 1
            if self._shown_since_report >= 12:
                self._shown_since_report = 0
                self.actual_fps_changed.emit(self.clock.actual_fps())
        if not self.clock.playing:
            self._apply(lambda: None)
