"""The Inspector's brush controls: hardness softens the stroke's edge; the brush and eraser
outline their size at the pointer on the viewport."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage

from tests.app.test_session import LEFT, use_tool


def dab(win, obj, hardness: int) -> np.ndarray:
    """One 20 px dab at (32, 18) with the Inspector's hardness slider at ``hardness`` %."""
    win.inspector.brush_size.setValue(20)
    win.inspector.brush_hardness.setValue(hardness)
    win.viewport.image_pressed.emit(32.0, 18.0, LEFT, 0)
    win.viewport.image_released.emit(32.0, 18.0, 0, 0)
    mask = win.project.doc.mask(obj, win.tools.ctx.frame)
    win.project.stack.undo()
    return mask


def test_the_hardness_slider_softens_the_edge_of_the_stroke(main_window):
    win = main_window
    obj = win.layers.add_object("Paint")
    use_tool(win, "brush")
    hard, soft = dab(win, obj, 100), dab(win, obj, 20)
    assert hard[18, 32] == soft[18, 32] == 255  # the core is opaque either way
    # 7.5 px from the centre of a 10 px radius: hard = full, soft = 20 % solid then a ramp
    assert hard[17, 39] == 255 and 40 < soft[17, 39] < 128
    assert hard[18, 40] == 255 and 0 < soft[18, 40] < 64
    assert hard[18, 43] == soft[18, 43] == 0  # outside the radius
    assert int(soft.sum()) < int(hard.sum())


def grab(vp) -> np.ndarray:
    """The viewport's pixels (H, W, 3), copied while the QImage that owns them is alive: a
    view into ``constBits()`` outlives the image and reads freed memory (garbage pixels, or a
    segfault)."""
    img = vp.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    w, h = img.width(), img.height()
    rows = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())
    return rows[:, : 3 * w].reshape(h, w, 3).copy()


def settled_grab(qtbot, vp, timeout_s: float = 3.0) -> np.ndarray:
    """The viewport once it stopped changing (a frame read late, e.g. on a loaded machine,
    repaints the picture under the ring)."""
    last = grab(vp)
    for _ in range(int(timeout_s / 0.1)):
        qtbot.wait(100)
        now = grab(vp)
        if np.array_equal(now, last):
            return now
        last = now
    return last


@pytest.mark.parametrize("tool", ["brush", "eraser"])
def test_the_brush_outline_follows_the_pointer_at_the_brush_size(qtbot, main_window, tool):
    win = main_window
    vp = win.viewport
    win.layers.add_object("Paint")
    use_tool(win, "point")
    centre = QPoint(vp.width() // 2, vp.height() // 2)
    qtbot.mouseMove(vp, centre)
    assert vp.brush_ring() is None
    plain = settled_grab(qtbot, vp)
    use_tool(win, tool)
    win.inspector.brush_size.setValue(8)
    qtbot.mouseMove(vp, centre + QPoint(1, 0))
    qtbot.mouseMove(vp, centre)
    x, y, r = vp.brush_ring()
    assert (x, y) == (centre.x(), centre.y()) and r == pytest.approx(4 * vp.view.zoom)
    ringed = grab(vp)
    ys, xs = np.nonzero((ringed != plain).any(axis=2))
    dist = np.hypot(xs - centre.x(), ys - centre.y())
    outer = np.abs(dist - r) < 3  # the outline at the brush radius …
    inner = np.abs(dist - r * 0.8) < 2  # … and the dashed ring where the 80 % hardness ends
    assert outer.sum() > 2 * np.pi * r and inner.sum() > 0.5 * np.pi * r
    assert (outer | inner).all()  # nothing else changed
    win.inspector.brush_size.setValue(16)  # the outline follows the size at once
    assert vp.brush_ring()[2] == pytest.approx(8 * vp.view.zoom)
    use_tool(win, "point")
    assert vp.brush_ring() is None
