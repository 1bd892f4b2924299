"""Dark VFX look: Fusion style, a dark palette, resources/theme/dark.qss and the SVG icons."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from ultimate_roto import paths

log = logging.getLogger(__name__)
ACCENT = QColor(255, 122, 40)


def dark_palette() -> QPalette:
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor(43, 44, 48),
        QPalette.ColorRole.WindowText: QColor(200, 202, 208),
        QPalette.ColorRole.Base: QColor(30, 31, 34),
        QPalette.ColorRole.AlternateBase: QColor(36, 37, 41),
        QPalette.ColorRole.ToolTipBase: QColor(24, 24, 26),
        QPalette.ColorRole.ToolTipText: QColor(220, 220, 224),
        QPalette.ColorRole.PlaceholderText: QColor(110, 112, 118),
        QPalette.ColorRole.Text: QColor(200, 202, 208),
        QPalette.ColorRole.Button: QColor(52, 53, 58),
        QPalette.ColorRole.ButtonText: QColor(200, 202, 208),
        QPalette.ColorRole.BrightText: QColor(255, 90, 90),
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Highlight: QColor(204, 98, 32),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
    }
    for role, colour in roles.items():
        pal.setColor(role, colour)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(100, 101, 106))
    return pal


def stylesheet() -> str:
    """The .qss text, or "" (logged) when the resources folder is incomplete."""
    try:
        return (paths.resources_dir() / "theme" / "dark.qss").read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("theme stylesheet missing: %s", exc)
        return ""


THEMES = ("dark", "light")


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """ "dark": the VFX look; "light": Fusion with the standard light palette, no stylesheet."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme '{theme}'; expected one of {THEMES}")
    app.setStyle("Fusion")
    if theme == "dark":
        app.setPalette(dark_palette())
        app.setStyleSheet(stylesheet())
    else:
        app.setPalette(app.style().standardPalette())
        app.setStyleSheet("")


@cache
def icon(name: str) -> QIcon:
    """An icon from resources/icons/NAME.svg (an empty icon if the file is missing)."""
    try:
        path = paths.resources_dir() / "icons" / f"{name}.svg"
    except FileNotFoundError:
        return QIcon()
    if not path.exists():
        log.warning("icon missing: %s", path)
        return QIcon()
    return QIcon(str(path))
