"""Workstation: one undo step per click, live mask ops, affected-span re-propagation, occluded
frames, the Export dialog's presets and resume, the Models and System panels, lifecycle."""

from __future__ import annotations

import os
import signal

import numpy as np
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent

from tests.app import test_session as ts
from tests.app.test_session import click, seed_keyframe, use_tool

clip, session = ts.clip, ts.session  # the 8-frame disc plate fixtures


def test_a_click_and_its_mask_undo_as_one_step(qtbot, session):
    win = session
    first = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    use_tool(win, "point")
    index = win.project.stack.index
    click(win, 70, 64)
    qtbot.waitUntil(lambda: win.project.doc.masks.has(obj, first) and not win._seg_wanted)
    stack = win.project.stack
    assert stack.index == index + 1 and stack.undo_text == "Add Point"
    win.registry.action("edit.undo").trigger()
    doc = win.project.doc
    assert doc.prompts(obj, first).points == [] and not doc.masks.has(obj, first)
    assert first not in doc.object(obj).keyframes
    win.registry.action("edit.redo").trigger()
    assert doc.masks.has(obj, first) and len(doc.prompts(obj, first).points) == 1


def test_mask_ops_show_live_on_the_overlay_and_leave_the_mask_alone(session):
    win = session
    first = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    seed_keyframe(win, obj, first)
    raw = win.project.doc.mask(obj, first).copy()
    shown = int((win.viewport.mask > 127).sum())
    win.inspector.object_panel.dilate.setValue(6)
    assert (win.viewport.mask > 127).sum() > shown  # grown on screen
    assert np.array_equal(win.project.doc.mask(obj, first), raw)  # not in the document
    win.inspector.object_panel.dilate.setValue(0)
    assert int((win.viewport.mask > 127).sum()) == shown


def _register_fake_propagator(occluded_frames):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.base import PropagationInfo
    from ultimate_roto.core.engines.registry import EngineSpec

    calls = []

    class Fake:
        def __init__(self, device="cpu"):
            pass

        def propagate(self, get_frame, keyframes, frames, *, progress=None):
            frames = list(frames)
            calls.append(frames)
            key = next(iter(keyframes.values()))
            for n in frames:
                yield n, key, PropagationInfo(0.9, occluded=n in occluded_frames)

    registry.register(EngineSpec("propagate.faketest", "propagate", "fake", "", Fake))
    return calls


def test_occluded_frames_reach_the_timeline_and_a_keyframe_edit_reruns_its_span(qtbot, session):
    from ultimate_roto.core.engines import registry

    win = session
    first, last = win.session.info.first_frame, win.session.info.last_frame
    calls = _register_fake_propagator({first + 2})
    try:
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"propagate": "propagate.faketest"})
        seed_keyframe(win, obj, first)
        seed_keyframe(win, obj, last)
        job = win.propagate("both")
        with qtbot.waitSignal(job.finished, timeout=5000) as done:
            pass
        assert done.args[0] == "done", done.args
        assert win.timeline._occluded == [(first + 2, first + 2)]
        calls.clear()
        mid = first + 4
        seed_keyframe(win, obj, mid)  # a corrected keyframe in the middle
        job = win.repropagate(obj, mid)
        assert f"{first + 1}-{last - 1}" in job.title
        with qtbot.waitSignal(job.finished, timeout=5000) as done:
            pass
        assert done.args[0] == "done", done.args
        ran = sorted({n for frames in calls for n in frames})
        assert ran[0] >= first and ran[-1] <= last
        assert win.repropagate(obj, last + 50) is None  # outside the propagated span
    finally:
        registry.unregister("propagate.faketest")


