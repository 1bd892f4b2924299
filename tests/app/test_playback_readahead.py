"""Playback read-ahead: direction and stride from the playhead, frames shown the moment they are
due, stale results dropped, and the clock that drops rather than drifts."""

from __future__ import annotations

import math
import random
import threading
from fractions import Fraction

import numpy as np

from tests.app.conftest import small_reader
from ultimate_roto.app.array_reader import ArrayReader
from ultimate_roto.app.playback import PlaybackClock, ReadAhead
from ultimate_roto.app.qt_session import QtMediaSession, read_ahead_frames
from ultimate_roto.core.cache import TieredCache


class SlowReader(ArrayReader):
    """Frame n is n / 100 everywhere; records reads; a frame in ``gates`` waits for its event."""

    def __init__(self, count: int = 40, gates: dict[int, threading.Event] | None = None):
        super().__init__([np.full((4, 6, 3), n / 100, np.float32) for n in range(count)])
        self.reads: list[int] = []
        self.gates = dict(gates or {})
        self.waiting = threading.Event()

    def read(self, frame: int) -> np.ndarray:
        gate = self.gates.pop(frame, None)
        if gate is not None:
            self.waiting.set()
            gate.wait(timeout=5)
        self.reads.append(frame)
        return super().read(frame)


def open_session(reader: ArrayReader, ahead: int = 4) -> tuple[QtMediaSession, list[int]]:
    session = QtMediaSession(reader, cache=TieredCache(1 << 26))
    session.prefetch_ahead = ahead
    shown: list[int] = []
    session.frame_loaded.connect(lambda frame, _data: shown.append(frame))
    return session, shown


def test_read_ahead_direction_and_stride_follow_the_playhead():
    def steps(frames):
        ahead = ReadAhead()
        return [ahead.observe(f) for f in frames]

    assert steps([10, 11, 12, 14, 15]) == [1, 1, 1, 1, 1]  # 1x; a late tick skipped 13
    assert steps([10, 12, 14, 18, 20]) == [1, 1, 2, 2, 2]  # 2x, trusted once two moves agree
    assert steps([30, 29, 28, 26]) == [1, -1, -1, -1]  # reverse
    assert steps([30, 29, 28, 400, 399]) == [1, -1, -1, -1, -1]  # a jump keeps the direction
    assert steps([30, 29, 28, 29]) == [1, -1, -1, 1]  # turned round


def test_the_clock_drops_frames_and_never_drifts_behind_the_wall_clock():
    class Now:
        t = 0.0

        def __call__(self) -> float:
            return self.t

    now, rng = Now(), random.Random(7)
    clock = PlaybackClock(Fraction(24), 0, 10_000, now=now, loop=False)
    clock.start(0)
    shown = 0
    for _ in range(500):
        now.t += rng.choice([0.02, 0.02, 0.021, 0.2])  # on time, now and then a slow frame
        frame = clock.tick()
        if frame is not None:
            shown += 1
            assert frame == math.floor(now.t * 24)  # where the wall clock says, never behind
    assert clock.dropped > 0
    assert shown + clock.dropped == clock.target_frame()  # every frame shown or counted


def test_read_ahead_window_fits_the_ram_budget():
    small = small_reader(4, 64, 36).info
    assert read_ahead_frames(small, TieredCache(1 << 30)) == 12
    huge = small_reader(1, 64, 36).info.__class__(**{**small.__dict__, "width": 8192})
    assert read_ahead_frames(huge, TieredCache(64 << 20)) == 2  # never less than two


