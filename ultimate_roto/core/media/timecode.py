"""SMPTE timecode strings: parse, format, frame <-> timecode (drop-frame aware)."""

from __future__ import annotations

import re
from fractions import Fraction

from ultimate_roto.core.errors import InputError

_TC_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2,3})$")


def nominal_rate(fps: Fraction | float) -> int:
    """Integer frames per timecode second (24000/1001 -> 24, 30000/1001 -> 30)."""
    return max(1, round(float(fps)))


def is_drop_frame_rate(fps: Fraction | float) -> bool:
    """True for the NTSC rates where drop-frame timecode is meaningful (29.97, 59.94)."""
    return nominal_rate(fps) in (30, 60) and abs(float(fps) - nominal_rate(fps)) > 1e-3


def format_timecode(hours: int, minutes: int, seconds: int, frames: int, drop: bool = False) -> str:
    """Format ``HH:MM:SS:FF`` (``HH:MM:SS;FF`` when ``drop`` is true)."""
    sep = ";" if drop else ":"
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{sep}{frames:02d}"


def parse_timecode(text: str) -> tuple[int, int, int, int, bool]:
    """Split a timecode string into (hours, minutes, seconds, frames, drop_frame).

    Raises
    ------
    InputError
        If ``text`` is not ``HH:MM:SS:FF`` / ``HH:MM:SS;FF``.
    """
    m = _TC_RE.match(text.strip())
    if not m:
        raise InputError(
            f"timecode {text!r} is not in HH:MM:SS:FF form",
            hint="write it like 01:00:00:00 (use ';' before the frames for drop-frame)",
        )
    h, mi, s, sep, f = m.groups()
    return int(h), int(mi), int(s), int(f), sep in ";,"


def timecode_to_frames(text: str, fps: Fraction | float) -> int:
    """Frame count since 00:00:00:00 for a timecode at ``fps`` (drop-frame honoured)."""
    h, m, s, f, drop = parse_timecode(text)
    rate = nominal_rate(fps)
    total = ((h * 60 + m) * 60 + s) * rate + f
    if drop and is_drop_frame_rate(fps):
        dropped = 2 * (rate // 30)
        minutes = h * 60 + m
        total -= dropped * (minutes - minutes // 10)
    return total


def frames_to_timecode(frames: int, fps: Fraction | float, drop: bool | None = None) -> str:
    """Timecode of an absolute frame count at ``fps``.

    Parameters
    ----------
    frames
        Frames since 00:00:00:00 (wraps at 24 hours).
    fps
        The media rate; drop-frame is used by default for 29.97 and 59.94.
    drop
        Force drop-frame on or off; ``None`` picks it from ``fps``.
    """
    rate = nominal_rate(fps)
    drop = is_drop_frame_rate(fps) if drop is None else drop and is_drop_frame_rate(fps)
    if drop:
        dropped = 2 * (rate // 30)
        per_10min = rate * 600 - dropped * 9
        per_min = rate * 60 - dropped
        tens, rem = divmod(frames, per_10min)
        extra = 0 if rem < dropped else dropped * ((rem - dropped) // per_min)
        frames = frames + dropped * 9 * tens + extra
    frames %= rate * 86400
    s_total, f = divmod(frames, rate)
    m_total, s = divmod(s_total, 60)
    h, m = divmod(m_total, 60)
    return format_timecode(h, m, s, f, drop)


def offset_timecode(start: str, offset: int, fps: Fraction | float) -> str:
    """The timecode ``offset`` frames after ``start``."""
    drop = parse_timecode(start)[4]
    return frames_to_timecode(timecode_to_frames(start, fps) + offset, fps, drop)


def from_bcd(value: int, drop: bool = False) -> str:
    """Decode a packed-BCD SMPTE timecode word (DPX header, EXR ``timeAndFlags``)."""
    digits = [(value >> shift) & 0xF for shift in range(28, -4, -4)]
    h = (digits[0] & 0x3) * 10 + digits[1]
    m = (digits[2] & 0x7) * 10 + digits[3]
    s = (digits[4] & 0x7) * 10 + digits[5]
    f = (digits[6] & 0x3) * 10 + digits[7]
    return format_timecode(h, m, s, f, drop)
