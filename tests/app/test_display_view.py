"""OCIO display/view LUT and depth overlay: the CPU twin, the raster viewport and the inspector."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import (
    DisplaySettings,
    apply_lut3d,
    as_rgba,
    display,
    normalise_depth,
    to_uint8,
)
from ultimate_roto.app.display_lut import bake
from ultimate_roto.core.errors import InputError
from ultimate_roto.core.media import colour


@pytest.mark.parametrize(
    ("source", "view"),
    [("Linear", "ACES 2.0 - SDR 100 nits (Rec.709)"), ("sRGB", "Video (colorimetric)")],
)
def test_lut_is_close_to_ocio(source, view):
    lut = bake(source, "sRGB - Display", view)
    rng = np.random.default_rng(1)
    top = 4.0 if lut.shaper else 1.0
    img = rng.uniform(0.01, top, (16, 16, 3)).astype(np.float32)
    ours = apply_lut3d(img, lut)
    ref = colour.to_display(img, source, "sRGB - Display", view)[..., :3]
    err = np.abs(ours - ref)  # 33^3 trilinear: ACES 2.0 gamut mapping bends within a cell
    assert err.mean() < 1 / 255 and err.max() < 10 / 255
    assert (lut.shaper is not None) == (source == "Linear")


def test_log_shaper_keeps_highlights_apart():
    lut = bake("Linear", "sRGB - Display", "Un-tone-mapped")
    bright = apply_lut3d(np.array([[[1.0, 1.0, 1.0], [0.5, 0.5, 0.5]]], np.float32), lut)
    assert bright[0, 0, 0] > bright[0, 1, 0] + 0.1


def test_lut_replaces_the_srgb_encode_and_unknown_view_is_refused(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    vp = QtRasterViewport()
    qtbot.addWidget(vp)
    frame = np.full((8, 8, 3), 0.18, np.float32)
    vp.set_frame(frame)
    vp.set_source_colourspace("Linear")
    vp.set_display_view("sRGB - Display", None)
    assert vp.lut.view == "Un-tone-mapped"  # the default: no tone mapping, like Nuke's viewer
    vp.set_display_view("sRGB - Display", colour.config().getDefaultView("sRGB - Display"))
    image = vp._display_image()
    expected = to_uint8(display(as_rgba(frame), vp.settings, lut=vp.lut))
    assert image.pixelColor(3, 3).red() == expected[3, 3, 0]
    assert (
        expected[3, 3, 0]
        != to_uint8(display(as_rgba(frame), DisplaySettings(linear=True)))[3, 3, 0]
    )
    with pytest.raises(InputError, match="unknown view 'Bogus'") as info:
        vp.set_display_view("sRGB - Display", "Bogus")
    assert "use one of" in info.value.hint
    assert vp.lut.view == colour.config().getDefaultView("sRGB - Display")  # kept


def test_depth_overlay_near_warm_far_cool(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    vp = QtRasterViewport()
    qtbot.addWidget(vp)
    frame = np.zeros((4, 10, 3), np.float32)
    depth = np.tile(np.arange(10, dtype=np.float32), (4, 1))
    depth[0, 0] = np.nan
    vp.set_frame(frame)
    vp.set_depth(depth)
    assert vp._display_image().pixelColor(5, 2).red() == 0  # off by default
    vp.set_depth_visible(True)
    image = vp._display_image()
    expected = to_uint8(display(as_rgba(frame), vp.settings, depth=normalise_depth(depth)))
    near, far = image.pixelColor(0, 2), image.pixelColor(9, 2)
    assert (near.red(), far.blue()) == (expected[2, 0, 0], expected[2, 9, 2])
    assert near.red() > near.blue() and far.blue() > far.red()
    assert normalise_depth(depth)[0, 0] == 1.0  # non-finite counts as far
    with pytest.raises(ValueError, match="2-D"):
        vp.set_depth(np.zeros((2, 2, 3)))


def test_inspector_display_view_drives_the_viewport(main_window):
    ins, vp = main_window.inspector, main_window.viewport
    assert ins.display.currentText() == "sRGB - Display"
    assert ins.view.currentText() == "Un-tone-mapped"
    assert vp.lut is not None and vp.lut.view == ins.view.currentText()
    ins.view.setCurrentText("Video (colorimetric)")
    assert vp.lut.view == "Video (colorimetric)"
    main_window.set_display_view("sRGB - Display", "Nope")  # refused: message, view kept
    assert vp.lut.view == "Video (colorimetric)"
    assert "unknown view" in main_window.statusBar().currentMessage()
    ins.depth.setChecked(True)
    assert vp.settings.depth_visible
