"""Preferences: cache budgets, device, models folder, autosave, theme (QSettings) and key bindings."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.qt_shortcuts import QtActionRegistry, QtKeyboardPage

GROUP = "preferences"
DEVICES = ("auto", "cpu", "cuda", "mps")
THEMES = ("dark", "system")


@dataclass
class Preferences:
    """User preferences (QSettings group ``preferences``); 0 MB disk = no disk cache tier."""

    ram_mb: int = 4096
    disk_mb: int = 0
    disk_dir: str = ""
    device: str = "auto"
    models_dir: str = ""
    autosave_s: int = 120
    theme: str = "dark"

    def validate(self) -> None:
        if self.device not in DEVICES:
            raise ValueError(f"device '{self.device}' is not one of {DEVICES}")
        if self.theme not in THEMES:
            raise ValueError(f"theme '{self.theme}' is not one of {THEMES}")
        if self.ram_mb < 64 or self.disk_mb < 0 or self.autosave_s < 0:
            raise ValueError("cache sizes and the autosave interval must not be negative")

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """Stored values over the defaults; unreadable entries fall back to their default."""
        prefs = cls()
        for f in fields(cls):
            raw = settings.value(f"{GROUP}/{f.name}")
            if raw is None:
                continue
            try:
                value = int(raw) if f.type in ("int", int) else str(raw)
            except (TypeError, ValueError):
                continue
            setattr(prefs, f.name, value)
        try:
            prefs.validate()
        except ValueError:
            return cls()
        return prefs

    def save(self, settings: QSettings) -> None:
        self.validate()
        for key, value in asdict(self).items():
            settings.setValue(f"{GROUP}/{key}", value)
        settings.sync()

    def cache_settings(self) -> dict[str, object]:
        """core.cache.settings form (``budgets_from_settings``)."""
        out: dict[str, object] = {"ram_mb": self.ram_mb, "disk_mb": self.disk_mb}
        if self.disk_mb and self.disk_dir:
            out["disk_dir"] = self.disk_dir
        return out


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
    """Editors for :class:`Preferences`."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ram = QSpinBox(self)
        self.ram.setRange(64, 1024 * 1024)
        self.ram.setSuffix(" MB")
        self.disk = QSpinBox(self)
        self.disk.setRange(0, 16 * 1024 * 1024)
        self.disk.setSuffix(" MB")
        self.disk.setSpecialValueText("off")
        self.disk_dir = QLineEdit(self)
        self.disk_dir.setPlaceholderText("default: the user cache folder")
        self.device = QComboBox(self)
        self.device.addItems(list(DEVICES))
        self.models_dir = QLineEdit(self)
        self.models_dir.setPlaceholderText("default: the Hugging Face cache")
        self.autosave = QSpinBox(self)
        self.autosave.setRange(0, 3600)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("off")
        self.theme = QComboBox(self)
        self.theme.addItems(list(THEMES))
        form = QFormLayout(self)
        form.addRow("Frame cache (RAM)", self.ram)
        form.addRow("Disk cache", self.disk)
        form.addRow("Disk cache folder", _folder_row(self.disk_dir, self, "Disk cache folder"))
        form.addRow("Device", self.device)
        form.addRow("Models folder", _folder_row(self.models_dir, self, "Models folder"))
        form.addRow("Autosave every", self.autosave)
        form.addRow("Theme", self.theme)
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
    """Edit > Preferences: a General page and the Keyboard page; OK saves both."""

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
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.keyboard.conflicts_changed.connect(lambda bad: ok.setEnabled(not bad))
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)

    # the keyboard page's parts, as the shortcut tests know them
    @property
    def editors(self):
        return self.keyboard.editors

    @property
    def conflict_label(self):
        return self.keyboard.conflict_label

    def accept(self) -> None:
        if not self.keyboard.apply():
            self.tabs.setCurrentWidget(self.keyboard)
            return
        prefs = self.general.prefs()
        prefs.save(self.settings)
        self.preferences_changed.emit(prefs)
        super().accept()
