"""OpenGL viewport: exact display output, overlay, texture reuse and context re-creation."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import DisplaySettings, as_rgba, display, to_uint8


def centre_rgb(view) -> np.ndarray:
    img = view.grabFramebuffer()
    c = img.pixelColor(img.width() // 2, img.height() // 2)
    return np.array([c.red(), c.green(), c.blue()])


def flat(value, shape=(48, 64)) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(value, np.float32), (*shape, 3)))


@pytest.mark.parametrize(
    "settings",
    [
        DisplaySettings(),
        DisplaySettings(exposure=1.0),
        DisplaySettings(exposure=-2.0, gamma=2.2),
        DisplaySettings(channel="G"),
        DisplaySettings(channel="B"),
        DisplaySettings(channel="Luminance"),
        DisplaySettings(linear=True),
    ],
)
def test_display_output_matches_the_reference(gl_viewport, settings):
    frame = flat([0.12, 0.35, 0.6])
    gl_viewport.settings = settings
    gl_viewport.set_frame(frame)
    assert gl_viewport.gl_error is None
    expected = to_uint8(display(as_rgba(frame), settings))[0, 0].astype(int)
    assert np.abs(centre_rgb(gl_viewport) - expected).max() <= 1


def test_alpha_channel_isolation(gl_viewport):
    rgba = np.zeros((48, 64, 4), np.float32)
    rgba[..., 3] = 0.5
    gl_viewport.set_channel("A")
    gl_viewport.set_frame(rgba)
    assert np.abs(centre_rgb(gl_viewport) - 128).max() <= 1


def test_overlay_tint_and_outline_visible(gl_viewport):
    gl_viewport.set_frame(flat([0.0, 0.0, 0.0]))
    mask = np.zeros((48, 64), np.uint8)
    mask[8:40, 8:56] = 255
    gl_viewport.settings.overlay_opacity = 0.5
    gl_viewport.set_mask(mask, (0.0, 1.0, 0.0))
    inside = centre_rgb(gl_viewport)
    assert abs(inside[1] - 128) <= 1 and inside[0] == 0
    gl_viewport.one_to_one()
    img = gl_viewport.grabFramebuffer()
    x0, y0 = gl_viewport.view.image_to_widget(8.5, 20.5)  # left edge texel of the mask
    edge = img.pixelColor(int(x0), int(y0))
    assert edge.green() >= 250  # the outline is drawn at full colour
    gl_viewport.toggle_overlay()
    assert centre_rgb(gl_viewport).max() == 0


def test_texture_reused_for_same_size_and_reallocated_on_change(gl_viewport):
    gl_viewport.set_frame(flat([0.1, 0.1, 0.1]))
    gl_viewport.grabFramebuffer()
    allocations = gl_viewport.texture_allocations
    for v in (0.2, 0.3, 0.4):
        gl_viewport.set_frame(flat([v, v, v]))
        assert abs(centre_rgb(gl_viewport)[0] - round(v * 255)) <= 1
    assert gl_viewport.texture_allocations == allocations
    gl_viewport.set_frame(flat([0.5, 0.5, 0.5], shape=(30, 40)))
    gl_viewport.grabFramebuffer()
    assert gl_viewport.texture_allocations == allocations + 1


def test_bad_frame_is_refused_without_touching_gl(gl_viewport):
    with pytest.raises(ValueError):
        gl_viewport.set_frame(np.zeros((10, 10, 2), np.float32))
    with pytest.raises(ValueError):
        gl_viewport.set_channel("Z")


def test_context_recreated_when_redocked(qtbot, capfd):
    import shiboken6
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDockWidget, QMainWindow

    from ultimate_roto.app.qt_viewport import QtViewport

    win = QMainWindow()
    win.setCentralWidget(QDockWidget("spacer"))
    dock = QDockWidget("Viewer", win)
    view = QtViewport()
    dock.setWidget(view)
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    win.resize(600, 400)
    win.show()
    qtbot.waitExposed(win)
    view.set_frame(flat([0.25, 0.5, 0.75]))
    first = centre_rgb(view)
    contexts = view.contexts_initialised
    assert view.contexts_freed == 0
    dock.setFloating(True)
    qtbot.waitExposed(dock)
    dock.setFloating(False)
    qtbot.waitExposed(view)
    rgb = centre_rgb(view)
    assert view.contexts_initialised > contexts  # a new context, textures uploaded again
    # every context but the live one was freed through aboutToBeDestroyed -> _free_gl
    assert view.contexts_freed == view.contexts_initialised - 1
    assert np.abs(rgb - first).max() <= 1 and first[2] >= 190
    win.close()
    shiboken6.delete(win)  # destroys the widget and its live context (with its GL objects)
    qtbot.wait(10)
    err = capfd.readouterr().err
    assert "already deleted" not in err and "Traceback" not in err, err


def test_unchanged_frame_is_not_uploaded_again_and_rgb_reads_alpha_one(qtbot, gl_viewport):
    frame = np.full((48, 64, 3), 0.25, np.float32)
    gl_viewport.set_frame(frame)
    qtbot.waitUntil(lambda: gl_viewport.uploads >= 1)
    sent = gl_viewport.uploads
    gl_viewport.set_frame(frame)  # the same cached array: nothing to send
    gl_viewport.repaint()
    assert gl_viewport.uploads == sent
    assert gl_viewport.frame is frame  # kept as given: no RGBA copy per frame
    assert gl_viewport.pixel_value(3, 3) == (0.25, 0.25, 0.25, 1.0)
    gl_viewport.set_channel("A")  # an RGB texture samples alpha as 1
    image = gl_viewport.grabFramebuffer()
    assert image.pixelColor(32, 24).red() == 255
    gl_viewport.set_frame(np.full((48, 64, 3), 0.5, np.float32))
    gl_viewport.repaint()
    qtbot.waitUntil(lambda: gl_viewport.uploads == sent + 1)
    with pytest.raises(ValueError):
        gl_viewport.set_frame(np.zeros((4, 4, 5), np.float32))


@pytest.mark.parametrize(
    ("source", "view"),
    [
        ("Linear", "ACES 2.0 - SDR 100 nits (Rec.709)"),  # tone mapped, on the log2 shaper
        ("sRGB", "Video (colorimetric)"),
        ("Linear", "Un-tone-mapped"),
    ],
)
def test_display_view_lut_matches_the_reference(gl_viewport, source, view):
    rng = np.random.default_rng(3)
    frame = np.ascontiguousarray(rng.uniform(0.0, 4.0, (48, 64, 3)).astype(np.float32))
    frame[:, :32] = [0.02, 0.18, 0.9]
    gl_viewport.set_source_colourspace(source)
    gl_viewport.set_display_view("sRGB - Display", view)
    gl_viewport.settings.exposure = 0.5
    gl_viewport.set_frame(frame)
    assert gl_viewport.gl_error is None and gl_viewport.lut is not None
    expected = to_uint8(display(as_rgba(frame), gl_viewport.settings, lut=gl_viewport.lut)).astype(
        int
    )
    gl_viewport.one_to_one()
    img = gl_viewport.grabFramebuffer()
    worst = 0
    for y in range(0, 48, 5):
        for x in range(0, 64, 5):
            wx, wy = gl_viewport.view.image_to_widget(x + 0.5, y + 0.5)
            c = img.pixelColor(int(wx), int(wy))
            px = np.array([c.red(), c.green(), c.blue()])
            worst = max(worst, int(np.abs(px - expected[y, x]).max()))
    assert worst <= 2
    assert gl_viewport.lut_uploads == 1  # baked and uploaded once, not per frame
    gl_viewport.set_frame(frame * 0.5)
    gl_viewport.grabFramebuffer()
    assert gl_viewport.lut_uploads == 1


def test_unknown_view_is_refused_and_the_previous_view_kept(gl_viewport):
    from ultimate_roto.core.errors import InputError

    gl_viewport.set_display_view("sRGB - Display", "Video (colorimetric)")
    before = gl_viewport.lut
    with pytest.raises(InputError, match="unknown view 'Nope'"):
        gl_viewport.set_display_view("sRGB - Display", "Nope")
    with pytest.raises(InputError, match="unknown display"):
        gl_viewport.set_display_view("Not a display", None)
    assert gl_viewport.lut is before and gl_viewport.lut.view == "Video (colorimetric)"
    gl_viewport.set_display_view(None)
    assert gl_viewport.lut is None


def test_depth_overlay_matches_the_reference(gl_viewport):
    frame = flat([0.3, 0.3, 0.3])
    depth = np.tile(np.linspace(1.0, 50.0, 64, dtype=np.float32), (48, 1))
    gl_viewport.set_frame(frame)
    gl_viewport.set_depth(depth)
    gl_viewport.one_to_one()
    plain = centre_rgb(gl_viewport)
    assert np.abs(plain - round(0.3 * 255)).max() <= 1  # hidden until toggled
    gl_viewport.set_depth_visible(True)
    expected = to_uint8(
        display(as_rgba(frame), gl_viewport.settings, depth=gl_viewport.depth)
    ).astype(int)
    img = gl_viewport.grabFramebuffer()
    for x in (0, 20, 40, 63):
        wx, wy = gl_viewport.view.image_to_widget(x + 0.5, 24.5)
        c = img.pixelColor(int(wx), int(wy))
        assert np.abs(np.array([c.red(), c.green(), c.blue()]) - expected[24, x]).max() <= 2
    near, far = expected[24, 0], expected[24, 63]
    assert near[0] > near[2] and far[2] > far[0]  # near warm, far cool
