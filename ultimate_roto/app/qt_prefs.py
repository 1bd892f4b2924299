"""Preferences: the user settings file shared with --batch (core.settings) and key bindings.

Cache budgets, device, models folder, autosave interval and theme live in ``core.settings``'
JSON file (``ULTIMATE_ROTO_SETTINGS`` names another one), so a batch run on the same machine
uses what the user chose here. Values an older version kept in QSettings (group
``preferences``) are moved into that file once. Keyboard bindings stay in QSettings.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.qt_shortcuts import QtActionRegistry, QtKeyboardPage
from ultimate_roto.app.qt_theme import error_colour
from ultimate_roto.core import settings as core_settings
from ultimate_roto.core.errors import RotoError

if TYPE_CHECKING:
    from ultimate_roto.core.cache import TieredCache

log = logging.getLogger(__name__)
LEGACY_GROUP = "preferences"  # QSettings group of versions before the shared settings file
DEVICES = core_settings.DEVICES
THEMES = core_settings.THEMES
_LEGACY_THEMES = {"system": "light"}


@dataclass
class Preferences:
    """The GUI's view of the user settings; 0 MB RAM = automatic (25 % of memory), 0 MB disk =
    no disk tier, empty folders = the defaults."""

    ram_mb: int = 0
    disk_mb: int = 0
    disk_dir: str = ""
    device: str = "auto"
    models_dir: str = ""
    autosave_s: int = 120
    theme: str = "dark"

    def validate(self) -> None:
        """ValueError naming the bad value (the core validation, in GUI terms)."""
        if 0 < self.ram_mb < 64:
            raise ValueError(f"a {self.ram_mb} MB frame cache is too small (0 = automatic)")
        try:
            core_settings.validate(self.to_settings())
        except RotoError as exc:
            raise ValueError(str(exc)) from None

    # -- the shared file -------------------------------------------------------------------
    @classmethod
    def from_settings(cls, data: dict[str, Any]) -> Preferences:
        cache = data["cache"]
        return cls(
            ram_mb=int(cache.get("ram_mb") or 0),
            disk_mb=int(cache.get("disk_mb") or 0),
            disk_dir=str(cache.get("disk_dir") or ""),
            device=data["device"],
            models_dir=str(data["models_dir"] or ""),
            autosave_s=int(data["autosave_interval_s"]),
            theme=data["theme"],
        )

    def to_settings(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        """Core settings with these values over ``base`` (keeps e.g. ``cache.kind_mb``)."""
        out = dict(base or {})
        cache = dict(out.get("cache") or {})
        cache.update(
            ram_mb=self.ram_mb or None, disk_mb=self.disk_mb, disk_dir=self.disk_dir or None
        )
        out.update(
            cache=cache,
            device=self.device,
            models_dir=self.models_dir or None,
            autosave_interval_s=self.autosave_s,
            theme=self.theme,
        )
        return out

    @classmethod
    def load(
        cls, qsettings: QSettings | None = None, path: str | Path | None = None
    ) -> Preferences:
        """The settings file's values (after a one-time move of legacy QSettings values);
        an unreadable file gives the defaults and a logged warning (it is not overwritten
        until the user saves)."""
        where = Path(path) if path is not None else core_settings.settings_path()
        if qsettings is not None:
            migrate_legacy(qsettings, where)
        try:
            return cls.from_settings(core_settings.load_settings(where))
        except RotoError as exc:
            log.warning("preferences: %s; using the defaults", exc)
            return cls()

    def save(self, path: str | Path | None = None) -> Path:
        """Write into the shared settings file (keeping the keys the GUI does not edit)."""
        self.validate()
        where = Path(path) if path is not None else core_settings.settings_path()
        try:
            base = core_settings.load_settings(where)
        except RotoError:
            base = None
        try:
            return core_settings.save_settings(self.to_settings(base), where)
        except RotoError as exc:
            raise ValueError(str(exc)) from None

    # -- what the window applies -----------------------------------------------------------
    @property
    def engine_device(self) -> str | None:
        """The device for ``run_segment.load_engine``: None lets it choose ("auto")."""
        return None if self.device == "auto" else self.device

    def cache_settings(self) -> dict[str, object]:
        """core.cache.settings form (``budgets_from_settings``); omitted values = defaults
        (0 MB disk with a folder set stays "off")."""
        return core_settings.cache_settings(self.to_settings())

    def apply_cache(self, cache: TieredCache) -> str:
        """Give a live frame cache these budgets now (it evicts at once if they shrank).

        Returns a note for the status bar: why nothing applied, or that a new disk cache folder
        waits for the next opened media (the disk tier keeps its folder); "" when all applied.
        """
        try:
            waiting = cache.apply_settings(self.cache_settings())
        except (RotoError, OSError) as exc:
            log.warning("cache preferences not applied: %s", exc)
            return f"Cache budgets not applied: {getattr(exc, 'message', exc)}"
        if "disk_dir" in waiting:
            return (
                "Cache budgets applied; the new disk cache folder is used from the next "
                "opened media"
            )
        return ""

    def apply_models_dir(self) -> None:
        """Point the model catalogue at the chosen folder (None: its default)."""
        from ultimate_roto.core.engines import models

        models.set_models_dir(self.models_dir or None)


def migrate_legacy(qsettings: QSettings, path: Path) -> bool:
    """Move ``preferences/*`` QSettings values into the settings file once; True if moved.

    Only when the file does not exist yet (the file wins); unreadable values are dropped.
    The QSettings group is removed afterwards, so this runs once.
    """
    qsettings.beginGroup(LEGACY_GROUP)
    keys = qsettings.childKeys()
    raw = {k: qsettings.value(k) for k in keys}
    qsettings.endGroup()
    if not keys:
        return False
    if not path.exists():
        prefs = Preferences()
        for name in ("ram_mb", "disk_mb", "autosave_s"):
            with contextlib.suppress(KeyError, TypeError, ValueError):
                setattr(prefs, name, int(raw[name]))
        for name in ("disk_dir", "device", "models_dir", "theme"):
            if raw.get(name) is not None:
                setattr(prefs, name, str(raw[name]))
        prefs.theme = _LEGACY_THEMES.get(prefs.theme, prefs.theme)
        try:
            prefs.validate()
        except ValueError as exc:
            log.warning("old preferences not moved (%s); using the defaults", exc)
            prefs = Preferences()
        try:
            prefs.save(path)
        except ValueError as exc:  # unwritable: keep the QSettings values for the next start
            log.warning("old preferences not moved: %s", exc)
            return False
        log.info("moved the preferences from QSettings into %s", path)
    qsettings.remove(LEGACY_GROUP)
    qsettings.sync()
    return True


def _folder_row(edit: QLineEdit, parent: QWidget, title: str) -> QHBoxLayout:
    browse = QPushButton("Browse…", parent)
    browse.clicked.connect(
        lambda: (
            (path := QFileDialog.getExistingDirectory(parent, title, edit.text()))
            and edit.setText(path)
        )
    )
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(browse)
    return row


class QtGeneralPage(QWidget):
    """Editors for :class:`Preferences`, with the settings file they go to."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ram = QSpinBox(self)
        self.ram.setRange(0, 1024 * 1024)
        self.ram.setSuffix(" MB")
        self.ram.setSpecialValueText("automatic (25 % of RAM)")
        self.disk = QSpinBox(self)
        self.disk.setRange(0, 16 * 1024 * 1024)
        self.disk.setSuffix(" MB")
        self.disk.setSpecialValueText("off")
        self.disk_dir = QLineEdit(self)
        self.disk_dir.setPlaceholderText("default: the user cache folder")
        self.device = QComboBox(self)
        self.device.addItems(list(DEVICES))
        self.models_dir = QLineEdit(self)
        self.models_dir.setPlaceholderText("default: the user cache's models folder")
        self.autosave = QSpinBox(self)
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.theme = QComboBox(self)
        self.theme.addItems(list(THEMES))
        self.ram.setToolTip("Applies at once: frames over a smaller budget leave RAM now")
        self.disk.setToolTip("Applies at once: frames leaving RAM go to disk; 0 turns it off")
        self.disk_dir.setToolTip(
            "A new folder is used from the next opened media (the open one keeps its files)"
        )
        self.where = QLabel(
            f"Saved in {core_settings.settings_path()} (also read by --batch). Cache sizes "
            "apply to the open media at once."
        )
        self.where.setWordWrap(True)
        self.where.setStyleSheet("color: palette(mid);")
        form = QFormLayout(self)
        form.addRow("Frame cache (RAM)", self.ram)
        form.addRow("Disk cache", self.disk)
        form.addRow("Disk cache folder", _folder_row(self.disk_dir, self, "Disk cache folder"))
        form.addRow("Device", self.device)
        form.addRow("Models folder", _folder_row(self.models_dir, self, "Models folder"))
        form.addRow("Autosave every", self.autosave)
        form.addRow("Theme", self.theme)
        form.addRow(self.where)
        self.show_prefs(prefs)

    def show_prefs(self, p: Preferences) -> None:
        self.ram.setValue(p.ram_mb)
        self.disk.setValue(p.disk_mb)
        self.disk_dir.setText(p.disk_dir)
        self.device.setCurrentText(p.device)
        self.models_dir.setText(p.models_dir)
        self.autosave.setValue(p.autosave_s)
        self.theme.setCurrentText(p.theme)

    def prefs(self) -> Preferences:
        return Preferences(
            ram_mb=self.ram.value(),
            disk_mb=self.disk.value(),
            disk_dir=self.disk_dir.text().strip(),
            device=self.device.currentText(),
            models_dir=self.models_dir.text().strip(),
            autosave_s=self.autosave.value(),
            theme=self.theme.currentText(),
        )


class QtPreferencesDialog(QDialog):
    """Edit > Preferences: a General page (settings file) and the Keyboard page (QSettings)."""

    preferences_changed = Signal(object)  # Preferences

    def __init__(
        self, registry: QtActionRegistry, settings: QSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.resize(600, 640)
        self.settings = settings
        self.general = QtGeneralPage(Preferences.load(settings), self)
        self.keyboard = QtKeyboardPage(registry, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.general, "General")
        self.tabs.addTab(self.keyboard, "Keyboard")
        self.error = QLabel("", self)
        self.error.setStyleSheet(f"color: {error_colour().name()};")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.keyboard.conflicts_changed.connect(lambda bad: ok.setEnabled(not bad))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    # the keyboard page's parts, as the shortcut tests know them
    @property
    def editors(self):
        return self.keyboard.editors

    @property
    def conflict_label(self):
        return self.keyboard.conflict_label

    def accept(self) -> None:
        """Check both pages, then write: the settings file first, then the keys (QSettings);
        when the keys cannot be written the settings file is put back, so nothing changes
        unless everything does."""
        prefs = self.general.prefs()
        try:
            prefs.validate()
        except ValueError as exc:
            self.error.setText(str(exc))
            self.tabs.setCurrentWidget(self.general)
            return
        if not self.keyboard.check():
            self.tabs.setCurrentWidget(self.keyboard)
            return
        where = core_settings.settings_path()
        before = where.read_bytes() if where.is_file() else None
        try:
            prefs.save()
        except ValueError as exc:  # an unwritable settings file: say so, keep the dialog
            self.error.setText(str(exc))
            return
        try:
            self.keyboard.apply()
        except OSError as exc:
            _put_back(where, before)
            self.error.setText(str(exc))
            self.tabs.setCurrentWidget(self.keyboard)
            return
        self.preferences_changed.emit(prefs)
        super().accept()


def _put_back(path: Path, content: bytes | None) -> None:
    """Restore a file's earlier bytes (None: it did not exist)."""
    try:
        if content is None:
            path.unlink(missing_ok=True)
        else:
            from ultimate_roto.core.exporters.atomic import write_bytes

            write_bytes(path, content)  # as save_settings writes it: never half a file
    except OSError as exc:
        log.warning("could not restore %s: %s", path, exc)
