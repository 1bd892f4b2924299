"""Prompt points and boxes are drawn over the GL image (QPainter after the display shader)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("with_mask", [False, True])
def test_prompt_points_and_box_are_painted(gl_viewport, qtbot, with_mask):
    view = gl_viewport
    view.set_frame(np.full((48, 64, 3), 0.5, np.float32))
    if with_mask:
        mask = np.zeros((48, 64), np.uint8)
        mask[40:, 50:] = 255
        view.set_mask(mask, (0.0, 0.0, 1.0))
    view.fit()
    view.set_prompts([(16.0, 24.0, 1), (48.0, 24.0, 0)], [(4.0, 4.0, 60.0, 44.0)])
    qtbot.wait(50)
    image = (
        view.grabFramebuffer()
    )  # what paintGL puts on screen (QWidget.grab drops QPainter parts)

    def rgb(x, y, dx=0, dy=0):  # dx, dy: widget pixels off the point's white cross
        wx, wy = view.view.image_to_widget(x, y)
        c = image.pixelColor(round(wx) + dx, round(wy) + dy)
        return c.red(), c.green(), c.blue()

    r, g, b = rgb(16, 24, 3, -3)
    assert g > 180 and r < 120  # foreground: green
    r, g, b = rgb(48, 24, 3, -3)
    assert r > 180 and g < 120  # background: red
    assert rgb(30, 30) == pytest.approx((128, 128, 128), abs=3)  # the plate in between


def test_bad_prompt_shapes_are_rejected(gl_viewport):
    with pytest.raises(ValueError):
        gl_viewport.set_prompts([(1.0, 2.0)], [])
