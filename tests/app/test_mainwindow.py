"""The workstation window: docks, layout memory, menus, shortcuts, opening media, panels."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from ultimate_roto.app.qt_mainwindow import DOCKS, QtMainWindow


@pytest.fixture
def errors(monkeypatch):
    """Capture QMessageBox.critical instead of showing a modal dialog."""
    seen: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "critical", lambda _parent, _title, text, *a: seen.append(text)
    )
    return seen


def activate(qtbot, win):
    with qtbot.waitActive(win):
        win.activateWindow()


def test_every_dock_is_listed_in_view_menu_and_comes_back(main_window):
    titles = [a.text() for a in main_window.view_menu.actions()]
    for name, title, _area in DOCKS:
        assert title in titles
        dock = main_window.docks[name]
        dock.close()
        assert not dock.isVisible()
        dock.toggleViewAction().trigger()
        assert dock.isVisible()


def test_layout_and_window_geometry_saved_at_close_and_restored_at_start(
    qtbot, main_window, settings
):
    main_window.docks["system"].close()
    main_window.docks["log"].setFloating(True)
    main_window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, main_window.docks["timeline"])
    main_window.resize(760, 540)  # inside the offscreen 800×600 screen (restoreGeometry clamps)
    main_window.move(40, 30)
    qtbot.wait(20)
    geometry = main_window.geometry()  # (the docks' minimum height may exceed 540)
    assert geometry.width() == 760 and geometry.height() != 800  # not the fixture's size
    main_window.close()
    again = QtMainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.size() == geometry.size()
    assert (again.pos() - geometry.topLeft()).manhattanLength() <= 8  # frame offsets
    assert not again.docks["system"].isVisible()
    assert again.docks["log"].isFloating()
    assert again.dockWidgetArea(again.docks["timeline"]) == Qt.DockWidgetArea.TopDockWidgetArea
    again.close()


def split(win) -> tuple[int, int]:
    return win.docks["layers"].height(), win.docks["inspector"].height()


def test_reset_layout_puts_every_dock_back_in_its_area_at_its_first_size(qtbot, settings, tmp_path):
    settings.setValue("autosave_dir", str(tmp_path / "autosave"))
    win = QtMainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(20)
    first = split(win)
    win.docks["system"].close()
    win.docks["log"].setFloating(True)
    win.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, win.docks["timeline"])
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, win.docks["layers"])
    win.reset_layout()
    qtbot.wait(20)
    for name, _title, area in DOCKS:
        dock = win.docks[name]
        assert win.dockWidgetArea(dock) == area, name
        assert not dock.isFloating() and not dock.isHidden(), name
    assert win.docks["inspector"].isVisible() and win.docks["thumbnails"].isVisible()
    assert win.tabifiedDockWidgets(win.docks["inspector"])  # still tabbed with History …
    layers, inspector = split(win)
    assert abs(layers - first[0]) <= 10 and abs(inspector - first[1]) <= 10
    assert layers < inspector  # the default proportions (resizeDocks at the first show)
    win.close()


def test_corrupt_file_shows_error_and_app_keeps_running(main_window, errors, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"this is not a video")
    assert not main_window.open_path(bad)
    assert errors and "broken.mp4" in errors[0]
    assert main_window.session is not None and main_window.session.info.path == "small shot"
    main_window.go_to(3)
    assert main_window.current_frame == 3


def test_drop_of_a_media_file_opens_it(qtbot, main_window, errors, monkeypatch, tmp_path):
    opened = []
    monkeypatch.setattr(main_window, "open_path", lambda p: opened.append(p) or True)
    clip = tmp_path / "clip.mov"
    clip.write_bytes(b"x")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(clip))])
    event = QDropEvent(
        QPointF(20, 20),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    main_window.dropEvent(event)
    assert opened == [str(clip)]


def test_timeline_scrub_by_mouse_loads_frames(qtbot, main_window):
    tl = main_window.timeline
    x = tl.geo.centre_of(7)
    qtbot.mousePress(tl, Qt.MouseButton.LeftButton, pos=QPoint(int(tl.geo.centre_of(2)), 15))
    qtbot.mouseMove(tl, QPoint(int(x), 15))
    qtbot.mouseRelease(tl, Qt.MouseButton.LeftButton, pos=QPoint(int(x), 15))
    assert main_window.current_frame == 7
    qtbot.waitUntil(lambda: abs(float(main_window.viewport.frame[0, 0, 0]) - 0.07) < 1e-6)
    assert main_window.transport.frame_box.value() == 7


def test_in_out_keys_and_keyframe_navigation(qtbot, main_window):
    activate(qtbot, main_window)
    main_window.go_to(3)
    qtbot.keyClick(main_window, Qt.Key.Key_I)
    main_window.go_to(8)
    qtbot.keyClick(main_window, Qt.Key.Key_O)
    assert (main_window.timeline.in_point, main_window.timeline.out_point) == (3, 8)
    assert main_window.playback.clock.first == 3 and main_window.playback.clock.last == 8
    from PySide6.QtGui import QColor

    main_window.timeline.set_keyframes("a", {2, 9}, QColor("red"))
    main_window.go_to(5)
    qtbot.keyClick(main_window, Qt.Key.Key_BracketRight)
    assert main_window.current_frame == 9
    qtbot.keyClick(main_window, Qt.Key.Key_BracketLeft)
    assert main_window.current_frame == 2
    qtbot.keyClick(main_window, Qt.Key.Key_BracketLeft)  # none before: stays
    assert main_window.current_frame == 2


def test_stepping_shortcuts(qtbot, main_window):
    activate(qtbot, main_window)
    qtbot.keyClick(main_window, Qt.Key.Key_End)
    assert main_window.current_frame == 11
    qtbot.keyClick(main_window, Qt.Key.Key_Left)
    assert main_window.current_frame == 10
    qtbot.keyClick(main_window, Qt.Key.Key_Home)
    assert main_window.current_frame == 0
    qtbot.keyClick(main_window, Qt.Key.Key_Right)
    assert main_window.current_frame == 1
    qtbot.keyClick(main_window, Qt.Key.Key_Left)
    qtbot.keyClick(main_window, Qt.Key.Key_Left)  # clamps at the first frame
    assert main_window.current_frame == 0


def test_play_keys_space_jkl(qtbot, main_window):
    activate(qtbot, main_window)
    clock = main_window.playback.clock
    qtbot.keyClick(main_window, Qt.Key.Key_Space)
    assert clock.speed == 1
    qtbot.waitUntil(lambda: main_window.current_frame > 0, timeout=2000)
    qtbot.keyClick(main_window, Qt.Key.Key_Space)
    assert clock.speed == 0
    qtbot.keyClick(main_window, Qt.Key.Key_L)
    qtbot.keyClick(main_window, Qt.Key.Key_L)
    assert clock.speed == 2
    assert "2×" in main_window.transport.fps_label.text()
    qtbot.keyClick(main_window, Qt.Key.Key_J)
    assert clock.speed == -1
    qtbot.keyClick(main_window, Qt.Key.Key_K)
    assert clock.speed == 0 and not main_window.playback._timer.isActive()


@pytest.mark.parametrize(
    "key,tool",
    [
        (Qt.Key.Key_W, "move"),
        (Qt.Key.Key_B, "brush"),
        (Qt.Key.Key_E, "eraser"),
        (Qt.Key.Key_P, "point"),
        (Qt.Key.Key_X, "box"),
        (Qt.Key.Key_Q, "select"),
    ],
)
def test_tool_keys_select_tools(qtbot, main_window, key, tool):
    activate(qtbot, main_window)
    if tool == "select":
        qtbot.keyClick(main_window, Qt.Key.Key_B)
    qtbot.keyClick(main_window, key)
    assert main_window.tool_palette.current == tool
    assert tool.capitalize() in main_window.tool_label.text()


def test_view_keys_fit_show_all_overlay(qtbot, main_window):
    activate(qtbot, main_window)
    vp = main_window.viewport
    vp.fit()
    fitted = vp.view.zoom
    vp.view.zoom_at(4.0, 10, 10)
    qtbot.keyClick(main_window, Qt.Key.Key_F)
    assert vp.view.zoom == pytest.approx(fitted)
    qtbot.keyClick(main_window, Qt.Key.Key_1)
    assert vp.view.zoom == 1.0
    main_window.inspector.channel.setCurrentText("R")
    assert vp.settings.channel == "R"
    qtbot.keyClick(main_window, Qt.Key.Key_A)
    assert vp.settings.channel == "RGB" and main_window.inspector.channel.currentText() == "RGB"
    assert vp.settings.overlay_visible
    qtbot.keyClick(main_window, Qt.Key.Key_AsciiTilde)
    assert not vp.settings.overlay_visible and not main_window.inspector.overlay.isChecked()


def test_undo_redo_mirror_the_command_stack(qtbot, main_window):
    activate(qtbot, main_window)
    undo = main_window.registry.action("edit.undo")
    assert not undo.isEnabled()
    main_window.layers.add_button.click()
    assert undo.isEnabled() and undo.text() == "Undo Add Object 1"
    assert main_window.layers.tree.topLevelItemCount() == 1
    assert main_window.isWindowModified()
    qtbot.keyClick(main_window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert main_window.layers.tree.topLevelItemCount() == 0
    redo = main_window.registry.action("edit.redo")
    assert redo.text() == "Redo Add Object 1"
    qtbot.keyClick(
        main_window,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert main_window.layers.tree.topLevelItemCount() == 1


def test_layer_visibility_is_an_undoable_command(main_window):
    main_window.layers.add_button.click()
    item = main_window.layers.tree.topLevelItem(0)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    obj = main_window.project.doc.objects[0]
    assert not obj.visible
    assert main_window.project.stack.undo_text == "Hide Object 1"
    main_window.registry.action("edit.undo").trigger()
    assert main_window.project.doc.objects[0].visible


def test_save_project_and_reopen_it(main_window, errors, tmp_path, monkeypatch):
    main_window.layers.add_button.click()
    target = tmp_path / "shot.roto"
    assert main_window._save_to(str(target))
    assert target.exists() and not main_window.isWindowModified()
    assert str(target) in main_window.recent_files()
    # the in-memory shot has no media file, so reopening must fail politely
    assert not main_window.open_path(target)
    assert errors


def test_thumbnails_fill_in_and_click_jumps(qtbot, main_window):
    strip = main_window.thumbnails
    assert strip.count() == 12
    qtbot.waitUntil(lambda: main_window._thumbs_done == 12, timeout=3000)
    assert main_window.log_panel.job_state(0) == "done"
    item = strip.item(5)
    strip.itemClicked.emit(item)
    assert main_window.current_frame == 5
    with pytest.raises(ValueError):
        strip.set_thumbnail(5, main_window.viewport.frame)  # float, 4 channels: refused


def test_inspector_drives_the_viewport(main_window):
    ins, vp = main_window.inspector, main_window.viewport
    ins.exposure.setValue(1.5)
    ins.gamma.setValue(2.2)
    ins.linear.setChecked(True)
    ins.opacity.setValue(80)
    assert (vp.settings.exposure, vp.settings.gamma, vp.settings.linear) == (1.5, 2.2, True)
    assert vp.settings.overlay_opacity == pytest.approx(0.8)
    assert "64 × 36" in ins.facts["Resolution"].text()


def test_pixel_readout_comes_from_the_cpu_frame(qtbot, main_window):
    vp = main_window.viewport
    main_window.go_to(4)
    qtbot.waitUntil(lambda: abs(float(vp.frame[0, 0, 0]) - 0.04) < 1e-6)
    x, y = vp.view.image_to_widget(10.5, 20.5)
    with qtbot.waitSignal(vp.pixel_hovered) as sig:
        qtbot.mouseMove(vp, QPoint(int(x), int(y)))
    assert sig.args[:2] == [10, 20]
    assert sig.args[2] == pytest.approx(0.04)
    assert "0.0400" in main_window.viewer.readout.text()


def test_log_and_system_panels(qtbot, main_window):
    logging.getLogger("ultimate_roto.test").warning("disk almost full")
    qtbot.waitUntil(lambda: "disk almost full" in main_window.log_panel.visible_text())
    main_window.log_panel.level.setCurrentText("Error")
    assert "disk almost full" not in main_window.log_panel.visible_text()
    main_window.system.refresh()
    assert "GiB" in main_window.system.ram.format()
    assert "frames" in main_window.system.cache.text()


def test_recent_files_menu(main_window, errors, tmp_path):
    main_window._remember(str(tmp_path / "a.mov"))
    main_window._fill_recent()
    actions = main_window.recent_menu.actions()
    assert actions[0].text() == str(tmp_path / "a.mov")
    actions[0].trigger()  # the file does not exist: an error, not a crash
    assert errors