def test_export_dialog_preset_runs_through_core_and_resumes(qtbot, session, tmp_path):
    win = session
    first = win.session.info.first_frame
    obj = win.layers.add_object("Disc")
    seed_keyframe(win, obj, first)
    dialog = win.export_dialog()
    dialog.preset.setCurrentText("PNG mattes")
    assert "16-bit PNG" in dialog.preset_info.text() and not dialog.format.isEnabled()
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.first.setValue(first)
    dialog.last.setValue(first + 2)
    with qtbot.waitSignal(win.jobs.job_added, timeout=2000) as added:
        dialog.accept()
    job = added.args[0]
    with qtbot.waitSignal(job.finished, timeout=8000) as done:
        pass
    assert done.args[0] == "done", done.args
    assert len(list((tmp_path / "out" / "mattes" / "Disc").glob("*.png"))) == 3
    from ultimate_roto.app.qt_export import ExportRequest

    again = win.export(ExportRequest(({"preset": "PNG mattes"},), str(tmp_path / "out"),
                                     (first, first + 2), resume=True, label="again"))  # fmt: skip
    with qtbot.waitSignal(again.finished, timeout=8000) as done:
        pass
    assert "kept 3" in done.args[1]


def test_export_dialog_formats_make_job_entries_and_refuse_bad_ones(session):
    dialog = session.export_dialog()
    dialog.format.setCurrentIndex(dialog.format.findData("dpx"))
    dialog.bit_depth.setCurrentText("10")
    dialog.encoding.setCurrentText("log")
    assert dialog.entries()[0] == {"format": "dpx", "path": "plate.####.dpx", "what": "plate",
                                   "bit_depth": 10, "encoding": "log"}  # fmt: skip
    dialog.format.setCurrentIndex(dialog.format.findData("exr"))
    dialog.what.setCurrentIndex(dialog.what.findData("layers"))
    dialog.aovs["cryptomatte"].setChecked(True)
    assert dialog.entries()[0]["aovs"] == ["rgba", "objects", "cryptomatte"]
    dialog.format.setCurrentIndex(dialog.format.findData("nuke"))
    assert dialog.entries()[0] == {"format": "nuke", "path": "roto.nk"}
    dialog.accept()  # the document has no object: a shape script cannot be written
    assert dialog.isVisible() and "objects" in dialog.error.text()
    dialog.reject()


def test_export_dialog_offers_depth_and_says_how_to_compute_it(session):
    session.layers.add_object("Thing")
    dialog = session.export_dialog()
    dialog.format.setCurrentIndex(dialog.format.findData("exr"))
    dialog.what.setCurrentIndex(dialog.what.findData("layers"))
    dialog.aovs["depth"].setChecked(True)
    assert dialog.entries()[0]["aovs"] == ["rgba", "objects", "depth"]
    dialog.accept()  # no depth layer yet: the dialog stays and says how to get one
    assert dialog.isVisible() and "Compute depth" in dialog.error.text()
    dialog.what.setCurrentIndex(dialog.what.findData("depth"))
    assert dialog.entries()[0] == {"format": "exr", "what": "depth",
                                   "path": "depth/depth.####.exr"}  # fmt: skip
    dialog.accept()
    assert dialog.isVisible() and "Compute depth" in dialog.error.text()
    dialog.reject()


def test_models_panel_lists_flags_verifies_and_pulls_offline(qtbot, main_window, monkeypatch):
    from ultimate_roto.core.engines import models

    panel = main_window.models_panel
    assert "models" in [a.text().lower() for a in main_window.view_menu.actions()]
    assert panel.tree.topLevelItemCount() == len(models.CATALOGUE)
    row = panel.row("depth-anything-v2-base")
    assert row.text(3).startswith("⚠") and "CC-BY-NC-4.0" in row.text(3)
    assert not panel.row("depth-anything-v2-small").text(3).startswith("⚠")
    assert panel.row("sam2.1-hiera-tiny").text(4) in ("missing", "HF cache", "models folder")
    folder = models.models_dir() / "vitmatte-small-composition-1k"  # a broken install
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"not a safetensors file")
    panel.refresh()
    assert panel.row("vitmatte-small-composition-1k").text(4) == "models folder"
    job = panel.verify("vitmatte-small-composition-1k")
    qtbot.waitUntil(lambda: "FAILED" in panel.message.text(), timeout=5000)
    assert panel.verify(None) is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    job = panel.pull("sam2.1-hiera-tiny")
    with qtbot.waitSignal(job.finished, timeout=5000) as done:
        pass
    assert done.args[0] == "failed" and "sam2.1-hiera-tiny" in panel.message.text()
    assert str(models.models_dir()) in panel.message.text()  # where to put the files