def test_playing_forward_reads_ahead_and_a_ready_frame_is_shown_at_once(qtbot):
    reader = SlowReader()
    session, shown = open_session(reader)
    try:
        session.request(10)
        qtbot.waitUntil(lambda: shown == [10])
        qtbot.waitUntil(lambda: all(session.provider.peek(f) is not None for f in range(11, 15)))
        assert reader.reads[:5] == [10, 11, 12, 13, 14]  # the played frame, then ahead
        session.request(11)
        assert shown == [10, 11]  # handed over before request() returned (same paint)
        session.request(12)
        assert shown == [10, 11, 12]
        qtbot.waitUntil(lambda: session.provider.peek(16) is not None)  # the window moved on
        assert session.provider.peek(8) is None  # behind the playhead: let go
    finally:
        session.close()


def test_playing_backwards_reads_ahead_backwards(qtbot):
    reader = SlowReader()
    session, shown = open_session(reader)
    try:
        for frame in (30, 29, 28):
            session.request(frame)
            qtbot.waitUntil(lambda f=frame: shown[-1:] == [f])
        # 25 is further back than the two frames kept behind a forward playhead
        qtbot.waitUntil(lambda: all(session.provider.peek(f) is not None for f in range(25, 28)))
        assert session.provider.peek(31) is None  # forward of a reverse playhead: not kept
    finally:
        session.close()


def test_a_result_for_a_frame_the_playhead_left_is_dropped(qtbot):
    gate = threading.Event()
    reader = SlowReader(gates={5: gate})
    session, shown = open_session(reader)
    try:
        session.request(5)
        assert reader.waiting.wait(timeout=5)  # 5 is being read
        session.request(20)  # the user jumped: 20 is wanted now
        gate.set()
        qtbot.waitUntil(lambda: shown == [20])
        qtbot.wait(100)  # 5 has arrived by now, and was not shown after 20
        assert shown == [20] and 5 in reader.reads
    finally:
        session.close()


def test_a_late_frame_on_the_way_is_shown_one_already_passed_is_not(qtbot):
    gate = threading.Event()
    reader = SlowReader(gates={12: gate})
    session, shown = open_session(reader)
    try:
        session.request(10)
        qtbot.waitUntil(lambda: shown == [10] and session.provider.peek(11) is not None)
        session.request(11)
        assert reader.waiting.wait(timeout=5)  # 12 is being read, slowly
        session.request(12)
        session.request(14)  # the clock moved on while 12 was read
        gate.set()
        qtbot.waitUntil(lambda: shown[-1:] == [14])
        qtbot.wait(100)
        assert shown == [10, 11, 12, 14]  # 12 was progress towards 14; 13 was passed
    finally:
        session.close()


def test_cache_bar_changes_are_reported_once(qtbot):
    session, shown = open_session(SlowReader(count=8))
    try:
        session.read_now(3)
        assert session.cached_frames_changed() == [3]
        assert session.cached_frames_changed() is None  # nothing new: no repaint
        session.read_now(4)
        assert session.cached_frames_changed() == [3, 4]
    finally:
        session.close()


def test_window_playback_reads_ahead_in_the_play_direction(qtbot, main_window):
    win = main_window
    win.set_reader(small_reader(80))
    qtbot.waitUntil(lambda: win.viewport.frame is not None, timeout=3000)
    win._user_frame(30)
    provider = win.session.provider

    def ready(frames) -> bool:
        return any(provider.peek(f) is not None for f in frames)

    win.playback.play(1)
    qtbot.waitUntil(lambda: win.current_frame >= 34, timeout=5000)
    win.playback.stop()
    here = win.current_frame
    qtbot.waitUntil(lambda: ready(range(here + 3, here + 7)), timeout=3000)
    assert not ready(range(here - 6, here - 2))
    win.playback.play(-1)
    qtbot.waitUntil(lambda: win.current_frame <= here - 4, timeout=5000)
    win.playback.stop()
    here = win.current_frame
    qtbot.waitUntil(lambda: ready(range(here - 6, here - 2)), timeout=3000)
    assert not ready(range(here + 3, here + 7))
    shown = float(win.viewport.frame[0, 0, 0])
    assert abs(shown - here / 100) < 1e-6  # the frame on screen is the playhead's
