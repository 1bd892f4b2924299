"""Console progress: plain lines every 5 % in logs, a redrawn bar on a terminal."""

from __future__ import annotations

import io

from ultimate_roto.batch.console import ConsoleProgress, format_duration


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_mode_prints_a_line_every_5_percent():
    out, clock = io.StringIO(), Clock()
    console = ConsoleProgress(out, total_frames=200, tty=False, clock=clock)
    for done in range(1, 201):
        clock.now += 0.1
        console(done / 200, f"frame {done}/200")
    lines = out.getvalue().splitlines()
    assert len(lines) == 21 and "\r" not in out.getvalue()  # the first report, then each 5 %
    assert lines[0] == "  0.5%  1/200 frames  10.0 fps  ETA 0:20  frame 1/200"
    assert lines[1].startswith("  5.0%  10/200 frames  10.0 fps  ETA 0:19  frame 10/200")
    assert lines[-1].startswith("100.0%  200/200 frames") and "ETA 0:00" in lines[-1]


def test_terminal_mode_redraws_one_line_with_a_bar():
    out, clock = io.StringIO(), Clock()
    console = ConsoleProgress(out, total_frames=10, tty=True, clock=clock)
    for done in range(1, 11):
        clock.now += 0.5
        console(done / 10, "")
    console.log("step segment: 1.00 s")
    console.finish()
    text = out.getvalue()
    assert text.count("\r[") == 10 and "\n" in text
    assert "[########################] 100.0%  10/10 frames  2.0 fps" in text
    assert "step segment: 1.00 s\n" in text


def test_bad_fractions_are_clamped_and_quiet_prints_nothing():
    out = io.StringIO()
    console = ConsoleProgress(out, total_frames=0, tty=False)
    console(float("nan"), "start")
    console(7.5, "")
    assert out.getvalue().splitlines() == ["  0.0%  ETA --:--  start", "100.0%  ETA 0:00  start"]
    quiet = io.StringIO()
    ConsoleProgress(quiet, tty=True, quiet=True)(0.5, "x")
    assert quiet.getvalue() == ""


def test_format_duration():
    assert format_duration(None) == "--:--"
    assert format_duration(float("inf")) == "--:--"
    assert format_duration(-1) == "--:--"
    assert format_duration(65.4) == "1:05"
    assert format_duration(3725) == "1:02:05"
