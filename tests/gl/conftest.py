"""GL tests: start a private Xvfb and select the xcb platform before Qt is imported."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

_XVFB: subprocess.Popen | None = None


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number between :90 and :199")


def _start_xvfb() -> str | None:
    """Start Xvfb on a free display; returns the reason it could not, or None."""
    global _XVFB
    if not shutil.which("Xvfb"):
        return "Xvfb is not installed (apt-get install xvfb): OpenGL tests need an X server"
    for _attempt in range(3):
        n = _free_display()
        proc = subprocess.Popen(
            ["Xvfb", f":{n}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                _XVFB = proc
                os.environ["DISPLAY"] = f":{n}"
                return None
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.terminate()
        proc.wait(5)
    return "Xvfb did not start"


# Runs at import time, before any test module (and so PySide6) is imported.
_SKIP_REASON = _start_xvfb()
os.environ["QT_QPA_PLATFORM"] = "xcb"
os.environ.pop("QT_XCB_GL_INTEGRATION", None)


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gl)
            if _SKIP_REASON:
                item.add_marker(pytest.mark.skip(reason=_SKIP_REASON))


def pytest_unconfigure(config):
    # The QApplication holds the X connection until the interpreter ends: drop it first.
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        import shiboken6

        app.processEvents()
        shiboken6.delete(app)
    if _XVFB is not None:
        _XVFB.terminate()
        try:
            _XVFB.wait(5)
        except subprocess.TimeoutExpired:
            _XVFB.kill()


@pytest.fixture(autouse=True)
def no_leaks():
    """Fails a test that leaves widgets, pool work, threads or active QTimers behind
    (tests/qt_leaks.py; imported here, after Xvfb started and the platform was chosen)."""
    from tests import qt_leaks

    with qt_leaks.guard():
        yield


@pytest.fixture(autouse=True)
def user_settings_file(tmp_path, monkeypatch):
    """The shared user settings file (core.settings): private to the test."""
    path = tmp_path / "user_settings.json"
    monkeypatch.setenv("ULTIMATE_ROTO_SETTINGS", str(path))
    return path


@pytest.fixture
def gl_viewport(qtbot):
    """A shown 64x48 QtViewport with a live GL context."""
    from ultimate_roto.app.qt_viewport import QtViewport

    view = QtViewport()
    qtbot.addWidget(view)
    view.resize(64, 48)
    view.show()
    qtbot.waitExposed(view)
    return view