def test_models_folder_preference_moves_the_catalogue(main_window, tmp_path):
    from ultimate_roto.app.qt_prefs import Preferences
    from ultimate_roto.core.engines import models

    main_window.apply_preferences(Preferences(models_dir=str(tmp_path / "elsewhere")))
    assert models.models_dir() == tmp_path / "elsewhere"
    assert str(tmp_path / "elsewhere") in main_window.models_panel.folder.text()


def test_system_panel_shows_the_device_and_its_reason(qtbot, main_window):
    system = main_window.system
    with qtbot.waitSignal(system.device_detected, timeout=5000):
        system.detect_device("cpu")
    assert "cpu: requested" in system.device.text()
    assert system.gpu.text()  # GPUs with VRAM, or why there are none


def test_sigterm_closes_cleanly_and_keeps_the_autosave(qtbot, main_window, tmp_path):
    from ultimate_roto.app.qt_lifecycle import QtSignalBridge

    bridge = QtSignalBridge()
    try:
        main_window.layers.add_object("Unsaved")
        with qtbot.waitSignal(bridge.received, timeout=3000) as got:
            os.kill(os.getpid(), signal.SIGTERM)
        assert got.args == [signal.SIGTERM]
    finally:
        bridge.close()
    assert main_window.close_for_signal()  # no question asked, even with unsaved changes
    assert list((tmp_path / "autosave").glob("*"))  # the next start offers it back


def test_file_open_event_opens_the_file(main_window, tmp_path, monkeypatch):
    from ultimate_roto.app.qt_lifecycle import QtFileOpenFilter

    opened = []
    files = QtFileOpenFilter(opened.append)
    app = QCoreApplication.instance()
    app.installEventFilter(files)
    try:
        QCoreApplication.sendEvent(app, QFileOpenEvent(str(tmp_path / "shot.roto")))
    finally:
        app.removeEventFilter(files)
    assert opened == [str(tmp_path / "shot.roto")]


def test_warm_up_runs_as_a_background_job(qtbot, main_window, monkeypatch):
    # The real warm-up compiles numba kernels (tens of seconds on a cold CI cache; it is
    # tested in tests/core/engines); here: the GUI runs it as a job, off the GUI thread.
    import threading

    from ultimate_roto.core.engines import refine_classic

    threads = []
    monkeypatch.setattr(
        refine_classic, "warm_up", lambda: threads.append(threading.current_thread())
    )
    job = main_window.warm_up_engines()
    with qtbot.waitSignal(job.finished, timeout=15000) as done:
        pass
    assert done.args[0] == "done", done.args
    assert threads and threads[0] is not threading.main_thread()


def test_a_brush_correction_becomes_a_keyframe_and_reruns_its_span(qtbot, session):
    from ultimate_roto.core.engines import registry

    win = session
    first, last = win.session.info.first_frame, win.session.info.last_frame
    calls = _register_fake_propagator(set())
    try:
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"propagate": "propagate.faketest"})
        seed_keyframe(win, obj, first)
        seed_keyframe(win, obj, last)
        job = win.propagate("both")
        with qtbot.waitSignal(job.finished, timeout=5000):
            pass
        mid = first + 3
        win.timeline.frame_changed.emit(mid)
        before = win.project.doc.masks.get(obj, mid).copy()
        calls.clear()
        use_tool(win, "brush")
        click(win, 10, 10)  # a stroke away from the disc: a correction on a propagated frame
        assert mid in win.project.doc.object(obj).keyframes
        rerun = [j for j in win.jobs.running() if getattr(j, "repropagates", None) == obj]
        assert rerun and "keyframe" in rerun[0].title
        with qtbot.waitSignal(rerun[0].finished, timeout=5000):
            pass
        assert calls  # the span around the corrected frame was propagated again
        win.project.stack.undo()  # the stroke and its keyframe are one step
        assert mid not in win.project.doc.object(obj).keyframes
        assert np.array_equal(win.project.doc.masks.get(obj, mid), before)
    finally:
        registry.unregister("propagate.faketest")
