"""GUI entry point: QApplication set-up (style, palette, QSettings names) and the main window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

from ultimate_roto import __version__, paths
from ultimate_roto.app.array_reader import generated_shot
from ultimate_roto.app.qt_lifecycle import QtFileOpenFilter, QtSignalBridge
from ultimate_roto.app.qt_mainwindow import QtMainWindow
from ultimate_roto.app.qt_theme import apply_theme, icon

log = logging.getLogger(__name__)
ORGANISATION = "UltimateRoto"
APPLICATION = "Ultimate Roto"


def make_application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication (created once), named for QSettings and themed."""
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setOrganizationDomain("ultimate-roto.org")
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    app = QApplication.instance() or QApplication(
        [sys.argv[0] if sys.argv else "ultimate-roto", *argv]
    )
    from ultimate_roto.app.qt_prefs import Preferences

    apply_theme(app, Preferences.load(QSettings()).theme)
    app.setWindowIcon(icon("app"))
    return app


def default_media() -> Path | None:
    """The bundled demo shot, or None when it is not installed."""
    try:
        shot = paths.demo_shot()
    except FileNotFoundError:
        return None
    return shot if shot.exists() else None


def open_initial(win: QtMainWindow, args: Sequence[str]) -> None:
    """Offer what a crashed session left, else open the path given on the command line,
    else the demo shot, else a generated shot.

    Recovery comes first even when a file is named (the README's run command names the demo
    shot): work the user chose to recover wins over the file, and the status bar says so.
    """
    target = next((a for a in args if not a.startswith("-")), None)
    if win.recover_unsaved_session():
        if target is not None:
            win.statusBar().showMessage(f"Recovered the unsaved session; {target} not opened")
        return
    if target is not None:
        win.open_path(target)
        return
    demo = default_media()
    if demo is None or not win.open_path(demo):
        log.warning("demo shot not available; showing a generated shot")
        win.set_reader(generated_shot())


def run_app(args: Sequence[str] = ()) -> int:
    """Start the workstation on ``args[0]`` (media or project); returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = make_application()
    win = QtMainWindow()
    win.show()
    files = QtFileOpenFilter(win.open_path, app)  # macOS: files opened from Finder/Dock
    app.installEventFilter(files)
    signals = QtSignalBridge(parent=app)  # SIGTERM/SIGINT: close cleanly, keep the autosave
    signals.received.connect(lambda _sig: win.close_for_signal())
    open_initial(win, list(args))
    win.system.detect_device(win.prefs.device)
    win.warm_up_engines()  # numba JIT of the refine engine, off the GUI thread
    try:
        return int(app.exec())
    finally:
        signals.close()
        app.removeEventFilter(files)
