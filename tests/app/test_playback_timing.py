"""Playback timing: a single-shot precise timer aimed at the next due frame, and an actual fps
that counts the frames painted, not the clock's steps."""

from __future__ import annotations

import re
import threading
import time
from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.playback import PlaybackClock
from ultimate_roto.app.qt_playback import QtPlayback, next_due_ms


class Now:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_next_due_is_the_time_to_the_next_frame_boundary():
    now = Now()
    clock = PlaybackClock(Fraction(24), 0, 100, now=now)
    assert clock.next_due() == 0.0  # stopped
    clock.start(10)
    assert clock.next_due() == pytest.approx(1 / 24)
    now.t += 0.03
    assert clock.next_due() == pytest.approx(1 / 24 - 0.03)
    now.t += 0.02  # 0.05 s in: frame 11 is on screen, 12 is due at 2/24
    assert clock.tick() == 11
    assert clock.next_due() == pytest.approx(2 / 24 - 0.05)
    now.t += 0.5  # a stall: the due time is the next boundary from now, not a backlog
    assert 0 < clock.next_due() <= 1 / 24
    clock.start(50, -2)  # reverse 2x: 48 frame boundaries a second
    assert clock.next_due() == pytest.approx(1 / 48)
    ntsc = PlaybackClock(Fraction(24000, 1001), 0, 100, now=now)
    ntsc.start(0)
    assert ntsc.next_due() == pytest.approx(1001 / 24000)


def test_next_due_ms_rounds_up_to_whole_milliseconds():
    assert next_due_ms(1 / 24) == 42
    assert next_due_ms(0.05) == 50  # not 51 from 0.05 * 1000 = 50.000000000000004
    assert next_due_ms(0.0) == 0
    assert next_due_ms(0.0001) == 1


def test_the_timer_is_single_shot_precise_and_aimed_at_the_due_frame(qtbot):
    from PySide6.QtCore import Qt

    now = Now()
    playback = QtPlayback(now=now)
    playback.configure(Fraction(24), 0, 100)
    shown: list[int] = []
    playback.frame_changed.connect(shown.append)
    playback.play()
    timer = playback._timer
    assert timer.isSingleShot() and timer.timerType() == Qt.TimerType.PreciseTimer
    assert timer.isActive() and timer.interval() == 42  # frame 1 is due in 41.7 ms
    now.t += 0.05
    playback.tick()
    assert shown == [1] and timer.interval() == 34  # frame 2 at 83.3 ms
    now.t += 0.034
    playback.tick()
    assert shown == [1, 2] and timer.interval() == 41  # frame 3 at 125 ms
    now.t += 0.001  # woke early: nothing new, aim again at the same boundary
    playback.tick()
    assert shown == [1, 2] and timer.interval() == 40
    playback.stop()
    assert not timer.isActive()


def test_actual_fps_counts_presented_frames_not_clock_steps():
    now = Now()
    clock = PlaybackClock(Fraction(24), 0, 10_000, now=now)
    clock.start(0)
    for i in range(1, 72):  # 3 s of ticks on time; only every third frame gets painted
        now.t += 1 / 24
        assert clock.tick() is not None
        if i % 3 == 0:
            clock.presented()
    assert clock.actual_fps() == pytest.approx(8.0, abs=0.5)
    for _ in range(24):
        now.t += 1 / 24
        clock.presented()
    assert clock.actual_fps() == pytest.approx(24.0, abs=0.5)
    now.t += 0.5  # nothing painted for half a second: the figure falls
    assert clock.actual_fps() < 16
    now.t += 1.0
    assert clock.actual_fps() == 0.0
    clock.stop()
    clock.presented()  # paints while stopped do not count
    assert clock.actual_fps() == 0.0


class PacedReader(ArrayReader):
    """One decoder that takes ``seconds`` a frame (reads are serialised, as on one stream)."""

    def __init__(self, count: int, seconds: float) -> None:
        super().__init__([np.full((30, 50, 3), n / count, np.float32) for n in range(count)])
        self.seconds = seconds
        self._lock = threading.Lock()

    def read(self, frame: int) -> np.ndarray:
        with self._lock:
            time.sleep(self.seconds)
            return super().read(frame)


def test_the_fps_label_shows_the_frames_painted_with_a_slow_reader(qtbot, main_window, monkeypatch):
    from ultimate_roto.app.qt_session import QtMediaSession

    # no thumbnails: they would take the slow reader's time before playback starts
    monkeypatch.setattr(QtMediaSession, "request_thumbnails", lambda _self: [])
    win = main_window
    win.set_reader(PacedReader(400, 0.1))
    # the user presses play once the shot is on screen
    qtbot.waitUntil(lambda: win.viewport.image.shape == (30, 50, 3), timeout=5000)
    presented: list[float] = []
    win.viewport.frame_presented.connect(lambda: presented.append(time.monotonic()))
    win.playback.play()
    label = win.transport.fps_label
    qtbot.waitUntil(lambda: "actual" in label.text(), timeout=3000)
    qtbot.wait(1500)
    text = label.text()
    win.playback.stop()
    actual, target = map(float, re.search(r"actual ([\d.]+)/(\d+)", text).groups())
    assert target == 24
    assert 1.0 <= actual <= 12.0, (text, len(presented))  # about 10 a second painted
    assert len(presented) >= 5, presented  # frames were painted while playing


def test_play_pressed_before_the_first_frame_arrives_still_shows_frames(
    qtbot, main_window, monkeypatch
):
    """New media, play at once, a decoder slower than a frame: the frames read on the way
    are shown (the session used to drop every one until a first frame was on screen, which
    with a slow decoder never happened: 0 fps for good)."""
    from ultimate_roto.app.qt_session import QtMediaSession

    monkeypatch.setattr(QtMediaSession, "request_thumbnails", lambda _self: [])
    win = main_window
    reader = PacedReader(400, 0.1)
    presented: list[int] = []
    win.viewport.frame_presented.connect(lambda: presented.append(win.current_frame))
    win.set_reader(reader)
    win.playback.play()  # before the first frame of the new media is on screen
    qtbot.waitUntil(lambda: len(presented) >= 3, timeout=5000)
    win.playback.stop()
    assert win.viewport.image.shape == (30, 50, 3)
