"""Widget tests: offscreen Qt, per-test settings, and a main window that must not leak."""

from __future__ import annotations

import os

# Before anything imports Qt (the gl tests run in their own process with xcb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ULTIMATE_ROTO_NO_GL"] = "1"

import threading  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ultimate_roto.app  # noqa: E402,F401  (applies the PySide6 None-refcount guard first)


@pytest.fixture(autouse=True)
def user_settings_file(tmp_path, monkeypatch):
    """The shared user settings file (core.settings) of every test: private, in tmp_path."""
    path = tmp_path / "user_settings.json"
    monkeypatch.setenv("ULTIMATE_ROTO_SETTINGS", str(path))
    monkeypatch.setenv("ULTIMATE_ROTO_MODELS", str(tmp_path / "models"))  # not the user's
    from ultimate_roto.core.engines import models

    yield path
    models.set_models_dir(None)  # the window applies the preference process-wide


@pytest.fixture
def settings(tmp_path, qapp):
    """A private INI QSettings; also points the default user scope at tmp_path."""
    from PySide6.QtCore import QCoreApplication, QSettings

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    QCoreApplication.setOrganizationName(f"UltimateRotoTest-{os.getpid()}")
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def small_reader(count: int = 12, width: int = 64, height: int = 36):
    """An in-memory shot whose frame n has value n/100 everywhere (easy to check)."""
    from ultimate_roto.app.array_reader import ArrayReader

    frames = [np.full((height, width, 3), n / 100.0, np.float32) for n in range(count)]
    return ArrayReader(frames, name="small shot")


def _live_top_levels() -> set[int]:
    from PySide6.QtWidgets import QApplication

    return {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}


@pytest.fixture
def main_window(qtbot, qapp, settings, tmp_path, monkeypatch):
    """A shown QtMainWindow with a 12-frame in-memory shot.

    Fails the test if, after the window is closed, visible top-level widgets it created remain
    or worker threads (Python threads, QThreadPool) are still running.
    """
    from PySide6.QtCore import QThreadPool
    from PySide6.QtWidgets import QMessageBox

    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    # A modal question would block the test run: answer "Discard" unless a test says otherwise.
    monkeypatch.setattr(
        QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Discard
    )
    before_widgets = _live_top_levels()
    before_threads = set(threading.enumerate())
    settings.setValue("autosave_dir", str(tmp_path / "autosave"))
    win = QtMainWindow(settings)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.set_reader(small_reader())
    qtbot.waitUntil(lambda: win.viewport.frame is not None, timeout=3000)
    yield win
    win.close()
    qtbot.wait(10)
    leaked = _live_top_levels() - before_widgets
    # QThreadPool threads that ran Python code show up as _DummyThread forever: the pool's
    # activeThreadCount() below is the check for those.
    threads = [
        t
        for t in set(threading.enumerate()) - before_threads
        if t.is_alive() and not isinstance(t, threading._DummyThread)
    ]
    win.deleteLater()
    assert not leaked, f"top-level widgets still visible after close: {leaked}"
    assert not threads, f"threads left running after close: {[t.name for t in threads]}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0
