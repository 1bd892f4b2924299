"""GL viewport with compact frames: uint8 RGB(A)8 and float16 RGB(A)16F textures, every texel
against the CPU reference (odd widths: rows of RGB uint8 that are not 4-byte aligned)."""

from __future__ import annotations

import numpy as np
import pytest

from ultimate_roto.app.display_cpu import DisplaySettings, as_rgba, display, to_uint8
from ultimate_roto.core.media.pixels import to_float32


@pytest.fixture
def big_view(qtbot):
    """A 160x120 QtViewport (room for a small image at 1:1)."""
    from ultimate_roto.app.qt_viewport import QtViewport

    view = QtViewport()
    qtbot.addWidget(view)
    view.resize(160, 120)
    view.show()
    qtbot.waitExposed(view)
    return view


def on_screen(view, frame: np.ndarray) -> np.ndarray:
    """The rendered colour of every image pixel at 1:1 (nearest sampling), (H, W, 3) int.

    The image's corner goes on a whole widget pixel (10, 10), so each screen pixel's centre is
    a texel's centre (a centred odd size would put them on texel edges)."""
    view.set_frame(frame)
    view.one_to_one()
    view.view.offset_x = view.view.offset_y = 10.0
    img = view.grabFramebuffer()
    h, w = frame.shape[:2]
    out = np.zeros((h, w, 3), int)
    for y in range(h):
        for x in range(w):
            c = img.pixelColor(10 + x, 10 + y)
            out[y, x] = (c.red(), c.green(), c.blue())
    return out


def reference(frame: np.ndarray, settings: DisplaySettings) -> np.ndarray:
    return to_uint8(display(as_rgba(to_float32(frame)), settings)).astype(int)


@pytest.mark.parametrize("width", [37, 38, 41])  # 3 * width: 111, 114, 123 bytes a row
def test_odd_width_uint8_rgb_matches_the_reference_at_every_texel(big_view, width):
    rng = np.random.default_rng(width)
    frame = rng.integers(0, 256, (23, width, 3), dtype=np.uint8)
    got = on_screen(big_view, frame)
    assert big_view.gl_error is None and big_view.image is frame  # uploaded as given
    assert np.abs(got - reference(frame, big_view.settings)).max() <= 1
    assert np.array_equal(got, frame)  # 8-bit in, 8-bit out: exact with neutral settings


def test_uint8_rgba_and_float16_frames_through_the_display_transform(big_view):
    rng = np.random.default_rng(1)
    settings = DisplaySettings(exposure=0.7, gamma=1.4, linear=True)
    big_view.settings = settings
    rgba = rng.integers(0, 256, (17, 29, 4), dtype=np.uint8)
    half = (rng.random((17, 29, 3)) * 3).astype(np.float16)
    for frame in (rgba, half):
        got = on_screen(big_view, frame)
        assert np.abs(got - reference(frame, settings)).max() <= 1
    big_view.set_channel("A")  # the alpha of an RGBA8 texture, through the same transform
    got = on_screen(big_view, rgba)
    assert np.abs(got - reference(rgba, settings)).max() <= 1
    assert len(np.unique(got)) > 100  # really the random alpha, not a constant


def test_a_new_dtype_reallocates_the_texture_and_the_same_one_updates_it(big_view):
    u8 = np.full((20, 30, 3), 128, np.uint8)
    on_screen(big_view, u8)
    allocations, uploads = big_view.texture_allocations, big_view.uploads
    on_screen(big_view, np.full((20, 30, 3), 64, np.uint8))  # same size and dtype
    assert big_view.texture_allocations == allocations and big_view.uploads == uploads + 1
    got = on_screen(big_view, np.full((20, 30, 3), 0.25, np.float16))  # same size, half
    assert big_view.texture_allocations == allocations + 1
    assert np.abs(got - 64).max() <= 1
    got = on_screen(big_view, np.full((20, 30, 3), 0.75, np.float32))
    assert big_view.texture_allocations == allocations + 2
    assert np.abs(got - 191).max() <= 1


def test_pixel_value_of_a_uint8_frame_is_float(big_view):
    frame = np.zeros((9, 13, 3), np.uint8)
    frame[4, 6] = (128, 255, 1)
    big_view.set_frame(frame)
    r, g, b, a = big_view.pixel_value(6, 4)
    assert (round(r, 3), g, round(b, 4), a) == (0.502, 1.0, 0.0039, 1.0)
