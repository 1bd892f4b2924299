"""Widget tests: offscreen Qt, per-test settings, a main window, and a leak guard on every test."""

from __future__ import annotations

import os

# Before anything imports Qt (the gl tests run in their own process with xcb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["ULTIMATE_ROTO_NO_GL"] = "1"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ultimate_roto.app  # noqa: E402,F401  (applies the PySide6 None-refcount guard first)
from tests import qt_leaks  # noqa: E402


@pytest.fixture(autouse=True)
def no_leaks():
    """Fails a test that leaves top-level widgets (shown or not), running QThreadPool work,
    Python threads or active QTimers behind (tests/qt_leaks.py). Autouse: set up before and torn
    down after every other fixture of the test, after pytest-qt closed its widgets."""
    with qt_leaks.guard():
        yield


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


@pytest.fixture
def main_window(qtbot, qapp, settings, tmp_path, monkeypatch):
    """A shown QtMainWindow with a 12-frame in-memory shot; closed and deleted at teardown
    (``no_leaks`` then fails the test on anything the window left behind)."""
    from PySide6.QtWidgets import QMessageBox

    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    # A modal question would block the test run: answer "Discard" unless a test says otherwise.
    monkeypatch.setattr(
        QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Discard
    )
    settings.setValue("autosave_dir", str(tmp_path / "autosave"))
    win = QtMainWindow(settings)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.set_reader(small_reader())
    qtbot.waitUntil(lambda: win.viewport.frame is not None, timeout=3000)
    yield win
    win.close()
    # the jobs' own pool (not Qt's global one, which no_leaks checks) is empty once closed
    assert win.jobs.pool.activeThreadCount() == 0, "a job still runs after the window closed"
    win.deleteLater()


@pytest.fixture
def bare_window(qtbot, settings, tmp_path):
    """A QtMainWindow with no media (not shown), for the launch and recovery paths."""
    from ultimate_roto.app.qt_mainwindow import QtMainWindow

    settings.setValue("autosave_dir", str(tmp_path / "autosave"))
    win = QtMainWindow(settings)
    qtbot.addWidget(win)
    yield win
    if win.project is not None:
        win.project.doc.set_modified(False)
    win.close()
