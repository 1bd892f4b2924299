"""Mask jobs in the real window: results that went stale during the job are not applied (a
painted frame survives, an undone seed keyframe, File > Open, a deleted object), a newer run
supersedes an older one, Refine is one undo step, and closing over a running job asks first."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from ultimate_roto.core.commands import DeleteObjectCommand, SetKeyframeCommand, SetMaskCommand

LEFT = Qt.MouseButton.LeftButton.value
W, H, FRAMES = 160, 96, 6


def disc_frame(n: int) -> np.ndarray:
    rng = np.random.default_rng(n)
    img = (rng.random((H, W, 3)) * 40 + 30).astype(np.uint8)
    cv2.circle(img, (60 + 2 * n, 48), 24, (40, 140, 250), -1)  # BGR
    return img


def disc_mask(n: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W]
    return (((xx - 60 - 2 * n) ** 2 + (yy - 48) ** 2) < 24**2).astype(np.uint8) * 255


@pytest.fixture
def win(qtbot, main_window, tmp_path):
    folder = tmp_path / "plate"
    folder.mkdir()
    for n in range(FRAMES):
        cv2.imwrite(str(folder / f"plate.{1001 + n:04d}.png"), disc_frame(n))
    assert main_window.open_path(str(folder / "plate.####.png"))
    qtbot.waitUntil(lambda: main_window.viewport.frame is not None, timeout=3000)
    return main_window


class Gate:
    """A fake propagator whose frames come out only once the test opens the gate.

    Run k shifts the keyframe's mask right by k pixels, so runs are told apart.
    """

    def __init__(self, engine_id: str = "propagate.gatetest") -> None:
        from ultimate_roto.core.engines import registry
        from ultimate_roto.core.engines.base import PropagationInfo
        from ultimate_roto.core.engines.registry import EngineSpec

        self.id = engine_id
        self.opened = threading.Event()
        self.entered = threading.Event()
        self.runs = 0
        self.threads: set[int] = set()
        gate = self

        class Engine:
            def __init__(self, device="cpu", **_options):
                pass

            def propagate(self, get_frame, keyframes, frames, *, progress=None):
                gate.runs += 1
                shift = gate.runs
                key = keyframes[min(keyframes)]
                gate.threads.add(threading.get_ident())
                for n in frames:
                    gate.entered.set()
                    while not gate.opened.is_set():
                        progress.check_aborted()
                        time.sleep(0.005)
                    yield n, np.roll(key, shift, axis=1), PropagationInfo(0.9)

        registry.register(EngineSpec(engine_id, "propagate", "gate", "", Engine))

    def close(self) -> None:
        from ultimate_roto.core.engines import registry

        self.opened.set()
        registry.unregister(self.id)


@pytest.fixture
def gate():
    g = Gate()
    yield g
    g.close()


def seed(win, obj: str, frame: int) -> None:
    stack, doc = win.project.stack, win.project.doc
    with stack.macro("seed"):
        stack.push(SetMaskCommand(doc, obj, frame, disc_mask(frame - 1001)))
        stack.push(SetKeyframeCommand(doc, obj, frame))


def disc_object(win, gate: Gate | None = None, name: str = "Disc") -> str:
    obj = win.layers.add_object(name)
    if gate is not None:
        win.project.set_property(obj, "engines", {"propagate": gate.id})
    seed(win, obj, 1001)
    return obj


def finished(qtbot, job, timeout: int = 8000) -> tuple[str, str]:
    if not job.running:
        return job.state, job.message
    with qtbot.waitSignal(job.finished, timeout=timeout) as done:
        pass
    return tuple(done.args)


def test_a_frame_painted_during_propagation_keeps_the_painting(qtbot, win, gate):
    obj = disc_object(win, gate)
    job = win.propagate("forward")
    assert gate.entered.wait(5)
    win.timeline.frame_changed.emit(1004)  # the artist goes on working on frame 1004
    win.registry.action("tool.brush").trigger()
    win.viewport.image_pressed.emit(10.0, 10.0, LEFT, 0)
    win.viewport.image_released.emit(10.0, 10.0, 0, 0)
    painted = win.project.doc.mask(obj, 1004)
    assert painted[10, 10] > 0 and 1004 in win.project.doc.object(obj).keyframes
    index = win.project.stack.index
    gate.opened.set()
    state, message = finished(qtbot, job)
    assert state == "done", message
    doc = win.project.doc
    assert np.array_equal(doc.mask(obj, 1004), painted)  # not overwritten by the job
    assert np.array_equal(doc.mask(obj, 1002), np.roll(disc_mask(0), 1, axis=1))
    assert "1 frame(s) changed during the job were kept" in message and "1004" in message
    assert message in win.statusBar().currentMessage()
    assert win.project.stack.index == index + 1  # one undo step
    # The correction is a keyframe now: its span follows it, as after any keyframe edit.
    rerun = [j for j in win.jobs.running() if getattr(j, "repropagates", None) == obj]
    assert len(rerun) == 1 and "1002-1006 (keyframe 1004 changed)" in rerun[0].title
    assert finished(qtbot, rerun[0])[0] == "done"
    assert np.array_equal(doc.mask(obj, 1004), painted)
    assert win.project.stack.index == index + 2
    win.project.stack.undo()
    win.project.stack.undo()
    assert np.array_equal(doc.mask(obj, 1004), painted)
    assert not doc.masks.has(obj, 1002)


def test_undoing_the_seed_keyframe_drops_the_results_and_keeps_redo(qtbot, win, gate):
    obj = disc_object(win, gate)
    job = win.propagate("forward")
    assert gate.entered.wait(5)
    win.registry.action("edit.undo").trigger()  # the seed keyframe goes
    assert not win.project.doc.masks.frames(obj)
    gate.opened.set()
    state, message = finished(qtbot, job)
    assert state == "dropped" and "keyframe 1001 changed" in message
    assert not win.project.doc.masks.frames(obj)
    assert win.project.stack.can_redo  # nothing pushed: the redo stack is intact
    win.registry.action("edit.redo").trigger()
    assert win.project.doc.masks.frames(obj) == [1001]
    assert win.log_panel.job_state(0) == "dropped"


def test_a_deleted_object_drops_the_results_and_says_so(qtbot, win, gate):
    obj = disc_object(win, gate)
    job = win.propagate("forward")
    assert gate.entered.wait(5)
    win.project.stack.push(DeleteObjectCommand(win.project.doc, obj))
    index = win.project.stack.index
    gate.opened.set()
    state, message = finished(qtbot, job)
    assert state == "dropped" and "deleted" in message
    assert "deleted" in win.statusBar().currentMessage()
    assert win.project.stack.index == index


def test_results_of_a_job_do_not_land_in_a_project_opened_meanwhile(qtbot, win, gate, tmp_path):
    obj = disc_object(win, gate)
    path = str(tmp_path / "shot.roto")
    assert win._save_to(path)
    gate.opened.set()
    job = win.propagate("forward")
    assert job.wait(5)  # the work ended; its results wait in the event queue
    assert win.open_path(path)  # File > Open of the same project: same object ids
    state, message = finished(qtbot, job)
    assert state == "dropped" and "another project" in message
    assert win.project.doc.masks.frames(obj) == [1001]
    assert not win.project.doc.modified


def test_a_newer_propagate_supersedes_the_running_one(qtbot, win, gate):
    obj = disc_object(win, gate)
    index = win.project.stack.index
    first = win.propagate("forward")
    assert gate.entered.wait(5)
    second = win.propagate("forward")
    assert finished(qtbot, first, 2000)[0] == "cancelled"
    gate.opened.set()
    state, message = finished(qtbot, second)
    assert state == "done", message
    assert win.project.stack.index == index + 1
    shifted = np.roll(disc_mask(0), gate.runs, axis=1)  # the second run's masks
    assert np.array_equal(win.project.doc.mask(obj, 1003), shifted)
    # A run whose work already ended but whose results are still queued is dropped too.
    third = win.propagate("forward")
    assert third.wait(5)
    fourth = win.propagate("forward")
    assert finished(qtbot, third)[0] == "dropped" and "superseded" in third.message
    assert finished(qtbot, fourth)[0] == "done"
    assert win.project.stack.index == index + 2
    assert np.array_equal(win.project.doc.mask(obj, 1003), np.roll(disc_mask(0), 4, axis=1))


def test_refine_job_softens_the_edges_as_one_undo_step(qtbot, win):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.registry import EngineSpec

    threads = []

    class Blur:
        def __init__(self, device="cpu", **_options):
            pass

        def refine(self, image, mask, *, progress=None):
            threads.append(threading.get_ident())
            return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)

    registry.register(EngineSpec("refine.blurtest", "refine", "blur", "", Blur))
    try:
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"refine": "refine.blurtest"})
        for f in (1001, 1002, 1003):
            seed(win, obj, f)
        win.timeline.set_in_out(1001, 1003)
        before = {f: win.project.doc.mask(obj, f) for f in (1001, 1002, 1003)}
        index = win.project.stack.index
        with qtbot.waitSignal(win.jobs.job_added, timeout=2000) as added:
            win.registry.action("jobs.refine").trigger()
        state, message = finished(qtbot, added.args[0])
        assert state == "done", message
        assert "refined Disc on 3 frames" in message
        for f in (1001, 1002, 1003):
            after = win.project.doc.mask(obj, f)
            soft = (after > 0) & (after < 255)
            assert soft.sum() > 50 and not np.array_equal(after, before[f])
        assert win.project.stack.index == index + 1
        assert win.project.stack.undo_text.startswith("Refine Disc")
        assert threads and threading.get_ident() not in threads
        win.project.stack.undo()
        for f in (1001, 1002, 1003):
            assert np.array_equal(win.project.doc.mask(obj, f), before[f])
    finally:
        registry.unregister("refine.blurtest")


def test_closing_over_a_running_job_asks_then_cancels_it(qtbot, win, gate, monkeypatch):
    from ultimate_roto.core.engines import refine_classic

    warming = threading.Event()
    monkeypatch.setattr(refine_classic, "warm_up", lambda: warming.wait(5))
    warm = win.warm_up_engines()  # housekeeping: not worth a question
    disc_object(win, gate)
    job = win.propagate("forward")
    assert gate.entered.wait(5)
    asked: list[str] = []

    def answer(reply):
        def question(_parent, title, text, *_a, **_k):
            asked.append(text)
            return reply

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    assert not win.close()  # "Cancel": keep working, the job goes on
    assert win.isVisible() and job.running and not job.progress.aborted
    assert "1 job running" in asked[0] and "Propagate Disc" in asked[0]
    assert warm.running and "Warm up" not in asked[0]
    warming.set()
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    started = time.monotonic()
    assert win.close()
    assert time.monotonic() - started < 3.0
    assert job.wait(0) and job.progress.aborted
    assert "1 job running" in asked[1]
    assert win.jobs.pool.activeThreadCount() == 0


def test_a_newer_refine_supersedes_the_running_one(qtbot, win):
    from ultimate_roto.core.engines import registry
    from ultimate_roto.core.engines.registry import EngineSpec

    opened, entered = threading.Event(), threading.Event()

    class Held:
        def __init__(self, device="cpu", **_options):
            pass

        def refine(self, image, mask, *, progress=None):
            entered.set()
            opened.wait(5)
            return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.5)

    registry.register(EngineSpec("refine.heldtest", "refine", "held", "", Held))
    try:
        obj = win.layers.add_object("Disc")
        win.project.set_property(obj, "engines", {"refine": "refine.heldtest"})
        seed(win, obj, 1001)
        win.timeline.set_in_out(1001, 1002)
        index = win.project.stack.index
        first = win.refine()
        assert entered.wait(5)
        second = win.refine()
        assert first.progress.aborted and first.superseded
        opened.set()
        assert finished(qtbot, first)[0] == "cancelled"
        state, message = finished(qtbot, second)
        assert state == "done", message
        assert win.project.stack.index == index + 1
    finally:
        opened.set()
        registry.unregister("refine.heldtest")
