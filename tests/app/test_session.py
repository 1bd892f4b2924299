"""Roto sessions through the real window: prompts, inspector, jobs, export, unsaved changes, recovery
(the whole demo-shot session is test_whole_session_demo.py)."""

from __future__ import annotations

import os
import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.core.commands import SetKeyframeCommand, SetMaskCommand

ALT = Qt.KeyboardModifier.AltModifier.value
LEFT = Qt.MouseButton.LeftButton.value
W, H, FRAMES = 192, 128, 8


def disc_frame(n: int) -> np.ndarray:
    """A textured dark background with a bright orange disc moving right by 2 px a frame."""
    rng = np.random.default_rng(n)
    img = (rng.random((H, W, 3)) * 40 + 30).astype(np.uint8)
    cv2.circle(img, (70 + 2 * n, 64), 30, (40, 140, 250), -1)  # BGR
    return img


@pytest.fixture
def clip(tmp_path):
    folder = tmp_path / "plate"
    folder.mkdir()
    for n in range(FRAMES):
        cv2.imwrite(str(folder / f"plate.{1001 + n:04d}.png"), disc_frame(n))
    return str(folder / "plate.####.png")


@pytest.fixture
def session(qtbot, main_window, clip):
    assert main_window.open_path(clip)
    qtbot.waitUntil(lambda: main_window.viewport.frame is not None, timeout=3000)
    return main_window


def click(win, x, y, modifiers=0):
    win.viewport.image_pressed.emit(float(x), float(y), LEFT, modifiers)
    win.viewport.image_released.emit(float(x), float(y), 0, modifiers)


def use_tool(win, name):
    win.registry.action(f"tool.{name}").trigger()
    assert win.tools.name == name


def test_prompt_outside_the_image_is_ignored_with_a_message(session):
    win = session
    obj = win.layers.add_object()
    use_tool(win, "point")
    click(win, W + 40, 20)
    assert win.project.doc.prompts(obj, win.current_frame).points == []
    assert "outside" in win.statusBar().currentMessage()
    win.layers.tree.setCurrentItem(None)
    click(win, 20, 20)
    assert "no editable object" in win.statusBar().currentMessage()


def test_inspector_rename_is_a_command_and_undo_restores_the_view(session):
    win = session
    win.layers.add_object("Object 1")
    panel = win.inspector.object_panel
    assert panel.isEnabled() and panel.name.text() == "Object 1"
    panel.name.setText("Hero")
    panel.name.editingFinished.emit()
    assert win.project.doc.objects[0].name == "Hero"
    assert win.project.stack.undo_text == "Rename Object 1 → Hero"
    assert win.history.labels()[-1].startswith("Rename Object 1 → Hero")
    panel.name.setText("   ")  # bad input: an empty name is refused, the view restored
    panel.name.editingFinished.emit()
    assert panel.name.text() == "Hero" and win.project.stack.undo_text.startswith("Rename")
    panel.dilate.setValue(3)
    panel.dilate.setValue(5)  # one undo step for the whole spin
    assert win.project.doc.objects[0].mask_ops.dilate_px == 5
    win.history.go_to(1)  # back to "Add Object 1" through the History panel
    assert win.project.doc.objects[0].name == "Object 1"
    assert panel.name.text() == "Object 1" and panel.dilate.value() == 0
    win.registry.action("edit.redo").trigger()
    assert panel.name.text() == "Hero"


def seed_keyframe(win, obj, frame):
    """A keyframe mask of the disc on ``frame`` (as if segmented)."""
    yy, xx = np.mgrid[0:H, 0:W]
    n = frame - win.session.info.first_frame
    disc = ((xx - 70 - 2 * n) ** 2 + (yy - 64) ** 2 < 30**2).astype(np.uint8) * 255
    stack, doc = win.project.stack, win.project.doc
    with stack.macro("seed"):
        stack.push(SetMaskCommand(doc, obj, frame, disc))
        stack.push(SetKeyframeCommand(doc, obj, frame))


