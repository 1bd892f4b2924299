"""Display shader variants: one program per feature set in use, compiled once, same output."""

from __future__ import annotations

import numpy as np

from ultimate_roto.app.display_cpu import as_rgba, display, to_uint8


def centre(view) -> np.ndarray:
    img = view.grabFramebuffer()
    c = img.pixelColor(img.width() // 2, img.height() // 2)
    return np.array([c.red(), c.green(), c.blue()])


def test_a_feature_set_is_compiled_once_and_reused(gl_viewport):
    view = gl_viewport
    frame = np.full((48, 64, 3), 0.3, np.float32)
    view.set_frame(frame)
    plain = centre(view)
    built = view.program_builds
    mask = np.full((48, 64), 255, np.uint8)
    view.set_mask(mask, (1.0, 0.0, 0.0))
    tinted = centre(view)
    assert view.program_builds == built + 1  # the overlay variant
    for _ in range(3):  # toggling back and forth compiles nothing new
        view.toggle_overlay()
        assert np.array_equal(centre(view), plain)
        view.toggle_overlay()
        assert np.array_equal(centre(view), tinted)
    assert view.program_builds == built + 1
    assert view.gl_error is None


def with_depth_and_overlay(view, frame: np.ndarray) -> np.ndarray:
    """Show ``frame`` with a depth layer and a half-covered mask overlay; returns the mask."""
    view.set_depth(np.full((48, 64), 2.0, np.float32))
    view.set_depth_visible(True)
    view.settings.depth_opacity = 0.25
    view.set_frame(frame)
    mask = np.zeros((48, 64), np.uint8)
    mask[10:38, 10:54] = 128
    view.set_mask(mask, (0.0, 0.5, 1.0))
    return mask


def test_every_feature_at_once_matches_the_reference(gl_viewport):
    view = gl_viewport
    frame = np.ascontiguousarray(np.broadcast_to(np.float32([0.2, 0.45, 0.7]), (48, 64, 3)))
    view.settings.exposure, view.settings.gamma, view.settings.linear = 0.5, 1.8, True
    mask = with_depth_and_overlay(view, frame)
    got = centre(view)
    s = view.settings
    want = display(as_rgba(frame), s, mask.astype(np.float32) / 255.0, None, view.depth)
    assert np.abs(got - to_uint8(want)[24, 32].astype(int)).max() <= 2


def test_every_feature_with_exposure_on_an_encoded_plate_matches_the_reference(gl_viewport):
    view = gl_viewport
    frame = np.ascontiguousarray(np.broadcast_to(np.uint8([40, 120, 200]), (48, 64, 3)))
    view.set_source_colourspace("Rec709")
    view.set_display_view("sRGB - Display", "ACES 2.0 - SDR 100 nits (Rec.709)")
    view.settings.exposure, view.settings.gamma = -0.75, 1.6
    view.set_channel("Luminance")
    mask = with_depth_and_overlay(view, frame)
    got = centre(view)
    assert {"DECODE", "DECODE_REC709", "LOG_SHAPER", "CHANNEL", "DEPTH", "OVERLAY"} <= set(
        view._features()
    )
    s = view.settings
    want = display(as_rgba(frame), s, mask.astype(np.float32) / 255.0, view.lut, view.depth)
    assert np.abs(got - to_uint8(want)[24, 32].astype(int)).max() <= 2
    assert view.gl_error is None
