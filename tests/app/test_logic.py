"""Qt-free helpers of the app: view math, playback clock, timeline math, keymap, CPU display."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import (
    DisplaySettings,
    as_rgba,
    display,
    outline,
    srgb_decode,
    srgb_encode,
)
from ultimate_roto.app.keymap import DEFAULT_ACTIONS, Keymap
from ultimate_roto.app.playback import PlaybackClock
from ultimate_roto.app.timeline_math import TimelineGeometry, neighbour_key, runs, timecode
from ultimate_roto.app.view_math import MAX_ZOOM, ViewTransform, wheel_factor


class FakeTime:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def make_view(iw=200, ih=100, ww=400, wh=400) -> ViewTransform:
    v = ViewTransform()
    v.set_image_size(iw, ih)
    v.set_widget_size(ww, wh)
    return v


def test_fit_centres_and_fills():
    v = make_view()
    v.fit(margin=1.0)
    assert v.zoom == pytest.approx(2.0)
    assert v.image_to_widget(100, 50) == pytest.approx((200, 200))
    assert v.image_rect_ndc() == pytest.approx((-1.0, 0.5, 1.0, -0.5))


def test_zoom_keeps_point_under_cursor_and_clamps():
    v = make_view()
    v.fit()
    before = v.widget_to_image(123, 77)
    v.zoom_at(wheel_factor(120), 123, 77)
    assert v.widget_to_image(123, 77) == pytest.approx(before)
    for _ in range(100):
        v.zoom_at(10.0, 0, 0)
    assert v.zoom == MAX_ZOOM


def test_pixel_at_inside_outside_and_pan_one_to_one():
    v = make_view()
    v.fit(margin=1.0)
    assert v.pixel_at(1, 101) == (0, 0)
    assert v.pixel_at(1, 10) is None  # above the image
    v.pan(10, 0)
    assert v.pixel_at(1, 101) is None
    v.one_to_one()
    assert v.zoom == 1.0


def test_bad_sizes_are_clamped():
    v = ViewTransform()
    v.set_image_size(0, -5)
    assert (v.image_w, v.image_h) == (1, 1)


def test_clock_drops_frames_instead_of_drifting():
    now = FakeTime()
    clock = PlaybackClock(Fraction(24), 0, 99, now=now)
    clock.start(0)
    now.t += 1 / 24 + 1e-6
    assert clock.tick() == 1
    now.t += 5 / 24  # a slow frame: 5 frame periods passed
    assert clock.tick() == 6
    assert clock.dropped == 4
    now.t += 0.001  # too early for the next frame
    assert clock.tick() is None


def test_clock_loops_and_reverse():
    now = FakeTime()
    clock = PlaybackClock(Fraction(24000, 1001), 10, 19, now=now)
    clock.start(18)
    now.t += 3 * 1001 / 24000 + 1e-6
    assert clock.target_frame() == 11
    clock.start(11, -1)
    now.t += 2 * 1001 / 24000 + 1e-6
    assert clock.target_frame() == 19


def test_shuttle_speeds_up_to_8x_and_k_stops():
    clock = PlaybackClock(Fraction(25), 0, 10, now=FakeTime())
    speeds = []
    for _ in range(5):
        clock.shuttle(1, 3)
        speeds.append(clock.speed)
    assert speeds == [1, 2, 4, 8, 8]
    clock.shuttle(-1, 3)
    assert clock.speed == -1
    clock.shuttle(0, 3)
    assert not clock.playing


def test_clock_rejects_bad_fps():
    with pytest.raises(ValueError):
        PlaybackClock(Fraction(0), 0, 10)


def test_timecode_and_geometry():
    assert timecode(0, Fraction(24)) == "00:00:00:00"
    assert timecode(24 * 3661 + 5, Fraction(24)) == "01:01:01:05"
    assert timecode(30, Fraction(30000, 1001)) == "00:00:01:00"
    with pytest.raises(ValueError):
        timecode(1, Fraction(0))
    g = TimelineGeometry(first=10, last=19, width=120, margin=10)
    assert g.frame_width == 10
    assert g.frame_at(10) == 10 and g.frame_at(25) == 11
    assert g.frame_at(-50) == 10 and g.frame_at(5000) == 19
    assert g.ticks(min_pixels=45) == [10, 15]


def test_runs_and_neighbour_keys():
    assert runs({1, 2, 3, 7, 9, 10}) == [(1, 3), (7, 7), (9, 10)]
    assert runs([]) == []
    assert neighbour_key({5, 10, 20}, 10, 1) == 20
    assert neighbour_key({5, 10, 20}, 10, -1) == 5
    assert neighbour_key({5}, 5, 1) is None


def test_keymap_defaults_are_conflict_free_and_rebind_detects_clash():
    km = Keymap()
    assert km.conflicts() == {}
    assert km.key("playback.toggle") == "Space"
    assert len({a.id for a in DEFAULT_ACTIONS}) == len(DEFAULT_ACTIONS)
    km.bind("tool.box", "F")
    assert km.conflicts() == {"f": ["tool.box", "view.fit"]}
    assert km.conflicts_with("tool.brush", "f") == ["tool.box", "view.fit"]
    assert km.overrides() == {"tool.box": "F"}
    km.reset()
    assert km.overrides() == {}
    assert km.load({"nope": "X", "tool.brush": "N"}) == ["nope"]
    with pytest.raises(KeyError):
        km.bind("no.such.action", "X")


def test_display_matches_hand_computed_values():
    rgba = as_rgba(np.array([[[0.1, 0.2, 0.4]]], np.float32))
    out = display(rgba, DisplaySettings(exposure=1.0, linear=True))  # scene-linear: x 2
    assert out[0, 0] == pytest.approx(srgb_encode(np.float32([0.2, 0.4, 0.8])))
    out = display(rgba, DisplaySettings(exposure=1.0))  # sRGB-encoded: 2 x its linear light
    doubled = srgb_encode(2.0 * srgb_decode(np.float32([0.1, 0.2, 0.4])))
    assert out[0, 0] == pytest.approx(doubled, abs=1e-5)
    out = display(rgba, DisplaySettings(channel="G", gamma=2.0))
    assert out[0, 0] == pytest.approx([0.2**0.5] * 3)
    out = display(rgba, DisplaySettings(linear=True))
    assert out[0, 0, 0] == pytest.approx(float(srgb_encode(np.float32(0.1))))
    assert display(rgba, DisplaySettings(channel="A"))[0, 0] == pytest.approx([1, 1, 1])


def test_overlay_tints_and_outlines():
    rgba = as_rgba(np.zeros((8, 8, 3), np.float32))
    mask = np.zeros((8, 8), np.float32)
    mask[2:6, 2:6] = 1.0
    s = DisplaySettings(overlay_colour=(1.0, 0.0, 0.0), overlay_opacity=0.5)
    out = display(rgba, s, mask)
    assert out[3, 3] == pytest.approx([0.5, 0, 0])  # inside: tinted
    assert out[2, 2] == pytest.approx([1.0, 0, 0])  # edge: outline
    assert out[0, 0] == pytest.approx([0, 0, 0])
    assert outline(mask).sum() > 0


def test_as_rgba_rejects_bad_shapes_and_scales_ints():
    with pytest.raises(ValueError):
        as_rgba(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError):
        as_rgba(np.zeros(5))
    assert as_rgba(np.full((1, 1, 3), 255, np.uint8))[0, 0] == pytest.approx([1, 1, 1, 1])
