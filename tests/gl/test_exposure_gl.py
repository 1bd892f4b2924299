"""GL viewer exposure in scene-linear light: display-encoded plates (float, uint8, float16) are
decoded before the gain (the DECODE variant), linear ones are exposed as before, and 0 stops
compiles and draws the plain transform."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import (
    apply_lut3d,
    as_rgba,
    display,
    srgb_decode,
    srgb_encode,
    to_uint8,
)

DISPLAY = "sRGB - Display"
TONE_MAPPED = "ACES 2.0 - SDR 100 nits (Rec.709)"


def centre(view) -> np.ndarray:
    img = view.grabFramebuffer()
    c = img.pixelColor(img.width() // 2, img.height() // 2)
    return np.array([c.red(), c.green(), c.blue()])


def grey(value, dtype=np.float32) -> np.ndarray:
    return np.full((48, 64, 3), value, dtype)


@pytest.mark.parametrize("view_name", ["default", None])  # "Un-tone-mapped"; no OCIO view
def test_plus_one_stop_on_srgb_mid_grey_doubles_its_light(gl_viewport, view_name):
    view = gl_viewport
    if view_name is not None:
        view.set_source_colourspace("sRGB")
        view.set_display_view(DISPLAY, None)
        assert view.lut.view == "Un-tone-mapped"
    view.set_frame(grey(0.5))
    assert np.abs(centre(view) - 128).max() <= 1
    view.set_exposure(1.0)
    doubled = 255 * srgb_encode(2.0 * srgb_decode(0.5))  # 0.214 -> 0.428 linear: 0.686
    assert abs(doubled - 175) < 1
    assert np.abs(centre(view) - doubled).max() <= 2
    assert "DECODE" in view._features() and view.gl_error is None
    view.set_exposure(-1.0)
    assert np.abs(centre(view) - 255 * srgb_encode(0.5 * srgb_decode(0.5))).max() <= 2


def test_compact_frames_are_exposed_in_linear_light(gl_viewport):
    view = gl_viewport
    view.set_source_colourspace("sRGB")
    view.set_display_view(DISPLAY, None)
    view.set_exposure(1.0)
    want = 255 * srgb_encode(2.0 * srgb_decode(128 / 255))
    for frame in (grey(128, np.uint8), grey(128 / 255, np.float16)):
        view.set_frame(frame)
        assert np.abs(centre(view) - want).max() <= 2, frame.dtype
    rgba = np.full((48, 64, 4), 128, np.uint8)  # an RGBA8 plate's alpha is not light
    rgba[..., 3] = 77
    view.set_frame(rgba)
    assert np.abs(centre(view) - want).max() <= 2
    view.set_channel("A")
    assert "DECODE" not in view._features()
    assert np.abs(centre(view) - 77).max() <= 1


def test_a_linear_source_is_exposed_as_before(gl_viewport):
    view = gl_viewport
    view.set_source_colourspace("Linear")
    view.set_display_view(DISPLAY, None)
    view.set_exposure(1.0)
    view.set_frame(grey(0.214))
    assert "DECODE" not in view._features() and view.lut.exposure is None
    old = 255 * np.clip(apply_lut3d(np.full((1, 3), 0.428, np.float32), view.lut), 0, 1)[0]
    assert np.abs(centre(view) - old).max() <= 2
    view.set_display_view(None)  # the "scene-linear input" box without a view
    view.set_linear(True)
    assert np.abs(centre(view) - 255 * srgb_encode(0.428)).max() <= 1


def test_zero_stops_draws_the_plain_transform_and_exposure_uploads_nothing(gl_viewport):
    view = gl_viewport
    view.set_source_colourspace("sRGB")
    view.set_display_view(DISPLAY, "Video (colorimetric)")
    view.set_frame(grey(0.3))
    plain = centre(view)
    features, uploads = view._features(), view.lut_uploads
    assert "DECODE" not in features and "LOG_SHAPER" not in features
    view.set_exposure(0.5)
    assert "DECODE" in view._features() and "LOG_SHAPER" in view._features()
    assert not np.array_equal(centre(view), plain)
    view.set_exposure(0.0)
    assert view._features() == features and np.array_equal(centre(view), plain)
    assert view.lut_uploads == uploads  # both LUTs went up with the view, not per change


@pytest.mark.parametrize(
    ("source", "view_name", "channel", "decode"),
    [
        ("ACEScct", TONE_MAPPED, "RGB", "DECODE"),  # the decode table
        ("Rec709", "Un-tone-mapped", "Luminance", "DECODE_REC709"),  # the formula
        ("sRGB", "Video (colorimetric)", "G", "DECODE_SRGB"),
        ("Cineon", TONE_MAPPED, "RGB", "DECODE_CINEON"),
    ],
)
def test_exposed_encodings_match_the_reference_at_every_texel(
    gl_viewport, source, view_name, channel, decode
):
    view = gl_viewport
    rng = np.random.default_rng(11)
    frame = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    view.set_source_colourspace(source)
    view.set_display_view(DISPLAY, view_name)
    view.set_channel(channel)
    view.settings.gamma = 1.3  # on the display values, after the view
    view.set_exposure(0.75)
    view.set_frame(frame)
    assert {"DECODE", decode} <= set(view._features()) and view.gl_error is None
    assert ("DECODE_SRGB" in view._features()) == (decode == "DECODE_SRGB")
    expected = to_uint8(display(as_rgba(frame), view.settings, lut=view.lut)).astype(int)
    view.one_to_one()
    img = view.grabFramebuffer()
    worst = 0
    for y in range(0, 48, 3):
        for x in range(0, 64, 3):
            wx, wy = view.view.image_to_widget(x + 0.5, y + 0.5)
            c = img.pixelColor(int(wx), int(wy))
            worst = max(
                worst, int(np.abs(np.array([c.red(), c.green(), c.blue()]) - expected[y, x]).max())
            )
    assert worst <= 2
