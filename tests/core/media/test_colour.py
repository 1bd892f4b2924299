"""OpenColorIO conversions: known values, round trips, alpha, display transforms, bad names."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media import colour
from ultimate_roto.core.media.types import MediaInfo


def _img(value: float, channels: int = 3) -> np.ndarray:
    return np.full((4, 5, channels), value, np.float32)


def test_srgb_half_is_0214_linear() -> None:
    out = colour.linearize(_img(0.5), "sRGB")
    assert out.dtype == np.float32 and out.shape == (4, 5, 3)
    assert out[0, 0, 0] == pytest.approx(0.21404, abs=1e-4)


@pytest.mark.parametrize("space", ["sRGB", "Rec709", "ACEScg", "ACES2065-1", "Cineon"])
def test_round_trip_through_linear(space: str) -> None:
    img = np.random.default_rng(1).random((6, 7, 3), dtype=np.float32)
    back = colour.convert(colour.convert(img, space, "Linear"), "Linear", space)
    np.testing.assert_allclose(back, img, atol=2e-4)


def test_rec709_is_the_camera_oetf() -> None:
    # BT.709 OETF: V = 1.099 L^0.45 - 0.099, so V = 0.5 -> L = ((0.599) / 1.099) ** (1 / 0.45)
    lin = colour.linearize(_img(0.5), "Rec709")[0, 0, 0]
    assert lin == pytest.approx(((0.5 + 0.099) / 1.099) ** (1 / 0.45), abs=5e-4)


def test_cineon_reference_points() -> None:
    img = np.array([[[95 / 1023, 685 / 1023, 445 / 1023]]], np.float32).reshape(1, 1, 3)
    lin = colour.linearize(img, "Cineon")[0, 0]
    assert lin[0] == pytest.approx(0.0, abs=1e-5) and lin[1] == pytest.approx(1.0, abs=1e-5)
    assert 0.1 < lin[2] < 0.2  # 18 % grey lands near code 445


def test_acescg_white_stays_white_and_gamut_changes() -> None:
    white = colour.convert(_img(1.0), "Linear", "ACEScg")[0, 0]
    np.testing.assert_allclose(white, 1.0, atol=1e-3)
    red = np.zeros((1, 1, 3), np.float32)
    red[..., 0] = 1.0
    ap1 = colour.convert(red, "Linear", "ACEScg")[0, 0]
    assert ap1[1] > 0.05  # Rec.709 red has green in AP1


def test_alpha_passes_through_untouched() -> None:
    img = _img(0.5, 4)
    img[..., 3] = np.linspace(0, 1, 5, dtype=np.float32)
    out = colour.convert(img, "sRGB", "ACEScg")
    np.testing.assert_array_equal(out[..., 3], img[..., 3])
    assert out[0, 0, 0] != pytest.approx(0.5)
    assert img[0, 0, 0] == 0.5  # input not modified in place


def test_same_space_returns_copy() -> None:
    img = _img(0.3)
    out = colour.convert(img, "sRGB", "srgb")
    out[...] = 0
    assert img[0, 0, 0] == pytest.approx(0.3)


def test_to_display_maps_linear_grey_into_range() -> None:
    out = colour.to_display(_img(0.18), "Linear")
    assert 0.3 < out[0, 0, 0] < 0.6
    raw = colour.to_display(_img(0.18), "Linear", view="Un-tone-mapped")
    # un-tone-mapped sRGB of 0.18 linear = sRGB encode(0.18) = 0.4613
    assert raw[0, 0, 0] == pytest.approx(0.4613, abs=2e-3)


def test_bake_display_lut3d_shape_and_order() -> None:
    lut = colour.bake_display_lut3d("sRGB", view="Un-tone-mapped", size=5)
    assert lut.shape == (5, 5, 5, 3) and lut.dtype == np.float32
    # lut[b, g, r]: red varies along the last axis; un-tone-mapped sRGB -> sRGB is identity
    assert lut[0, 0, 4].tolist() == pytest.approx([1.0, 0.0, 0.0], abs=2e-3)
    with pytest.raises(InputError, match="LUT size"):
        colour.bake_display_lut3d("sRGB", size=1)


def test_resolve_auto_and_names() -> None:
    info = MediaInfo("x.mp4", "video", 4, 4, 24, 0, 0, 1, "h264", 8, 3, "Rec709")
    assert colour.resolve("auto", info) == "Rec709"
    assert colour.resolve("acescg") == "ACEScg"
    assert colour.resolve("ACEScct") == "ACEScct"  # any config colour space is accepted
    with pytest.raises(InputError, match="'auto' needs"):
        colour.resolve("auto")


def test_unknown_names_list_valid_ones() -> None:
    with pytest.raises(InputError, match="unknown colour space 'LogC9'") as exc:
        colour.convert(_img(0.5), "LogC9", "Linear")
    assert all(name in exc.value.hint for name in colour.COLORSPACES)
    with pytest.raises(InputError, match="unknown display"):
        colour.to_display(_img(0.5), "sRGB", display="CRT")
    with pytest.raises(InputError, match="unknown view"):
        colour.to_display(_img(0.5), "sRGB", view="Filmic")


def test_bad_shape_rejected() -> None:
    with pytest.raises(InputError, match="shape"):
        colour.convert(np.zeros((4, 4, 2), np.float32), "sRGB", "Linear")


def test_convert_never_writes_into_the_callers_pixels():
    """A cached frame is read-only and shared: converting it must leave it as it was (an RGB
    float32 C-contiguous array used to be converted in place, read-only or not)."""
    plate = np.full((4, 5, 3), 0.18, np.float32)
    plate.setflags(write=False)
    shown = colour.convert(plate, "Linear", "sRGB")
    assert np.all(plate == np.float32(0.18))
    assert shown[0, 0, 0] == pytest.approx(0.4613, abs=1e-3)
    rgba = np.full((2, 2, 4), 0.18, np.float32)
    colour.to_display(rgba, "Linear")
    assert np.all(rgba == np.float32(0.18))
