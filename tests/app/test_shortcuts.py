"""Rebindable shortcuts: preferences with conflict detection, persistence, the shortcut list."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialogButtonBox

from ultimate_roto.app.qt_mainwindow import QtMainWindow


def test_shortcut_dialog_lists_every_action(main_window):
    dialog = main_window.show_shortcuts()
    keymap = main_window.registry.keymap
    assert dialog.table.rowCount() == len(keymap.actions)
    keys = {
        dialog.table.item(r, 1).text(): dialog.table.item(r, 2).text()
        for r in range(dialog.table.rowCount())
    }
    assert keys["Play / Pause"] == "Space"
    dialog.filter.setText("brush")
    visible = [r for r in range(dialog.table.rowCount()) if not dialog.table.isRowHidden(r)]
    assert [dialog.table.item(r, 1).text() for r in visible] == ["Brush tool"]
    dialog.close()


def test_preferences_block_conflicts_and_persist_rebinding(qtbot, main_window, settings):
    prefs = main_window.show_preferences()
    ok = prefs.buttons.button(QDialogButtonBox.StandardButton.Ok)
    prefs.editors["tool.brush"].setKeySequence(QKeySequence("F"))  # clashes with Fit
    assert not ok.isEnabled()
    assert "Fit image" in prefs.conflict_label.text()
    prefs.editors["tool.brush"].setKeySequence(QKeySequence("N"))
    assert ok.isEnabled()
    prefs.accept()
    assert main_window.registry.action("tool.brush").shortcut().toString() == "N"
    with qtbot.waitActive(main_window):
        main_window.activateWindow()
    qtbot.keyClick(main_window, Qt.Key.Key_N)
    assert main_window.tool_palette.current == "brush"
    main_window.close()
    again = QtMainWindow(settings)
    qtbot.addWidget(again)
    assert again.registry.keymap.key("tool.brush") == "N"
    again.registry.reset_all()
    assert again.registry.keymap.key("tool.brush") == "B"
    again.close()


def test_apply_bindings_rejects_a_clash_and_changes_nothing(main_window):
    reg = main_window.registry
    try:
        reg.apply_bindings({"tool.box": "Space"})
    except ValueError as exc:
        assert "space" in str(exc).lower()
    else:
        raise AssertionError("a clashing binding was accepted")
    assert reg.keymap.key("tool.box") == "X"


def test_hand_edited_conflicting_settings_fall_back_to_defaults(qtbot, settings):
    settings.setValue("shortcuts/tool.brush", "Space")
    win = QtMainWindow(settings)
    qtbot.addWidget(win)
    assert win.registry.keymap.key("tool.brush") == "B"
    win.close()


def test_r_and_s_select_transform_tools_and_a_drag_rotates_in_one_undo_step(qtbot, main_window):
    import numpy as np

    win = main_window
    with qtbot.waitActive(win):
        win.activateWindow()
    qtbot.keyClick(win, Qt.Key.Key_S)
    assert win.tool_palette.current == "scale" and win.tools.name == "scale"
    qtbot.keyClick(win, Qt.Key.Key_R)
    assert win.tool_palette.current == "rotate" and win.tools.name == "rotate"
    assert "Rotate" in win.tool_label.text()

    doc = win.project.doc
    frame = win.tools.ctx.frame
    left = Qt.MouseButton.LeftButton.value
    obj = win.layers.add_object("Bar")
    messages: list[str] = []
    win.tools.message.connect(messages.append)
    win.viewport.image_pressed.emit(20.0, 20.0, left, 0)  # empty mask: nothing happens
    win.viewport.image_released.emit(30.0, 30.0, 0, 0)
    assert messages and "empty" in messages[-1]
    before_undo = win.registry.action("edit.undo").text()

    mask = np.zeros((doc.shot.height, doc.shot.width), np.uint8)
    mask[16:20, 16:48] = 255  # a horizontal bar, centroid (32, 18) on the 64×36 shot
    doc.set_mask(obj, frame, mask)
    win.viewport.image_pressed.emit(48.0, 18.0, left, 0)
    win.viewport.image_dragged.emit(44.0, 26.0, left, 0)
    assert not np.array_equal(doc.mask(obj, frame), mask)  # live preview
    win.viewport.image_released.emit(32.0, 34.0, 0, 0)  # a quarter turn
    rotated = doc.mask(obj, frame)
    assert rotated[30, 32] > 200 and rotated[18, 20] == 0  # now vertical
    assert win.registry.action("edit.undo").text() == "Undo Rotate Mask"
    win.registry.action("edit.undo").trigger()
    assert np.array_equal(doc.mask(obj, frame), mask)
    assert win.registry.action("edit.undo").text() == before_undo


def test_escape_cancels_a_brush_stroke_and_a_box_drag_leaving_no_undo_step(qtbot, main_window):

    win = main_window
    with qtbot.waitActive(win):
        win.activateWindow()
    doc = win.project.doc
    frame = win.tools.ctx.frame
    left = Qt.MouseButton.LeftButton.value
    obj = win.layers.add_object("Esc")
    before_undo = win.registry.action("edit.undo").text()
    messages: list[str] = []
    win.tools.message.connect(messages.append)

    qtbot.keyClick(win, Qt.Key.Key_B)
    assert win.tools.name == "brush"
    win.viewport.image_pressed.emit(10.0, 10.0, left, 0)
    win.viewport.image_dragged.emit(40.0, 20.0, left, 0)
    assert doc.mask(obj, frame).any()  # the stroke paints live
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert not doc.mask(obj, frame).any()  # Escape put the pixels back
    assert messages[-1] == "brush cancelled"
    win.viewport.image_dragged.emit(50.0, 25.0, left, 0)  # the rest of the drag is ignored
    win.viewport.image_released.emit(50.0, 25.0, 0, 0)
    assert not doc.mask(obj, frame).any()
    assert win.registry.action("edit.undo").text() == before_undo

    qtbot.keyClick(win, Qt.Key.Key_X)
    assert win.tools.name == "box"
    win.viewport.image_pressed.emit(5.0, 5.0, left, 0)
    win.viewport.image_dragged.emit(30.0, 25.0, left, 0)
    assert win.tools.box_preview() is not None
    qtbot.keyClick(win, Qt.Key.Key_Escape)
    assert win.tools.box_preview() is None
    win.viewport.image_released.emit(30.0, 25.0, 0, 0)
    assert doc.prompts(obj, frame).boxes == []
    assert win.registry.action("edit.undo").text() == before_undo
    count = len(messages)
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # nothing in progress: nothing said or done
    assert len(messages) == count
