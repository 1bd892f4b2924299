"""Timecode parsing/formatting, drop-frame arithmetic and BCD decoding."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media import timecode as tc

NTSC = Fraction(30000, 1001)


def test_non_drop_round_trip() -> None:
    assert tc.frames_to_timecode(86400 + 5, 24) == "01:00:00:05"
    assert tc.timecode_to_frames("01:00:00:05", 24) == 86405
    assert tc.frames_to_timecode(86400, Fraction(24000, 1001)) == "01:00:00:00"


def test_drop_frame_skips_two_frames_each_minute_but_tenth() -> None:
    assert tc.frames_to_timecode(1799, NTSC) == "00:00:59;29"
    assert tc.frames_to_timecode(1800, NTSC) == "00:01:00;02"
    assert tc.frames_to_timecode(17982, NTSC) == "00:10:00;00"
    for n in (0, 1799, 1800, 17981, 17982, 107892, 123456):
        assert tc.timecode_to_frames(tc.frames_to_timecode(n, NTSC), NTSC) == n


def test_offset_and_bcd() -> None:
    assert tc.offset_timecode("00:59:59:23", 1, 24) == "01:00:00:00"
    assert tc.from_bcd(0x10203004) == "10:20:30:04"
    assert tc.from_bcd(0x01020304, drop=True) == "01:02:03;04"


def test_parse_rejects_garbage() -> None:
    assert tc.parse_timecode("01:02:03;04") == (1, 2, 3, 4, True)
    with pytest.raises(InputError, match="HH:MM:SS:FF"):
        tc.parse_timecode("1 hour")
