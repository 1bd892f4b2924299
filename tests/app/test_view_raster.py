"""Raster viewport and viewer: the matte view, a new frame always repainted, HiDPI 1:1, the
Matte key and channel entry."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import CHANNELS, DisplaySettings, display


@pytest.fixture
def raster(qtbot):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    view = QtRasterViewport()
    qtbot.addWidget(view)
    view.resize(200, 160)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_matte_reference_is_the_coverage_in_grey_whatever_the_plate():
    frame = np.full((4, 6, 3), 0.8, np.float32)
    matte = np.zeros((4, 6), np.float32)
    matte[1:3, 2:5] = 0.5
    s = DisplaySettings(channel="Matte", exposure=2.0, gamma=2.2, linear=True)
    out = display(frame, s, matte)
    assert out.shape == (4, 6, 3) and np.array_equal(out[..., 0], matte)
    assert np.array_equal(out[..., 0], out[..., 2])
    assert display(frame, s, None).max() == 0.0  # no object matte: black
    a = display(frame, DisplaySettings(channel="A", overlay_visible=False), matte)
    assert a.min() == 1.0  # "A" is the plate's alpha (RGB media: 1), not the matte
    assert "Matte" in CHANNELS


def test_raster_matte_view_shows_the_soft_matte(raster):
    raster.set_frame(np.full((40, 60, 3), 0.9, np.float32))
    matte = np.zeros((40, 60), np.float32)
    matte[10:30, 10:50] = 0.5
    raster.set_mask(matte, (1.0, 0.0, 0.0))
    raster.set_channel("Matte")
    image = raster._display_image()
    assert image.pixelColor(20, 20).getRgb()[:3] == (128, 128, 128)
    assert image.pixelColor(2, 2).getRgb()[:3] == (0, 0, 0)


def test_a_new_frame_is_displayed_even_when_its_array_reuses_a_freed_id(qtbot, raster):
    """Two frames set between paints: the first is freed and the next array may get its id;
    the picture must still be the new frame's (it once was keyed on id(image))."""
    raster.set_frame(np.full((40, 60, 3), 0.0, np.float32))
    raster.repaint()
    reused = 0
    for i in range(1, 30):
        value = i / 30
        painted = id(raster.image)
        raster.set_frame(np.full((40, 60, 3), 0.0, np.float32))  # never painted
        raster.set_frame(np.full((40, 60, 3), value, np.float32))
        reused += id(raster.image) == painted
        raster.repaint()
        got = raster._display_image().pixelColor(30, 20).red()
        assert got == int(value * 255 + 0.5), (i, got)
    assert reused  # the case the test is about did happen


def test_hidpi_one_to_one_is_one_device_pixel_and_fit_stays_logical(raster, monkeypatch):
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    monkeypatch.setattr(QtRasterViewport, "devicePixelRatioF", lambda _self: 2.0)
    raster.set_frame(np.zeros((40, 60, 3), np.float32))
    v = raster.view
    raster.fit()
    assert v.zoom == pytest.approx(min(v.widget_w / 60, v.widget_h / 40) * 0.96)
    raster.one_to_one()
    assert v.zoom == pytest.approx(0.5) and raster.device_zoom() == pytest.approx(1.0)
    assert v.widget_to_image(v.widget_w / 2, v.widget_h / 2) == pytest.approx((30.0, 20.0))
    monkeypatch.setattr(QtRasterViewport, "devicePixelRatioF", lambda _self: 1.0)
    raster.one_to_one()
    assert v.zoom == pytest.approx(1.0)


def test_viewer_zoom_label_counts_device_pixels(qtbot, monkeypatch):
    from ultimate_roto.app.qt_viewer import QtViewerPanel
    from ultimate_roto.app.qt_viewport_raster import QtRasterViewport

    monkeypatch.setattr(QtRasterViewport, "devicePixelRatioF", lambda _self: 2.0)
    panel = QtViewerPanel()
    qtbot.addWidget(panel)
    panel.viewport.set_frame(np.zeros((40, 60, 3), np.float32))
    panel.viewport.one_to_one()
    assert panel.zoom.text() == "100%"


def test_m_toggles_the_matte_view_and_the_inspector_lists_it(qtbot, main_window):
    from PySide6.QtCore import Qt

    combo = main_window.inspector.channel
    assert [combo.itemText(i) for i in range(combo.count())][-1] == "Matte"
    qtbot.keyClick(main_window.viewport, Qt.Key.Key_M)
    assert main_window.viewport.settings.channel == "Matte"
    assert combo.currentText() == "Matte" and main_window.viewer.channel.text() == "Matte"
    qtbot.keyClick(main_window.viewport, Qt.Key.Key_M)
    assert main_window.viewport.settings.channel == "RGB"
    combo.setCurrentText("Matte")  # the Inspector's combo picks it too
    assert main_window.viewport.settings.channel == "Matte"


def test_raster_outline_stays_visible_when_zoomed_out(raster):
    """The raster view scales its CPU picture down: the outline is drawn a screen pixel wide
    (``outline_step``), not one texel that the scaling skips at most edge positions."""
    h, w = 256, 256
    mask = np.zeros((h, w), np.uint8)
    edges = (128, 129, 130, 131)  # every phase against the 4-texel screen pixel
    for i, e in enumerate(edges):
        mask[i * 64 : (i + 1) * 64, :e] = 255
    raster.set_frame(np.zeros((h, w, 3), np.float32))
    raster.settings.overlay_opacity = 0.0
    raster.set_mask(mask, (0.0, 1.0, 0.0))
    raster.view.zoom = 0.25
    raster.view.offset_x = raster.view.offset_y = 10.0
    image = raster.grab().toImage()
    for i in range(len(edges)):
        for row in range(10 + i * 16 + 1, 10 + (i + 1) * 16 - 1):
            greens = [image.pixelColor(x, row).green() for x in range(36, 50)]
            assert max(greens) >= 200, (edges[i], row, greens)  # a clear line on every row


def test_readout_gives_the_matte_under_the_cursor(qtbot):
    from ultimate_roto.app.qt_viewer import QtViewerPanel

    panel = QtViewerPanel()
    qtbot.addWidget(panel)
    panel.viewport.set_frame(np.full((40, 60, 3), 0.25, np.float32))
    panel.show_pixel(5, 5, 0.25, 0.25, 0.25, 1.0)
    assert "M " not in panel.readout.text()  # no object matte
    matte = np.zeros((40, 60), np.float32)
    matte[5, 5] = 0.5
    panel.viewport.set_mask(matte)
    panel.show_pixel(5, 5, 0.25, 0.25, 0.25, 1.0)
    assert panel.readout.text().endswith("A 1.0000    M 0.5020")  # 128 / 255
