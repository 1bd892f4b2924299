"""Viewer exposure in scene-linear light for every source colour space (the CPU twin and the
raster viewport): +1 stop doubles the light of display-encoded plates as of linear ones, and
0 stops leaves every transform exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import (
    CURVES,
    DisplaySettings,
    apply_lut1d,
    apply_lut3d,
    display,
    display_route,
    isolate,
    srgb_decode,
    srgb_encode,
)
from ultimate_roto.app.display_lut import bake, linear_equivalent
from ultimate_roto.core.media import colour

DISPLAY = "sRGB - Display"
TONE_MAPPED = "ACES 2.0 - SDR 100 nits (Rec.709)"
#: +1 stop on sRGB-encoded mid-grey: 0.5 encoded is 0.214 linear; 0.428 linear encodes to 0.686
DOUBLED_MID_GREY = float(srgb_encode(2.0 * srgb_decode(np.float64(0.5))))


def grey(value, dtype=np.float32, shape=(4, 4)) -> np.ndarray:
    return np.full((*shape, 3), value, dtype)


def test_plus_one_stop_on_srgb_mid_grey_doubles_its_light_through_the_default_view():
    assert abs(DOUBLED_MID_GREY - 0.686) < 1e-3 and abs(srgb_decode(0.5) - 0.214) < 1e-3
    lut = bake("sRGB", DISPLAY, None)
    assert lut.view == "Un-tone-mapped"
    got = display(grey(0.5), DisplaySettings(exposure=1.0), lut=lut)
    assert np.abs(got - DOUBLED_MID_GREY).max() <= 2 / 255
    # -1 stop halves it: 0.107 linear
    got = display(grey(0.5), DisplaySettings(exposure=-1.0), lut=lut)
    assert np.abs(got - srgb_encode(0.5 * srgb_decode(0.5))).max() <= 2 / 255
    # without an OCIO view the plate is shown as sRGB: the same doubling
    got = display(grey(0.5), DisplaySettings(exposure=1.0))
    assert np.abs(got - DOUBLED_MID_GREY).max() <= 1 / 255


def test_uint8_and_float16_compact_frames_are_exposed_in_linear_light():
    lut = bake("sRGB", DISPLAY, None)
    want = srgb_encode(2.0 * srgb_decode(128 / 255))
    for frame in (grey(128, np.uint8), grey(128 / 255, np.float16)):
        for view_lut in (lut, None):
            got = display(frame, DisplaySettings(exposure=1.0), lut=view_lut)
            assert np.abs(got - want).max() <= 2 / 255, (frame.dtype, view_lut)


@pytest.mark.parametrize(
    ("source", "linear"),
    [("Rec709", "Linear"), ("Cineon", "Linear"), ("ACEScct", "ACEScg")],
)
def test_other_encodings_are_exposed_in_their_linear_equivalent(source, linear):
    assert linear_equivalent(source) == linear
    lut = bake(source, DISPLAY, TONE_MAPPED)
    assert lut.exposure is not None and lut.exposure.lut.source == linear
    rng = np.random.default_rng(7)
    plate = rng.uniform(0.3, 0.55, (6, 6, 3)).astype(np.float32)
    lit = colour.convert(plate.copy(), source, linear) * np.float32(2.0**1.5)  # (writes input)
    got = display(plate, DisplaySettings(exposure=1.5), lut=lut)
    # exactly the linear plate, 1.5 stops up, through its own LUT (1D decode: within 1e-4)
    as_linear = np.clip(apply_lut3d(lit, bake(linear, DISPLAY, TONE_MAPPED)), 0.0, 1.0)
    assert np.abs(got - as_linear).max() < 1e-4
    want = colour.to_display(lit, linear, DISPLAY, TONE_MAPPED)
    err = np.abs(got - want)  # 33^3 trilinear through ACES 2.0 (as test_lut_is_close_to_ocio)
    assert err.mean() < 1 / 255 and err.max() < 6 / 255


@pytest.mark.parametrize(
    ("source", "linear", "curve"),
    [
        ("sRGB", "Linear", "sRGB"),
        ("sRGB Encoded AP1", "ACEScg", "sRGB"),
        ("Rec709", "Linear", "Rec709"),
        ("Cineon", "Linear", "Cineon"),
        ("ARRI LogC4", "Linear ARRI Wide Gamut 4", None),
    ],
)
def test_known_transfer_functions_are_computed_and_others_read_from_the_table(
    source, linear, curve
):
    path = bake(source, DISPLAY, None).exposure
    assert path.lut.source == linear and path.curve == curve
    x = np.linspace(0.0, 1.0, path.decode.shape[0])
    assert np.allclose(path.decode, colour.convert(np.repeat(x[:, None], 3, 1), source, linear))
    if curve is not None:  # the formula the shader computes is the table's
        assert np.abs(CURVES[curve](x)[:, None] - path.decode).max() <= 1e-4
        plate = np.random.default_rng(5).uniform(0.0, 1.0, (6, 6, 3)).astype(np.float32)
        s = DisplaySettings(exposure=0.6)
        by_formula = display(plate, s, lut=bake(source, DISPLAY, None))
        route = display_route(s, bake(source, DISPLAY, None))
        by_table = apply_lut3d(apply_lut1d(plate, route.decode) * np.float32(2**0.6), route.lut)
        assert np.abs(by_formula - np.clip(by_table, 0, 1)).max() <= 0.5 / 255


def test_data_and_channel_mixing_encodings_keep_exposure_on_their_values():
    assert linear_equivalent("Raw") is None and linear_equivalent("ADX10") is None
    lut = bake("ADX10", DISPLAY, None)
    assert lut.exposure is None
    plate = grey(0.4)
    s = DisplaySettings(exposure=1.0)
    plain = np.clip(apply_lut3d(plate * np.float32(2.0), lut), 0.0, 1.0)
    assert np.array_equal(display(plate, s, lut=lut), plain)


def test_a_linear_source_is_exposed_as_before():
    lut = bake("Linear", DISPLAY, None)
    assert lut.exposure is None and lut.shaper is not None
    plate = grey(0.214)
    got = display(plate, DisplaySettings(exposure=1.0), lut=lut)
    assert np.array_equal(got, apply_lut3d(plate * np.float32(2.0), lut))  # the old formula
    assert np.abs(got - DOUBLED_MID_GREY).max() <= 2 / 255
    s = DisplaySettings(exposure=1.0, linear=True)  # the "scene-linear input" box, no view
    assert np.array_equal(display(plate, s), srgb_encode(plate * np.float32(2.0)))


@pytest.mark.parametrize("source", ["sRGB", "Rec709", "Linear", "ACEScct", "Cineon"])
@pytest.mark.parametrize("view", ["Un-tone-mapped", TONE_MAPPED, "Video (colorimetric)"])
@pytest.mark.parametrize("channel", [0, 1, 5])
def test_zero_stops_is_exactly_the_plain_transform(source, view, channel):
    lut = bake(source, DISPLAY, view)
    rng = np.random.default_rng(2)
    rgba = rng.uniform(0.0, 1.2, (5, 7, 4)).astype(np.float32)
    s = DisplaySettings(channel=("RGB", "R", "G", "B", "A", "Luminance")[channel])
    plain = apply_lut3d(isolate(rgba[..., :3], rgba[..., 3:], channel), lut)
    assert np.array_equal(display(rgba, s, lut=lut), np.clip(plain, 0.0, 1.0))
    assert display_route(s, lut).decode is None


def test_zero_stops_without_a_view_shows_the_values_as_they_come():
    frame = np.random.default_rng(3).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    got = display(frame, DisplaySettings())
    assert np.array_equal(np.round(got * 255).astype(np.uint8), frame)


def test_both_routes_are_true_to_the_light_so_leaving_zero_stops_does_not_jump():
    lut = bake("sRGB", DISPLAY, None)
    ramp = np.linspace(0.0, 1.0, 256, dtype=np.float32)
    frame = np.repeat(ramp[None, :, None], 3, axis=2)
    base = display(frame, DisplaySettings(), lut=lut)[0, :, 0]
    assert np.abs(base - ramp).max() <= 0.5 / 255  # sRGB plate on an sRGB display: as is
    nudged = display(frame, DisplaySettings(exposure=0.01), lut=lut)[0, :, 0]
    true = np.clip(srgb_encode(srgb_decode(ramp) * 2.0**0.01), 0.0, 1.0)
    # within a level everywhere; pure black lifts to the log2 shaper's floor (2^-12 linear),
    # as a scene-linear plate's black always has
    assert np.abs(nudged - true).max() <= 1 / 255


def test_alpha_is_not_light_and_gamma_applies_to_display_values():
    lut = bake("sRGB", DISPLAY, None)
    rgba = np.zeros((3, 3, 4), np.float32)
    rgba[..., 3] = 0.5
    a0 = display(rgba, DisplaySettings(channel="A"), lut=lut)
    a1 = display(rgba, DisplaySettings(channel="A", exposure=2.0), lut=lut)
    assert np.array_equal(a0, a1)
    s = DisplaySettings(exposure=1.0, gamma=2.2)  # after the view, as Nuke's viewer gamma
    got = display(grey(0.5), s, lut=lut)
    assert np.abs(got - DOUBLED_MID_GREY ** (1 / 2.2)).max() <= 2 / 255


def test_raster_viewport_exposes_an_srgb_plate_in_linear_light(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    view = QtRasterViewport()
    qtbot.addWidget(view)
    view.set_frame(np.full((8, 8, 3), 128, np.uint8))
    view.set_source_colourspace("sRGB")
    view.set_display_view(DISPLAY, None)
    assert view._display_image().pixelColor(4, 4).red() == 128
    view.set_exposure(1.0)
    want = 255 * srgb_encode(2.0 * srgb_decode(128 / 255))
    assert abs(view._display_image().pixelColor(4, 4).red() - want) <= 2
    view.set_source_colourspace("Linear")  # a linear plate of the same values: as before
    view.set_frame(np.full((8, 8, 3), 40, np.uint8))
    want = 255 * apply_lut3d(np.full((1, 3), 2 * 40 / 255, np.float32), view.lut)[0, 0]
    assert abs(view._display_image().pixelColor(4, 4).red() - want) <= 1


@pytest.mark.parametrize("source", ["sRGB", "Linear", "ACEScg"])
@pytest.mark.parametrize("view", [None, TONE_MAPPED])
def test_pure_black_stays_black_with_exposure(source, view):
    """Every darker value lands on the log shaper's floor (2^-12); that sample is baked as
    true black, so a plate's black is 0 through the view with any exposure (it showed 1/255
    once exposure left 0 on an encoded plate, and always on linear ones)."""
    lut = bake(source, DISPLAY, view)
    for stops in (0.0, 1.0, -2.0):
        got = display(grey(0.0), DisplaySettings(exposure=stops, linear=source != "sRGB"), lut=lut)
        assert np.round(got[..., :3] * 255).max() == 0, (source, view, stops)
    # just above black is still shown as light (the floor is not a crush)
    got = display(grey(0.02), DisplaySettings(exposure=0.0, linear=source != "sRGB"), lut=lut)
    assert got[..., :3].min() > 0
