"""The jobs runner: its own pool (click segmentation is never queued behind jobs), a job
cancelled while queued never starts, non-cooperative work loses its Cancel once it runs, and
cancel_all waits once for all jobs (not at all with wait_s=0)."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest
from PySide6.QtCore import Qt, QThreadPool

from ultimate_roto.app.qt_jobs import QtJobManager, job_threads


@pytest.fixture
def manager(qapp):
    made: list[QtJobManager] = []

    def make(threads: int) -> QtJobManager:
        made.append(QtJobManager(threads=threads))
        return made[-1]

    yield make
    for m in made:
        assert m.shutdown(5.0)
        m.deleteLater()


def blocking(release: threading.Event, cooperative: bool = True):
    def work(progress, _emit):
        while not release.wait(0.005):
            if cooperative:
                progress.check_aborted()
        return "released"

    return work


def finished(qtbot, job, timeout: int = 5000) -> tuple[str, str]:
    if not job.running:
        return job.state, job.message
    with qtbot.waitSignal(job.finished, timeout=timeout) as done:
        pass
    return tuple(done.args)


def test_the_pool_size_leaves_room_and_stays_small():
    assert job_threads(2) == 2 and job_threads(4) == 3 and job_threads(64) == 4


def test_a_job_cancelled_while_queued_never_runs_its_work(qtbot, manager):
    jobs = manager(1)
    release, called = threading.Event(), []
    first = jobs.start("busy", blocking(release))
    queued = jobs.start("loads an engine", lambda p, e: called.append(1) or "ran")
    qtbot.waitUntil(lambda: first.state == "running", timeout=2000)
    assert queued.state == "queued"
    queued.cancel()
    release.set()
    assert finished(qtbot, queued) == ("cancelled", "loads an engine: cancelled")
    assert not called
    assert finished(qtbot, first)[0] == "done"


def test_cancel_all_waits_once_for_all_jobs_and_not_at_all_with_zero(qtbot, manager, caplog):
    jobs = manager(3)
    release = threading.Event()
    stuck = [jobs.start(f"download {i}", blocking(release, cooperative=False)) for i in range(3)]
    qtbot.waitUntil(lambda: all(j.state == "running" for j in stuck), timeout=2000)
    with caplog.at_level(logging.WARNING, logger="ultimate_roto.app.qt_jobs"):
        started = time.monotonic()
        assert not jobs.cancel_all(wait_s=0.0)  # Roto > Cancel all jobs: no wait, no warning
        assert time.monotonic() - started < 0.1
        assert not caplog.records
        started = time.monotonic()
        assert not jobs.cancel_all(wait_s=0.3)
        assert time.monotonic() - started < 0.6  # one deadline, not 0.3 s per job
    assert len(caplog.records) == 1 and "download 2" in caplog.records[0].getMessage()
    release.set()
    for job in stuck:
        assert finished(qtbot, job)[0] == "done"  # (non-cooperative work ran to its end)


def test_verify_loses_its_cancel_once_it_runs(qtbot, main_window, monkeypatch):
    from ultimate_roto.app import qt_models

    release = threading.Event()
    monkeypatch.setattr(qt_models, "verify_text", lambda mid: release.wait(5) and f"{mid}: OK")
    job = main_window.models_panel.verify("sam2.1-hiera-tiny")
    assert not job.cancellable
    qtbot.waitUntil(lambda: job.state == "running", timeout=2000)
    button = main_window.log_panel.cancel_button(job.job_id)
    assert button is not None and not button.isEnabled()
    assert "cannot be interrupted" in button.toolTip()
    assert main_window.log_panel.job_state(0) == "running"
    release.set()
    assert finished(qtbot, job) == ("done", "sam2.1-hiera-tiny: OK")
    warm = main_window.warm_up_engines()
    assert not warm.cancellable
    warm.cancel()  # queued or not: the window's close waits for it either way
    finished(qtbot, warm, 60000)


def test_jobs_never_queue_click_segmentation(qtbot, main_window):
    from ultimate_roto.app.array_reader import ArrayReader

    win = main_window
    yy, xx = np.mgrid[0:72, 0:128]
    disc = ((xx - 60) ** 2 + (yy - 36) ** 2 < 20**2)[..., None] * np.float32(0.8) + 0.1
    win.set_reader(ArrayReader([np.repeat(disc, 3, 2)] * 4, name="disc"))
    qtbot.waitUntil(lambda: win.viewport.frame is not None, timeout=3000)
    assert win.jobs.pool is not QThreadPool.globalInstance()
    release = threading.Event()
    many = QThreadPool.globalInstance().maxThreadCount() + 2  # more than Qt's global pool
    jobs = [win.jobs.start(f"long {i}", blocking(release)) for i in range(many)]
    try:
        obj = win.layers.add_object("Thing")
        win.registry.action("tool.point").trigger()
        left = Qt.MouseButton.LeftButton.value
        win.viewport.image_pressed.emit(60.0, 36.0, left, 0)
        win.viewport.image_released.emit(60.0, 36.0, 0, 0)
        qtbot.waitUntil(lambda: win.project.doc.masks.has(obj, win.current_frame), timeout=5000)
        assert all(j.running for j in jobs)  # the mask came while every job still ran
        assert np.any(win.project.doc.mask(obj, win.current_frame))
    finally:
        release.set()
    for job in jobs:
        assert finished(qtbot, job)[0] == "done"
    assert win.jobs.pool.waitForDone(2000)
