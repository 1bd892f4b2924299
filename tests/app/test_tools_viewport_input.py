"""Real mouse and wheel events on the main window's viewport: wheel zoom keeps the pixel under
the cursor, middle-drag and Alt-drag pan (and reach no tool), and with the point tool a click
is a foreground point and an Alt-click a background point (not a pan)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.app.test_session import use_tool

LEFT, MIDDLE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton
ALT = Qt.KeyboardModifier.AltModifier


def wheel(widget, pos: QPoint, dy: int) -> None:
    event = QWheelEvent(
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        QPoint(0, 0),
        QPoint(0, dy),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def widget_pos(vp, x: float, y: float) -> QPoint:
    wx, wy = vp.view.image_to_widget(x, y)
    return QPoint(round(wx), round(wy))


@pytest.fixture
def tool_events(main_window):
    seen: list[tuple] = []
    vp = main_window.viewport
    vp.image_pressed.connect(lambda *a: seen.append(("press", *a)))
    vp.image_released.connect(lambda *a: seen.append(("release", *a)))
    return seen


@pytest.mark.parametrize("dy", [120, -120, 360])
def test_wheel_zoom_keeps_the_pixel_under_the_cursor(qtbot, main_window, dy):
    vp = main_window.viewport
    pos = widget_pos(vp, 45.3, 12.7)
    under = vp.view.widget_to_image(pos.x(), pos.y())
    zoom = vp.view.zoom
    with qtbot.waitSignal(vp.view_changed):
        wheel(vp, pos, dy)
    assert (vp.view.zoom > zoom) == (dy > 0) and vp.view.zoom != zoom
    after = vp.view.widget_to_image(pos.x(), pos.y())
    assert after == pytest.approx(under, abs=1e-6)


@pytest.mark.parametrize("how", ["middle", "alt"])
def test_middle_drag_and_alt_drag_pan_and_reach_no_tool(qtbot, main_window, tool_events, how):
    win = main_window
    vp = win.viewport
    obj = win.layers.add_object("Paint")
    use_tool(win, "brush")  # a tool that would paint on a left drag
    button, mods = (MIDDLE, Qt.KeyboardModifier.NoModifier) if how == "middle" else (LEFT, ALT)
    start = (vp.view.offset_x, vp.view.offset_y)
    p0 = widget_pos(vp, 20, 10)
    p1 = p0 + QPoint(37, -21)
    qtbot.mousePress(vp, button, mods, p0)
    qtbot.mouseMove(vp, p0 + QPoint(10, -5))
    qtbot.mouseMove(vp, p1)
    qtbot.mouseRelease(vp, button, mods, p1)
    assert (vp.view.offset_x - start[0], vp.view.offset_y - start[1]) == pytest.approx((37, -21))
    assert tool_events == []
    assert not win.project.doc.mask(obj, win.tools.ctx.frame).any()  # nothing painted


def test_point_tool_click_is_foreground_and_alt_click_background_not_a_pan(
    qtbot, main_window, tool_events
):
    win = main_window
    vp = win.viewport
    obj = win.layers.add_object("Hero")
    frame = win.tools.ctx.frame
    use_tool(win, "point")
    start = (vp.view.offset_x, vp.view.offset_y)
    qtbot.mouseClick(vp, LEFT, pos=widget_pos(vp, 20.5, 10.5))
    qtbot.mouseClick(vp, LEFT, ALT, widget_pos(vp, 40.5, 30.5))
    points = win.project.doc.prompts(obj, frame).points
    assert [p[2] for p in points] == [1, 0]  # foreground, then background
    assert points[0][:2] == pytest.approx((20.5, 10.5), abs=0.5 / vp.view.zoom + 1e-6)
    assert points[1][:2] == pytest.approx((40.5, 30.5), abs=0.5 / vp.view.zoom + 1e-6)
    assert (vp.view.offset_x, vp.view.offset_y) == start  # the Alt-click did not pan
    assert [e[0] for e in tool_events] == ["press", "release", "press", "release"]
    assert vp.points == points  # drawn on the viewport
    use_tool(win, "box")  # other tools give Alt back to panning
    qtbot.mouseClick(vp, LEFT, ALT, widget_pos(vp, 50, 20))
    assert len(tool_events) == 4
