"""GL viewport: the object's matte in grey, an outline that survives zooming out, HiDPI 1:1."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import as_rgba, display, to_uint8


def sized_viewport(qtbot, width: int, height: int):
    from ultimate_roto.app.qt_viewport import QtViewport

    view = QtViewport()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def rgb_at(img, x: float, y: float) -> np.ndarray:
    c = img.pixelColor(int(x), int(y))
    return np.array([c.red(), c.green(), c.blue()])


def test_matte_view_shows_the_soft_matte_in_grey_like_the_reference(gl_viewport):
    rng = np.random.default_rng(5)
    frame = np.ascontiguousarray(rng.uniform(0.0, 1.0, (48, 64, 3)).astype(np.float32))
    matte = np.zeros((48, 64), np.float32)
    matte[8:40, 8:56] = 0.5  # a soft (half) matte
    matte[20:28, 24:40] = 1.0
    matte[:, 60:] = np.linspace(0.0, 1.0, 48, dtype=np.float32)[:, None]
    gl_viewport.set_frame(frame)
    gl_viewport.set_mask(matte, (1.0, 0.0, 0.0))
    gl_viewport.settings.exposure = 1.5  # the matte is shown as it is: no transform
    gl_viewport.set_channel("Matte")
    gl_viewport.one_to_one()
    assert gl_viewport.gl_error is None
    s = gl_viewport.settings
    expected = to_uint8(display(as_rgba(frame), s, gl_viewport.mask / 255.0)).astype(int)
    assert expected[10, 10].tolist() == [128, 128, 128]  # the reference is the grey matte
    img = gl_viewport.grabFramebuffer()
    worst = 0
    for y in range(48):
        for x in range(64):
            wx, wy = gl_viewport.view.image_to_widget(x + 0.5, y + 0.5)
            worst = max(worst, int(np.abs(rgb_at(img, wx, wy) - expected[y, x]).max()))
    assert worst <= 1
    gl_viewport.set_overlay_visible(False)
    gl_viewport.set_channel("A")  # the plate's alpha (RGB media: 1), not the matte
    img = gl_viewport.grabFramebuffer()
    assert rgb_at(img, *gl_viewport.view.image_to_widget(10, 10)).min() == 255


def test_matte_view_without_a_mask_is_black(gl_viewport):
    gl_viewport.set_frame(np.full((48, 64, 3), 0.7, np.float32))
    gl_viewport.set_channel("Matte")
    img = gl_viewport.grabFramebuffer()
    assert rgb_at(img, 32, 24).max() == 0


@pytest.mark.parametrize("axis", ["vertical", "horizontal"])
def test_outline_is_continuous_when_zoomed_out(qtbot, axis):
    """At 1/4 zoom a screen pixel spans 4 mask texels: a one-texel outline would show at only
    some edge positions (and as dots on slanted edges); it must be a line on each."""
    h, w = 384, 512
    mask = np.zeros((h, w), np.uint8)
    edges = (256, 257, 258, 259)  # every phase of the edge against the 4-texel pixel grid
    band = h // len(edges)
    for i, e in enumerate(edges):
        mask[i * band : (i + 1) * band, :e] = 255
    frame = np.zeros((h, w, 3), np.float32)
    if axis == "horizontal":
        mask, frame = np.ascontiguousarray(mask.T), np.zeros((w, h, 3), np.float32)
    view = sized_viewport(qtbot, 200, 200)
    view.set_frame(frame)
    view.settings.overlay_opacity = 0.0  # only the outline is coloured
    view.set_mask(mask, (0.0, 1.0, 0.0))
    view.view.zoom = 0.25
    # screen pixel centres land on texel centres (4 * (s - 36) + 0.5), not on texel edges
    view.view.offset_x = view.view.offset_y = 36.375
    view.update()
    img = view.grabFramebuffer()
    assert view.gl_error is None
    green = np.array([[img.pixelColor(x, y).green() > 200 for x in range(200)] for y in range(200)])
    if axis == "horizontal":
        green = green.T  # rows of the screen along the edge, as for the vertical case
    for i, e in enumerate(edges):
        across = view.view.image_to_widget(e, 0)[0]  # screen position of the edge
        for row in range(int(36 + (i * band + 2) / 4), int(36 + ((i + 1) * band - 2) / 4)):
            hits = np.flatnonzero(green[row])
            assert hits.size, f"edge at {e}: no outline on screen row {row}"
            assert 1 <= hits.size <= 3 and np.abs(hits + 0.5 - across).max() <= 2.5, (e, hits)


def test_one_to_one_is_one_device_pixel_on_hidpi(gl_viewport, monkeypatch):
    monkeypatch.setattr(type(gl_viewport), "devicePixelRatioF", lambda _self: 2.0)
    gl_viewport.set_frame(np.zeros((48, 64, 3), np.float32))
    gl_viewport.one_to_one()
    assert gl_viewport.view.zoom == pytest.approx(0.5)
    assert gl_viewport.device_zoom() == pytest.approx(1.0)
    v = gl_viewport.view
    assert v.widget_to_image(v.widget_w / 2, v.widget_h / 2) == pytest.approx((32.0, 24.0))
    gl_viewport.fit()  # fit is in logical pixels: unchanged by the ratio
    assert v.zoom == pytest.approx(min(v.widget_w / 64, v.widget_h / 48) * 0.96)


def test_zoomed_out_overlay_matches_the_reference_at_the_sampled_texels(qtbot):
    """At zoom 1/4 the shader's overlay (fill and outline) is the CPU reference with
    ``outline_step=4``, sampled at the texels the screen pixels land on."""
    h, w = 240, 320
    y, x = np.mgrid[0:h, 0:w]
    mask = (((x - 150) ** 2 + (y - 110) ** 2) < 80**2).astype(np.uint8) * 255
    frame = np.zeros((h, w, 3), np.float32)
    view = sized_viewport(qtbot, 200, 200)
    view.set_frame(frame)
    view.settings.overlay_opacity = 0.5
    view.set_mask(mask, (0.0, 1.0, 0.0))
    view.view.zoom = 0.25
    # screen pixel centres land on texel centres (4 * (s - 36) + 0.5), not on texel edges
    view.view.offset_x = view.view.offset_y = 36.375
    view.update()
    img = view.grabFramebuffer()
    s = view.settings
    expected = to_uint8(display(as_rgba(frame), s, mask / 255.0, outline_step=4)).astype(int)
    worst, outline_px = 0, 0
    for sy in range(36, 36 + h // 4):
        for sx in range(36, 36 + w // 4):
            ty, tx = 4 * (sy - 36), 4 * (sx - 36)  # the texel this pixel samples
            got = rgb_at(img, sx, sy)
            worst = max(worst, int(np.abs(got - expected[ty, tx]).max()))
            outline_px += got[1] >= 250
    assert worst <= 1
    assert outline_px > 2 * np.pi * 80 / 4  # a closed ring at least one pixel wide


def test_frame_presented_once_per_new_frame_painted(qtbot, gl_viewport):
    presented = []
    gl_viewport.frame_presented.connect(lambda: presented.append(1))
    frame = np.full((48, 64, 3), 0.3, np.float32)
    gl_viewport.set_frame(frame)
    gl_viewport.grabFramebuffer()
    assert len(presented) == 1
    gl_viewport.set_exposure(1.0)  # a repaint of the same frame is not a new frame on screen
    gl_viewport.grabFramebuffer()
    gl_viewport.set_frame(frame)
    gl_viewport.grabFramebuffer()
    assert len(presented) == 1
    gl_viewport.set_frame(frame * 0.5)
    gl_viewport.set_frame(frame * 0.25)  # two set between paints: one presented
    gl_viewport.grabFramebuffer()
    assert len(presented) == 2
