"""A whole roto session on the bundled demo shot, driven as a user drives it: File → Open, two
point prompts clicked on the viewport (the second an Alt-click), a brush stroke dragged, Ctrl+Z
and Ctrl+Shift+Z, a scrub dragged along the timeline, File → Save As, and File → Open of the
project in a new window, which must hold the same document and every mask pixel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QFileDialog

from ultimate_roto import paths
from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.core.media import open_media

LEFT = Qt.MouseButton.LeftButton
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
FG, BG = (400, 300), (630, 130)  # on the astronaut; the sky beside the helmet
STROKE = ((720, 460), (820, 470))  # brush dabs right of the astronaut, in the background
SCRUB_TO = 30


def file_action(win, action_id: str):
    """The File menu's action ``action_id`` (checked to be in that menu, as a user finds it)."""
    (menu,) = [a.menu() for a in win.menuBar().actions() if a.text() == "&File"]
    action = win.registry.action(action_id)
    assert action in menu.actions()
    return action


def at(win, x: float, y: float) -> QPoint:
    """The viewport widget position over the centre of image pixel (x, y)."""
    wx, wy = win.viewport.view.image_to_widget(x + 0.5, y + 0.5)
    return QPoint(round(wx), round(wy))


def drag(qtbot, widget, a: QPoint, b: QPoint, steps: int = 8) -> None:
    """Press at ``a``, move to ``b`` with the button held (real move events), release."""
    qtbot.mousePress(widget, LEFT, pos=a)
    for i in range(1, steps + 1):
        p = QPointF(a) + (QPointF(b) - QPointF(a)) * (i / steps)
        move = QMouseEvent(
            QEvent.Type.MouseMove, p, widget.mapToGlobal(p), Qt.MouseButton.NoButton, LEFT,
            Qt.KeyboardModifier.NoModifier,
        )
        QApplication.sendEvent(widget, move)
    qtbot.mouseRelease(widget, LEFT, pos=b)


def all_masks(doc) -> dict[tuple[str, int], np.ndarray]:
    return {(o, f): doc.mask(o, f) for o in doc.masks.objects() for f in doc.masks.frames(o)}


def open_via_menu(qtbot, win, monkeypatch, path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(path), ""))
    file_action(win, "file.open").trigger()
    qtbot.waitUntil(lambda: win.viewport.frame is not None, timeout=10_000)


@pytest.mark.timeout(120)
def test_whole_session_on_the_demo_shot(qtbot, main_window, settings, tmp_path, monkeypatch):
    win = main_window
    demo = paths.demo_shot()
    open_via_menu(qtbot, win, monkeypatch, demo)
    assert win.session.name == demo.name and win.current_frame == 0
    with qtbot.waitActive(win):
        win.activateWindow()

    # -- two point prompts, clicked -------------------------------------------------------
    qtbot.keyClick(win, Qt.Key.Key_N, CTRL)  # Roto > Add object
    (obj,) = [o.id for o in win.project.doc.objects]
    qtbot.keyClick(win, Qt.Key.Key_P)
    assert win.tools.name == "point"
    fg, bg = at(win, *FG), at(win, *BG)
    qtbot.mouseClick(win.viewport, LEFT, pos=fg)
    qtbot.mouseClick(win.viewport, LEFT, ALT, pos=bg)
    points = win.project.doc.prompts(obj, 0).points
    image_xy = win.viewport.view.widget_to_image  # where the clicks landed on the image
    assert [tuple(p) for p in points] == [
        (*image_xy(fg.x(), fg.y()), 1),
        (*image_xy(bg.x(), bg.y()), 0),
    ]
    half = 0.5 / win.viewport.view.zoom + 1e-9  # half a screen pixel (image px), rounding
    for (x, y, _), (tx, ty) in zip(points, (FG, BG), strict=True):
        assert abs(x - tx - 0.5) <= half and abs(y - ty - 0.5) <= half
    assert len(win.viewport.points) == 2  # drawn on the viewport
    qtbot.waitUntil(lambda: win.project.doc.masks.has(obj, 0), timeout=20_000)
    mask = win.project.doc.mask(obj, 0)
    assert mask[FG[1], FG[0]] > 127 and mask[BG[1], BG[0]] == 0  # an engine mask, not a dot
    assert 0.05 < (mask > 127).mean() < 0.6
    assert win.timeline.all_keyframes() == {0}

    # -- a brush stroke, undone and redone by the keyboard -------------------------------
    qtbot.keyClick(win, Qt.Key.Key_B)
    assert win.tools.name == "brush"
    win.inspector.brush_size.setValue(12)
    before = win.project.doc.mask(obj, 0)
    (x0, y0), (x1, y1) = STROKE
    mid = ((x0 + x1) // 2, (y0 + y1) // 2)
    assert before[mid[1], mid[0]] == 0
    drag(qtbot, win.viewport, at(win, x0, y0), at(win, x1, y1))
    painted = win.project.doc.mask(obj, 0)
    assert painted[mid[1], mid[0]] == 255 and painted[y0, x0] == 255
    assert win.viewport.mask[mid[1], mid[0]] == 255  # the overlay follows the dabs
    assert win.registry.action("edit.undo").text() == "Undo Paint Mask"
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL)
    assert np.array_equal(win.project.doc.mask(obj, 0), before)
    assert win.viewport.mask[mid[1], mid[0]] == 0
    qtbot.keyClick(win, Qt.Key.Key_Z, CTRL | SHIFT)
    assert np.array_equal(win.project.doc.mask(obj, 0), painted)

    # -- a scrub along the timeline ------------------------------------------------------
    line = win.timeline
    y = line.height() // 2
    a = QPoint(round(line.geo.centre_of(0)), y)
    b = QPoint(round(line.geo.centre_of(SCRUB_TO)), y)
    drag(qtbot, line, a, b)
    assert win.current_frame == SCRUB_TO
    reader = open_media(demo)
    try:
        shown = reader.read_compact(SCRUB_TO)
    finally:
        reader.close()
    qtbot.waitUntil(lambda: np.array_equal(win.viewport.image, shown), timeout=10_000)
    assert win.viewport.points == []  # prompts belong to their frame

    # -- File > Save As, then File > Open in a new window -------------------------------
    path = tmp_path / "astronaut.roto"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(path), "Roto project (*.roto)")
    )
    file_action(win, "file.save_as").trigger()
    assert path.is_file() and not win.project.doc.modified
    state, masks = win.project.doc.to_dict(), all_masks(win.project.doc)
    assert set(masks) == {(obj, 0)} and np.array_equal(masks[obj, 0], painted)
    win.close()

    again = QtMainWindow(settings)
    qtbot.addWidget(again, before_close_func=lambda w: w.close())
    again.show()
    open_via_menu(qtbot, again, monkeypatch, path)
    doc = again.project.doc
    assert doc.to_dict() == state
    reopened = all_masks(doc)
    assert reopened.keys() == masks.keys()
    for key, saved in masks.items():
        assert np.array_equal(reopened[key], saved), key
    assert not doc.modified and again.session.name == demo.name