def test_propagate_job_follows_the_disc_and_undoes_as_one_step(qtbot, session):
    win = session
    first, last = win.session.info.first_frame, win.session.info.last_frame
    obj = win.layers.add_object("Disc")
    seed_keyframe(win, obj, first)
    index = win.project.stack.index
    job = win.propagate("forward")
    assert job is not None
    with qtbot.waitSignal(job.finished, timeout=8000) as done:
        pass
    assert done.args[0] == "done", done.args
    doc = win.project.doc
    assert doc.masks.frames(obj) == list(range(first, last + 1))
    moved = doc.mask(obj, last)
    assert moved[64, 70 + 2 * (FRAMES - 1)] > 200  # followed the disc
    assert win.project.stack.index == index + 1
    assert win.project.stack.undo_text.startswith("Propagate Disc forward")
    win.registry.action("edit.undo").trigger()
    assert doc.masks.frames(obj) == [first]
    assert win.log_panel.job_state(0) == "done"


def test_the_timeline_scrubs_while_a_slow_job_runs_off_the_gui_thread(qtbot, session):
    import threading

    from PySide6.QtCore import QPoint

    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.base import PropagationInfo
    from ultimate_roto.core.engines.registry import EngineSpec

    release, threads = threading.Event(), []

    class Slow:  # holds every frame until the test has scrubbed
        def __init__(self, device="cpu"):
            pass

        def propagate(self, get_frame, keyframes, frames, *, progress=None):
            threads.append(threading.get_ident())
            for n in frames:
                while not release.is_set():
                    progress.check_aborted()
                    time.sleep(0.01)
                yield n, keyframes[min(keyframes)], PropagationInfo(1.0)

    registry.register(EngineSpec("propagate.slowscrub", "propagate", "slow", "", Slow))
    try:
        win = session
        first = win.session.info.first_frame
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"propagate": "propagate.slowscrub"})
        seed_keyframe(win, obj, first)
        job = win.propagate("forward")
        qtbot.waitUntil(lambda: bool(threads), timeout=5000)
        timeline, geo = win.timeline, win.timeline.geo
        y = timeline.height() // 2
        qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(geo.x_of(first)), y))
        for frame in (first + 2, first + 5, first + 7):  # a drag along the ruler
            qtbot.mouseMove(timeline, QPoint(round(geo.x_of(frame)), y))
            qtbot.waitUntil(lambda f=frame: win.current_frame == f, timeout=2000)
            want = win.session.read_now(frame)
            qtbot.waitUntil(
                lambda w=want: np.allclose(win.viewport.frame, w, atol=1 / 255), timeout=3000
            )
            assert job.running  # shown while the job still runs
        qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton)
        assert threading.get_ident() not in threads  # the engine ran on a pool thread
        release.set()
        with qtbot.waitSignal(job.finished, timeout=8000) as done:
            pass
        assert done.args[0] == "done", done.args
    finally:
        release.set()
        registry.unregister("propagate.slowscrub")


def test_cancel_stops_a_job_within_a_second_and_applies_nothing(qtbot, session, monkeypatch):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.base import PropagationInfo
    from ultimate_roto.core.engines.registry import EngineSpec

    class Slow:
        def __init__(self, device="cpu"):
            pass

        def propagate(self, get_frame, keyframes, frames, *, progress=None):
            frames = list(frames)
            for i, n in enumerate(frames):
                for _ in range(25):  # 0.5 s per frame, checking often like real engines
                    progress.check_aborted()
                    time.sleep(0.02)
                progress.report((i + 1) / len(frames), f"frame {n}")
                yield n, keyframes[min(keyframes)], PropagationInfo(1.0)

    registry.register(EngineSpec("propagate.slowtest", "propagate", "slow", "", Slow))
    try:
        win = session
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"propagate": "propagate.slowtest"})
        seed_keyframe(win, obj, win.session.info.first_frame)
        before = dict(win.project.doc.masks.snapshot()[obj])
        index = win.project.stack.index
        job = win.propagate("forward")
        qtbot.waitUntil(lambda: job.progress.fraction > 0.0, timeout=5000)
        assert job.running
        started = time.monotonic()
        win.log_panel.cancel_button(job.job_id).click()
        with qtbot.waitSignal(job.finished, timeout=2000) as done:
            pass
        assert time.monotonic() - started < 1.0
        assert done.args[0] == "cancelled"
        assert win.project.doc.masks.snapshot()[obj] == before
        assert win.project.stack.index == index
        assert win.log_panel.job_state(0) == "cancelled"
    finally:
        registry.unregister("propagate.slowtest")


