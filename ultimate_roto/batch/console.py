"""Console progress for batch runs: a redrawn bar on a terminal, plain periodic lines in logs."""

from __future__ import annotations

import math
import shutil
import sys
import threading
import time
from typing import TextIO

BAR_WIDTH = 24
LINE_STEP = 0.05  # plain output: one line every 5 %
REDRAW_S = 0.1  # terminal output: at most ten redraws a second


def format_duration(seconds: float | None) -> str:
    """``H:MM:SS`` (or ``M:SS`` under an hour); ``--:--`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ConsoleProgress:
    """A ``Progress`` callback that draws percentage, frames done/total, fps and ETA.

    Parameters
    ----------
    stream
        Where to draw (default ``sys.stderr``).
    total_frames
        Work units the whole run represents (frames × passes); set later with
        :meth:`set_total`. Without it, frames and fps are not shown.
    tty
        Force terminal (``\\r`` redraw) or plain-line mode; default: ``stream.isatty()``.
    quiet
        Draw nothing (log lines from :meth:`log` are still printed).
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        total_frames: int | None = None,
        *,
        tty: bool | None = None,
        quiet: bool = False,
        clock=time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total_frames
        self.tty = bool(tty if tty is not None else getattr(self.stream, "isatty", bool)())
        self.quiet = quiet
        self._clock = clock
        self._start: float | None = clock()  # the run starts when its console is made
        self._next_line = 0.0
        self._last_draw = -math.inf
        self._drawn = False
        self._lock = threading.Lock()
        self.fraction = 0.0
        self.message = ""

    def set_total(self, total_frames: int | None) -> None:
        """Set the number of work units (frames × passes) the fraction maps to."""
        self.total = total_frames if total_frames and total_frames > 0 else None

    def __call__(self, fraction: float, message: str = "") -> None:
        """Progress callback: ``fraction`` in [0, 1] (clamped; NaN counts as 0)."""
        f = 0.0 if not math.isfinite(fraction) else min(1.0, max(0.0, fraction))
        with self._lock:
            now = self._clock()
            if self._start is None:
                self._start = now
            self.fraction, self.message = f, message or self.message
            if self.quiet:
                return
            if self.tty:
                if now - self._last_draw >= REDRAW_S or f >= 1.0:
                    self._last_draw = now
                    self._draw_bar(now)
            elif f >= self._next_line or not self._drawn:
                self._drawn = True
                self._next_line = (math.floor(f / LINE_STEP + 1e-9) + 1) * LINE_STEP
                self.stream.write(self.status_line(now) + "\n")
                self.stream.flush()

    def status_line(self, now: float | None = None) -> str:
        """``" 42%  84/200 frames  23.4 fps  ETA 0:05  message"``."""
        now = self._clock() if now is None else now
        elapsed = now - self._start if self._start is not None else 0.0
        parts = [f"{self.fraction * 100:5.1f}%"]
        if self.total:
            done = int(round(self.fraction * self.total))
            parts.append(f"{done}/{self.total} frames")
            if elapsed > 0 and done:
                parts.append(f"{done / elapsed:.1f} fps")
        eta = elapsed * (1 - self.fraction) / self.fraction if self.fraction > 0 else None
        parts.append(f"ETA {format_duration(eta)}")
        if self.message:
            parts.append(self.message)
        return "  ".join(parts)

    def _draw_bar(self, now: float) -> None:
        filled = int(round(self.fraction * BAR_WIDTH))
        bar = "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "] "
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = (bar + self.status_line(now))[:width]
        self.stream.write("\r" + text.ljust(width))
        self.stream.flush()
        self._drawn = True

    def log(self, line: str) -> None:
        """Print a line above the bar (the bar is redrawn on the next report)."""
        with self._lock:
            if self.tty and self._drawn and not self.quiet:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.stream.write("\r" + " " * width + "\r")
            self.stream.write(line + "\n")
            self.stream.flush()
            self._last_draw = -math.inf

    def finish(self) -> None:
        """End the bar's line on a terminal."""
        with self._lock:
            if self.tty and self._drawn and not self.quiet:
                self.stream.write("\n")
                self.stream.flush()
                self._drawn = False
