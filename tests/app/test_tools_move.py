"""W on the viewport: the mask moves live in one undo step that keyframes the frame; a point
drag is one undo step and segments once, on release, even when a mask lands mid-drag; the
brush keeps a stroke undoable when its settings change mid-stroke; the select tool picks what
the overlay shows; the overlay follows a move/rotate/scale drag exactly, move by move."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from tests.app import test_session as ts
from tests.app.test_session import LEFT, click, use_tool
from ultimate_roto.core.commands import AddPromptCommand, SetMaskCommand
from ultimate_roto.core.project.model import MaskOps

clip, session = ts.clip, ts.session  # the 8-frame disc plate fixtures


def disc(cx: float, cy: float, r: float = 30) -> np.ndarray:
    yy, xx = np.mgrid[0 : ts.H, 0 : ts.W]
    return (((xx - cx) ** 2 + (yy - cy) ** 2) < r * r).astype(np.uint8) * 255


def drag(win, points, modifiers=0):
    """Press at the first image point, move through the others, release at the last."""
    (x0, y0), *rest = points
    win.viewport.image_pressed.emit(float(x0), float(y0), LEFT, modifiers)
    for x, y in rest:
        win.viewport.image_dragged.emit(float(x), float(y), LEFT, modifiers)
    x1, y1 = points[-1]
    win.viewport.image_released.emit(float(x1), float(y1), 0, modifiers)


def disc_with_a_point(win, offset: int) -> tuple[int, str, np.ndarray]:
    """On frame first + ``offset``: a new object with a disc mask (as propagated: no
    keyframe) and a foreground point on it, two undo steps; (frame, object id, mask)."""
    frame = win.session.info.first_frame + offset
    win.go_to(frame)
    obj = win.layers.add_object("Disc")
    doc, stack = win.project.doc, win.project.stack
    mask = disc(74, 64)
    stack.push(SetMaskCommand(doc, obj, frame, mask))
    stack.push(AddPromptCommand(doc, obj, frame, "point", (74, 64, 1)))
    return frame, obj, mask


def test_w_moves_the_mask_live_in_one_step_that_keyframes_the_frame(qtbot, session):
    win = session
    frame, obj, mask = disc_with_a_point(win, 2)  # a propagated frame: no keyframe
    doc, stack = win.project.doc, win.project.stack
    index, undo_before = stack.index, win.registry.action("edit.undo").text()
    asked: list[tuple[str, int]] = []
    win.tools.prompts_edited.connect(lambda o, f: asked.append((o, f)))
    with qtbot.waitActive(win):
        win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_W)
    assert win.tools.name == "move"

    win.viewport.image_pressed.emit(85.0, 72.0, LEFT, 0)  # on the disc, away from the point
    win.viewport.image_dragged.emit(95.0, 72.0, LEFT, 0)
    assert np.array_equal(doc.mask(obj, frame), np.roll(mask, 10, axis=1))  # live
    assert win.viewport.mask[64, 110] > 200 and stack.index == index  # overlay, no step yet
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # cancel: everything back, nothing recorded
    assert np.array_equal(doc.mask(obj, frame), mask) and stack.index == index
    win.viewport.image_released.emit(95.0, 72.0, 0, 0)

    drag(win, [(85, 72), (95, 72), (100.2, 69.6)])  # (+15, -2) in whole pixels
    assert np.array_equal(doc.mask(obj, frame), np.roll(mask, (-2, 15), axis=(0, 1)))
    assert doc.prompts(obj, frame).points == [(89.0, 62.0, 1)]  # the prompt followed
    assert frame in doc.object(obj).keyframes  # a correction, like a brush stroke
    assert stack.index == index + 1 and stack.undo_text == "Move Mask"
    assert asked == [] and not win._seg_wanted  # the moved mask is kept, not re-segmented
    win.registry.action("edit.undo").trigger()
    assert np.array_equal(doc.mask(obj, frame), mask)
    assert doc.prompts(obj, frame).points == [(74.0, 64.0, 1)]
    assert frame not in doc.object(obj).keyframes
    assert win.registry.action("edit.undo").text() == undo_before


class DiscAtClick:
    """A segmenter whose mask is a disc at the last foreground click: a moved point gives
    another mask, always (GrabCut may give the same disc for two clicks on it)."""

    def __init__(self, **_options) -> None:
        pass

    def segment(self, image, prompts, *, progress=None):
        x, y = prompts[-1].fg_points[-1]
        return disc(x, y, 20).astype(np.float32) / 255.0


@pytest.fixture
def disc_engine():
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.registry import EngineSpec

    registry.register(EngineSpec("segment.discatclick", "segment", "disc", "", DiscAtClick))
    yield "segment.discatclick"
    registry.unregister("segment.discatclick")


def test_a_point_drag_is_one_step_and_segments_once_even_if_a_mask_lands_mid_drag(
    qtbot, session, disc_engine
):
    win = session
    first = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    win.project.set_property(obj, "engines", {"segment": disc_engine})
    doc, stack = win.project.doc, win.project.stack
    use_tool(win, "point")
    click(win, 70, 64)
    qtbot.waitUntil(lambda: doc.masks.has(obj, first) and not win._seg_wanted, timeout=20000)
    index, before = stack.index, doc.mask(obj, first).copy()
    asked: list[int] = []
    win.tools.prompts_edited.connect(lambda _o, f: asked.append(f))
    use_tool(win, "move")

    win.viewport.image_pressed.emit(71.0, 63.0, LEFT, 0)
    win.viewport.image_dragged.emit(74.0, 64.0, LEFT, 0)
    assert doc.prompts(obj, first).points == [(74.0, 64.0, 1)]  # the point follows live
    win.segment_object(obj, first)  # a segmentation still on its way when the drag began …
    qtbot.waitUntil(lambda: bool(win._seg_parked), timeout=20000)  # … lands mid-drag
    assert stack.index == index  # … and waits: applying it would split the drag
    win.viewport.image_dragged.emit(78.0, 66.0, LEFT, 0)
    win.viewport.image_dragged.emit(80.0, 66.0, LEFT, 0)
    assert asked == []  # no segmentation asked for while dragging
    win.viewport.image_released.emit(80.0, 66.0, 0, 0)
    assert asked == [first]  # once, on release
    qtbot.waitUntil(lambda: not win._seg_wanted and not win._seg_parked, timeout=20000)
    assert stack.index == index + 1 and stack.undo_text == "Move Point"
    assert np.array_equal(doc.mask(obj, first), disc(80, 66, 20))  # the release's mask, in it
    stack.undo()
    assert doc.prompts(obj, first).points == [(70.0, 64.0, 1)]
    assert np.array_equal(doc.mask(obj, first), before)


def test_brush_settings_changed_mid_stroke_keep_the_stroke_one_undo_step(main_window):
    win = main_window
    obj = win.layers.add_object("Paint")
    doc, stack = win.project.doc, win.project.stack
    frame = win.tools.ctx.frame
    use_tool(win, "brush")
    win.inspector.brush_size.setValue(6)
    win.inspector.brush_hardness.setValue(100)
    index = stack.index
    win.viewport.image_pressed.emit(5.0, 10.0, LEFT, 0)
    win.viewport.image_dragged.emit(15.0, 10.0, LEFT, 0)
    win.inspector.brush_size.setValue(12)  # mid-stroke
    win.inspector.brush_hardness.setValue(50)
    win.viewport.image_dragged.emit(25.0, 10.0, LEFT, 0)
    win.viewport.image_released.emit(25.0, 10.0, 0, 0)
    painted = doc.mask(obj, frame)
    assert painted[10, 24] == 255  # the stroke went on (with the settings it began with)
    assert painted[10, 15 - 4 : 10 + 1].all() and painted[14, 20] == 0  # 6 px wide
    assert stack.index == index + 1 and stack.undo_text == "Paint Mask"
    stack.undo()
    assert not doc.mask(obj, frame).any()  # undo takes every pixel of it away
    win.viewport.image_pressed.emit(40.0, 20.0, LEFT, 0)  # the next stroke: 12 px, softer
    win.viewport.image_released.emit(40.0, 20.0, 0, 0)
    second = doc.mask(obj, frame)
    assert second[20, 40] == 255 and 0 < second[20, 45] < 255 and second[20, 47] == 0


def click_widget(qtbot, win, x: float, y: float) -> None:
    """A real left click on the viewport at image pixel (x, y)."""
    wx, wy = win.viewport.view.image_to_widget(x + 0.5, y + 0.5)
    qtbot.mouseClick(win.viewport, Qt.MouseButton.LeftButton, pos=QPoint(round(wx), round(wy)))


def test_select_tool_clicks_pick_the_object_as_the_overlay_shows_it(qtbot, main_window):
    win = main_window
    doc, stack = win.project.doc, win.project.stack
    frame = win.tools.ctx.frame
    a, b = win.layers.add_object("A"), win.layers.add_object("B")
    left, right = np.zeros((36, 64), np.uint8), np.zeros((36, 64), np.uint8)
    left[4:16, 4:20] = 255
    right[20:32, 36:60] = 255
    stack.push(SetMaskCommand(doc, a, frame, left))
    stack.push(SetMaskCommand(doc, b, frame, right))
    use_tool(win, "select")
    index = stack.index

    click_widget(qtbot, win, 10, 10)
    assert win.layers.current_id() == a and win.tools.ctx.obj_id == a
    assert win.inspector.object_panel.name.text() == "A"
    click_widget(qtbot, win, 45, 25)
    assert win.layers.current_id() == b and win.tools.ctx.obj_id == b
    click_widget(qtbot, win, 23, 10)  # right of A's raw mask: nothing there
    assert win.layers.current_id() == b and "no object" in win.statusBar().currentMessage()
    win.project.set_property(a, "mask_ops", MaskOps(dilate_px=6))  # A grows on screen …
    click_widget(qtbot, win, 23, 10)
    assert win.layers.current_id() == a  # … so a click on its grown edge picks it
    win.project.set_property(b, "mask_ops", MaskOps(erode_px=5))
    click_widget(qtbot, win, 37, 21)  # inside B's raw mask, eroded away on screen
    assert win.layers.current_id() == a
    assert stack.index == index + 2  # picking is not an edit


def test_w_grabs_a_point_within_a_fixed_screen_distance_at_any_zoom(qtbot, main_window):
    win = main_window
    vp = win.viewport
    doc, stack = win.project.doc, win.project.stack
    frame = win.tools.ctx.frame
    obj = win.layers.add_object("Hero")
    stack.push(AddPromptCommand(doc, obj, frame, "point", (30, 18, 1)))
    use_tool(win, "move")
    left = Qt.MouseButton.LeftButton
    for zoom_steps in (0, 3):  # as fitted, then zoomed in (wheel-free: the view's own zoom)
        for _ in range(zoom_steps):
            vp.view.zoom_at(1.25, vp.width() / 2, vp.height() / 2)
        vp._view_changed()
        assert win.tools.ctx.options["pick_radius"] == pytest.approx(8 / vp.view.zoom)
        x, y, _label = doc.prompts(obj, frame).points[0]
        wx, wy = vp.view.image_to_widget(x, y)
        near = QPoint(round(wx) + 6, round(wy))  # 6 screen px right of the point: grabbed
        qtbot.mousePress(vp, left, pos=near)
        qtbot.mouseMove(vp, near + QPoint(0, 20))
        qtbot.mouseRelease(vp, left, pos=near + QPoint(0, 20))
        moved = doc.prompts(obj, frame).points[0]
        assert moved[1] == pytest.approx(y + 20 / vp.view.zoom, abs=1 / vp.view.zoom)
        assert stack.undo_text == "Move Point"
    qtbot.waitUntil(lambda: not win._seg_wanted, timeout=20000)  # (the re-segmentation)
    block = np.zeros((36, 64), np.uint8)
    block[5:30, 10:50] = 255
    stack.push(SetMaskCommand(doc, obj, frame, block))
    index = stack.index
    x, y, _label = doc.prompts(obj, frame).points[0]
    wx, wy = vp.view.image_to_widget(x, y)
    far = QPoint(round(wx) + 12, round(wy))  # 12 screen px away: not the point …
    down = QPoint(0, round(3 * vp.view.zoom))
    qtbot.mousePress(vp, left, pos=far)
    qtbot.mouseMove(vp, far + down)
    qtbot.mouseRelease(vp, left, pos=far + down)
    assert stack.index == index + 1 and stack.undo_text == "Move Mask"  # … but the mask
    assert doc.prompts(obj, frame).points[0] == (x, y + 3, 1)  # which the point follows


def test_w_on_a_box_corner_resizes_it_in_one_step_with_its_new_mask(qtbot, session):
    win = session
    first = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    doc, stack = win.project.doc, win.project.stack
    use_tool(win, "box")
    drag(win, [(30, 30), (60, 90), (90, 100)])  # a box over the disc, cutting off its right
    qtbot.waitUntil(lambda: doc.masks.has(obj, first) and not win._seg_wanted, timeout=20000)
    index, before = stack.index, doc.mask(obj, first).copy()
    use_tool(win, "move")
    drag(win, [(89, 99), (100, 100), (110, 104)])  # the bottom right corner
    assert doc.prompts(obj, first).boxes == [(30.0, 30.0, 110.0, 104.0)]
    qtbot.waitUntil(lambda: not win._seg_wanted, timeout=20000)
    assert stack.index == index + 1 and stack.undo_text == "Move Box"
    assert doc.mask(obj, first)[64, 96] > 127 and before[64, 96] == 0  # the disc's right
    stack.undo()
    assert doc.prompts(obj, first).boxes == [(30.0, 30.0, 90.0, 100.0)]
    assert np.array_equal(doc.mask(obj, first), before)


@pytest.mark.parametrize(
    "tool, points",
    [
        ("move", [(74, 64), (120, 70), (170, 100), (185.4, 120.3)]),  # ends partly off the frame
        ("rotate", [(104, 64), (100, 80), (80, 94), (74, 94)]),
        ("scale", [(94, 64), (110, 64), (84, 64), (130, 64)]),  # up, down, past the edges
    ],
)
def test_the_overlay_follows_a_transform_drag_move_by_move_and_undo(session, tool, points):
    """Each preview announces only the previous and the new mask's bbox: the overlay must
    still show the document's mask exactly after every move, the release and undo."""
    win = session
    frame = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    doc, stack = win.project.doc, win.project.stack
    mask = disc(74, 64, 25)
    stack.push(SetMaskCommand(doc, obj, frame, mask))
    use_tool(win, tool)

    def shown() -> bool:
        return np.array_equal(win.viewport.mask, doc.mask(obj, frame))

    (x0, y0), *rest = points
    win.viewport.image_pressed.emit(float(x0), float(y0), LEFT, 0)
    for x, y in rest:
        win.viewport.image_dragged.emit(float(x), float(y), LEFT, 0)
        assert shown() and not np.array_equal(doc.mask(obj, frame), mask)
    index = stack.index
    win.viewport.image_released.emit(float(x), float(y), 0, 0)
    assert shown() and stack.index == index + 1
    stack.undo()
    assert shown() and np.array_equal(doc.mask(obj, frame), mask)
    stack.redo()
    assert shown()


def test_ctrl_z_during_a_w_drag_cancels_the_drag_then_undoes(qtbot, session):
    """Undo under a held mouse button: the drag's live mask and prompts are put back first,
    then the last step (here the click that added the prompt the drag moves) is undone; the
    release that follows records nothing."""
    win = session
    frame, obj, mask = disc_with_a_point(win, 1)
    doc, stack = win.project.doc, win.project.stack
    index = stack.index
    use_tool(win, "move")
    win.viewport.image_pressed.emit(85.0, 72.0, LEFT, 0)
    win.viewport.image_dragged.emit(95.0, 72.0, LEFT, 0)
    assert doc.prompts(obj, frame).points == [(84.0, 64.0, 1)]  # following the mask live
    win.registry.action("edit.undo").trigger()
    assert not win.tools.dragging
    assert stack.index == index - 1 and doc.prompts(obj, frame).points == []
    assert np.array_equal(doc.mask(obj, frame), mask)  # the live move was put back
    win.viewport.image_dragged.emit(105.0, 72.0, LEFT, 0)
    win.viewport.image_released.emit(105.0, 72.0, 0, 0)
    assert stack.index == index - 1 and np.array_equal(doc.mask(obj, frame), mask)