def test_propagate_without_keyframes_reports_and_runs_nothing(qtbot, session):
    win = session
    win.layers.add_object()
    job = win.propagate("both")
    with qtbot.waitSignal(job.finished, timeout=3000) as done:
        pass
    assert done.args[0] == "failed" and "no keyframe" in done.args[1]


def test_export_mattes_writes_png_files(qtbot, session, tmp_path):
    from ultimate_roto.app.qt_export import ExportRequest

    win = session
    obj = win.layers.add_object("Disc")
    first = win.session.info.first_frame
    seed_keyframe(win, obj, first)
    out = tmp_path / "out"
    spec = {"format": "png", "what": "mask", "path": "{object}/matte.####.png"}
    job = win.export(ExportRequest((spec,), str(out), (first, first + 1)))
    with qtbot.waitSignal(job.finished, timeout=8000) as done:
        pass
    assert done.args[0] == "done", done.args
    written = sorted((out / "Disc").glob("matte.*.png"))
    assert len(written) == 2
    matte = cv2.imread(str(written[0]), cv2.IMREAD_UNCHANGED)
    assert matte[64, 70].max() > 200 and matte[5, 5].max() == 0


def test_export_dialog_rejects_a_bad_template(session):
    dialog = session.export_dialog()
    dialog.format.setCurrentIndex(dialog.format.findData("png"))
    dialog.template.setText("plate.png")  # an image sequence needs a frame token
    dialog.accept()
    assert dialog.isVisible() and "plate.png" in dialog.error.text()
    dialog.reject()


def test_unsaved_changes_prompt_cancel_keeps_the_window_save_saves(
    qtbot, session, monkeypatch, tmp_path
):
    win = session
    win.layers.add_object()
    answers = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: answers.pop(0))
    assert not win.close()
    assert win.isVisible()
    path = tmp_path / "kept.roto"
    monkeypatch.setattr(
        "ultimate_roto.app.qt_window_file.QFileDialog.getSaveFileName",
        lambda *_a, **_k: (str(path), ""),
    )
    answers.append(QMessageBox.StandardButton.Save)
    assert win.close()
    assert path.exists()


def test_recovery_is_offered_when_the_autosave_is_newer(qtbot, session, settings, tmp_path):
    win = session
    obj = win.layers.add_object("Saved")
    path = tmp_path / "crash.roto"
    assert win._save_to(str(path))
    win.project.rename(obj, "Edited after save")
    assert win.autosaver is not None and win.autosaver.save_now()
    autosave = win.autosaver.path
    os.utime(autosave, (time.time() + 5, time.time() + 5))
    win.autosaver.stop(discard=False)  # simulate a crash: nothing removes the autosave
    win.autosaver = None
    win.project.doc.set_modified(False)
    assert autosave.exists()
    win.close()
    asked = []
    again = QtMainWindow(settings)
    qtbot.addWidget(again)
    again.offer_recovery = lambda found: asked.append(found) or True
    assert again.open_path(path)
    assert asked and asked[0].path == autosave
    assert again.project.doc.objects[0].name == "Edited after save"
    assert again.project.doc.modified and again.project.path == str(path)
    again.project.doc.set_modified(False)
    again.close()


def test_corrupt_project_shows_an_error_and_keeps_the_session(session, tmp_path, monkeypatch):
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: errors.append(text))
    bad = tmp_path / "broken.roto"
    bad.write_text("{ not json")
    name = session.session.name
    assert not session.open_path(bad)
    assert errors and "broken.roto" in errors[0]
    assert session.session.name == name


def test_transport_shows_the_frame_number_and_the_media_timecode(qapp, main_window):
    from fractions import Fraction

    from ultimate_roto.app.qt_theme import apply_theme

    apply_theme(qapp)  # the stylesheet once squeezed the frame field's text to 1 px
    try:
        panel = main_window.transport
        panel.set_range(0, 47, Fraction(24), "01:00:00:00")
        panel.show_frame(14)
        qapp.processEvents()
        edit = panel.frame_box.lineEdit()
        assert edit.text() == "14"
        assert edit.width() >= edit.fontMetrics().horizontalAdvance("1001")
        assert panel.tc_label.text() == "01:00:00:14"
        panel.set_range(0, 47, Fraction(24), "not a timecode")  # bad input: count from zero
        panel.show_frame(25)
        assert panel.tc_label.text() == "00:00:01:01"
    finally:
        qapp.setStyleSheet("")
