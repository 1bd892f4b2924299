"""The look: Fusion style, a dark (default) or light palette with its resources/theme/*.qss,
the error colour that reads on either, and the SVG icons."""

from __future__ import annotations

import logging
from functools import cache

from PySide6.QtCore import QByteArray, QObject, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QAbstractButton, QApplication

from ultimate_roto import paths

log = logging.getLogger(__name__)
ACCENT = QColor(255, 122, 40)


def _palette(roles: dict, disabled_text: QColor) -> QPalette:
    """A palette of ``roles`` whose disabled texts are ``disabled_text``."""
    pal = QPalette()
    for role, colour in roles.items():
        pal.setColor(role, colour)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled_text)
    return pal


def dark_palette() -> QPalette:
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
    return _palette(roles, disabled_text=QColor(100, 101, 106))


def light_palette() -> QPalette:
    """A neutral grey light palette (Fusion's own is stark white) with the same accent."""
    roles = {
        QPalette.ColorRole.Window: QColor(232, 233, 236),
        QPalette.ColorRole.WindowText: QColor(34, 35, 38),
        QPalette.ColorRole.Base: QColor(250, 250, 251),
        QPalette.ColorRole.AlternateBase: QColor(240, 241, 244),
        QPalette.ColorRole.ToolTipBase: QColor(255, 255, 240),
        QPalette.ColorRole.ToolTipText: QColor(34, 35, 38),
        QPalette.ColorRole.PlaceholderText: QColor(130, 132, 138),
        QPalette.ColorRole.Text: QColor(34, 35, 38),
        QPalette.ColorRole.Button: QColor(224, 225, 229),
        QPalette.ColorRole.ButtonText: QColor(34, 35, 38),
        QPalette.ColorRole.BrightText: QColor(190, 30, 30),
        QPalette.ColorRole.Link: QColor(184, 82, 16),
        QPalette.ColorRole.Highlight: QColor(214, 108, 40),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Mid: QColor(160, 162, 168),
    }
    return _palette(roles, disabled_text=QColor(150, 152, 158))


def stylesheet(theme: str = "dark") -> str:
    """The theme's .qss text, or "" (logged) when the resources folder is incomplete."""
    try:
        return (paths.resources_dir() / "theme" / f"{theme}.qss").read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("theme stylesheet missing: %s", exc)
        return ""


PALETTES = {"dark": dark_palette, "light": light_palette}
THEMES = tuple(PALETTES)


def apply_theme(app: QApplication, theme: str = "dark") -> None:
    """Fusion with the theme's palette and stylesheet ("dark": the VFX look)."""
    if theme not in THEMES:
        raise ValueError(f"unknown theme '{theme}'; expected one of {THEMES}")
    app.setStyle("Fusion")
    app.setPalette(PALETTES[theme]())
    app.setStyleSheet(stylesheet(theme))


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether the (application's) palette draws light text on a dark base."""
    if palette is None:
        palette = QApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def error_colour(palette: QPalette | None = None) -> QColor:
    """A red that reads on the palette's base: light on dark themes, deep on light ones."""
    return QColor(255, 106, 106) if is_dark(palette) else QColor(190, 30, 30)


ICON_INK = "#c8cad0"  # the strokes of resources/icons/*.svg (drawn for the dark theme)
LIGHT_INK = "#3c3e44"  # the same strokes on the light theme
ICON_SIZES = (16, 20, 22, 24, 32, 44, 48, 64)
_ICON_NAMES: dict[int, str] = {}  # QIcon.cacheKey() → icon name (retint_icons finds them)


def icon(name: str) -> QIcon:
    """An icon from resources/icons/NAME.svg inked for the current palette (an empty icon if
    the file is missing)."""
    made = _icon(name, is_dark())
    _ICON_NAMES[made.cacheKey()] = name
    return made


@cache
def _icon(name: str, dark: bool) -> QIcon:
    try:
        path = paths.resources_dir() / "icons" / f"{name}.svg"
    except FileNotFoundError:
        return QIcon()
    if not path.exists():
        log.warning("icon missing: %s", path)
        return QIcon()
    if dark:
        return QIcon(str(path))
    svg = path.read_text(encoding="utf-8").replace(ICON_INK, LIGHT_INK)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    made = QIcon()
    for size in ICON_SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        made.addPixmap(pixmap)
    return made


def retint_icons(root: QObject) -> int:
    """After a theme change: give every action and button under ``root`` that shows one of
    our icons the current theme's version; returns how many changed."""
    changed = 0
    for holder in (*root.findChildren(QAction), *root.findChildren(QAbstractButton)):
        name = _ICON_NAMES.get(holder.icon().cacheKey())
        if name is not None:
            fresh = icon(name)
            if fresh.cacheKey() != holder.icon().cacheKey():
                holder.setIcon(fresh)
                changed += 1
    return changed
