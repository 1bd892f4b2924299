"""The launch path (qt_main): the application is named and themed from the preferences, and
the first window lands on the demo shot, a command-line file, or a generated shot."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QMessageBox

from tests.app.test_file_open import png_sequence
from ultimate_roto import paths
from ultimate_roto.app import qt_main
from ultimate_roto.app.qt_prefs import Preferences
from ultimate_roto.app.qt_theme import dark_palette, light_palette, stylesheet


@pytest.fixture
def app_state(qapp, settings):
    """Put back what make_application changes on the shared QApplication."""
    names = (QCoreApplication.organizationName(), QCoreApplication.applicationName())
    sheet, palette = qapp.styleSheet(), QPalette(qapp.palette())
    yield qapp
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


def window_colour(app) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_make_application_names_the_app_and_applies_the_dark_look(app_state):
    app_state.setStyleSheet("")
    app = qt_main.make_application()
    assert app is app_state  # one QApplication per process
    assert QCoreApplication.applicationName() == qt_main.APPLICATION
    assert QCoreApplication.organizationName() == qt_main.ORGANISATION
    assert app.styleSheet() == stylesheet("dark") and "dark theme" in app.styleSheet()
    assert window_colour(app) == dark_palette().color(QPalette.ColorRole.Window).name()


def test_make_application_follows_the_theme_preference(app_state):
    Preferences(theme="light").save()
    app = qt_main.make_application()
    assert app.styleSheet() == stylesheet("light") and "light theme" in app.styleSheet()
    assert window_colour(app) == light_palette().color(QPalette.ColorRole.Window).name()


@pytest.fixture
def window(bare_window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.No)
    return bare_window


def test_the_first_window_lands_on_the_demo_shot(qtbot, window):
    demo = qt_main.default_media()
    assert demo is not None and demo == paths.demo_shot()
    qt_main.open_initial(window, [])
    assert window.session is not None
    assert window.session.info.path == str(demo) or window.session.info.path.endswith(demo.name)
    assert window.session.info.frame_count > 1
    qtbot.waitUntil(lambda: window.viewport.frame is not None, timeout=5000)
    assert "demo_shot" in window.windowTitle()


def test_a_missing_demo_shot_gives_a_generated_shot(window, monkeypatch, caplog):
    def missing():
        raise FileNotFoundError("resources/demo")

    monkeypatch.setattr(paths, "demo_shot", missing)
    assert qt_main.default_media() is None
    with caplog.at_level(logging.WARNING, logger="ultimate_roto.app.qt_main"):
        qt_main.open_initial(window, [])
    assert "demo shot not available" in caplog.text
    assert window.session is not None and window.session.info.frame_count > 1


def test_an_unreadable_demo_shot_is_reported_and_a_generated_shot_shown(
    window, monkeypatch, tmp_path
):
    broken = tmp_path / "demo_shot.mp4"
    broken.write_bytes(b"not a video")
    monkeypatch.setattr(qt_main, "default_media", lambda: broken)
    errors: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: errors.append(text))
    qt_main.open_initial(window, [])
    assert errors and "demo_shot.mp4" in errors[0]
    assert window.session is not None and window.session.info.frame_count > 1


def test_a_file_on_the_command_line_opens_instead(window, tmp_path, monkeypatch):
    frames = png_sequence(tmp_path / "seq", 3)
    asked: list[bool] = []
    monkeypatch.setattr(window, "recover_unsaved_session", lambda: asked.append(True) or False)
    qt_main.open_initial(window, ["--verbose", str(frames[0])])
    assert asked == [True]  # nothing to recover (or declined): the named file opens
    assert window.session.info.frame_count == 3


def test_recovery_is_offered_even_when_a_file_is_named(window, tmp_path, monkeypatch):
    """The README's run command names the demo shot: a crash must still be offered back,
    and accepted work wins over the named file."""
    frames = png_sequence(tmp_path / "seq", 3)
    recovered = png_sequence(tmp_path / "crashed", 5)

    def recover() -> bool:
        window.open_path(str(recovered[0]))
        return True

    monkeypatch.setattr(window, "recover_unsaved_session", recover)
    qt_main.open_initial(window, [str(frames[0])])
    assert window.session.info.frame_count == 5
    assert "not opened" in window.statusBar().currentMessage()
