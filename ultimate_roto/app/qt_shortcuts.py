"""Action registry with rebindable keys (saved in QSettings), the shortcut list and preferences."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.keymap import MOUSE_BINDINGS, Keymap
from ultimate_roto.app.qt_theme import error_colour

SETTINGS_GROUP = "shortcuts"


class QtActionRegistry(QObject):
    """One QAction per keymap entry, attached to a window; rebinding updates them live."""

    bindings_changed = Signal()

    def __init__(self, window: QWidget, settings: QSettings, keymap: Keymap | None = None) -> None:
        super().__init__(window)
        self.keymap = keymap or Keymap()
        self._settings = settings
        self.actions: dict[str, QAction] = {}
        for spec in self.keymap.actions.values():
            action = QAction(spec.label, window)
            action.setObjectName(spec.id)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setAutoRepeat(spec.repeat)
            window.addAction(action)
            self.actions[spec.id] = action
        self._load()
        self._apply()

    def action(self, action_id: str) -> QAction:
        return self.actions[action_id]

    def connect(self, action_id: str, slot) -> QAction:  # noqa: A003 (reads naturally)
        action = self.actions[action_id]
        action.triggered.connect(slot)
        return action

    def trial(self, keys: dict[str, str]) -> Keymap:
        """The keymap these keys would give; raises ValueError naming the clashes."""
        trial = Keymap(tuple(self.keymap.actions.values()))
        trial.load(self.keymap.overrides())
        for action_id, key in keys.items():
            trial.bind(action_id, key)
        clashes = trial.conflicts()
        if clashes:
            text = "; ".join(f"{k}: {', '.join(ids)}" for k, ids in clashes.items())
            raise ValueError(f"shortcut conflicts: {text}")
        return trial

    def apply_bindings(self, keys: dict[str, str]) -> None:
        """Set several keys at once and save them.

        Raises ValueError naming the clashes, or OSError when the settings cannot be written;
        either way nothing changes (the saved keys are put back).
        """
        trial, old = self.trial(keys), self.keymap
        self.keymap = trial
        if not self._save():
            self.keymap = old
            self._save()
            raise OSError(f"cannot write the key bindings to {self._settings.fileName()}")
        self._apply()

    def reset_all(self) -> None:
        self.keymap.reset()
        self._save()
        self._apply()

    def _apply(self) -> None:
        for action_id, action in self.actions.items():
            action.setShortcut(QKeySequence(self.keymap.key(action_id)))
        self.bindings_changed.emit()

    def _load(self) -> None:
        self._settings.beginGroup(SETTINGS_GROUP)
        saved = {
            k.replace("/", "."): str(self._settings.value(k)) for k in self._settings.childKeys()
        }
        self._settings.endGroup()
        self.keymap.load(saved)
        if self.keymap.conflicts():  # a hand-edited settings file: fall back to the defaults
            self.keymap.reset()

    def _save(self) -> bool:
        """Write the overrides and flush them; False when the settings file is unwritable."""
        self._settings.remove(SETTINGS_GROUP)
        self._settings.beginGroup(SETTINGS_GROUP)
        for action_id, key in self.keymap.overrides().items():
            self._settings.setValue(action_id, key)
        self._settings.endGroup()
        self._settings.sync()
        return self._settings.status() == QSettings.Status.NoError


def _table(rows: int, headers: list[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(rows, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().setVisible(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


class QtShortcutsDialog(QDialog):
    """Help > Keyboard Shortcuts: every action with its current key, then the mouse gestures
    (fixed, not rebindable), filterable."""

    def __init__(self, registry: QtActionRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(560, 620)
        specs = sorted(registry.keymap.actions.values(), key=lambda s: (s.group, s.label))
        rows = [(spec.group, spec.label, _native(registry.keymap.key(spec.id))) for spec in specs]
        self.key_rows = len(rows)
        rows += [(f"Mouse: {group}", what, gesture) for group, what, gesture in MOUSE_BINDINGS]
        self.table = _table(len(rows), ["Group", "Action", "Key"], self)
        for row, texts in enumerate(rows):
            for col, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if row >= self.key_rows:  # a fixed gesture: shown, never edited
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    item.setToolTip("Mouse gesture (not rebindable)")
                self.table.setItem(row, col, item)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        note = QLabel("Keys are rebound in Edit > Preferences > Keyboard.", self)
        note.setObjectName("dimLabel")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str, str]]:
        """(group, action, key) of every row, as shown."""
        return [
            tuple(self.table.item(r, c).text() for c in range(3))  # type: ignore[misc]
            for r in range(self.table.rowCount())
        ]

    def _filter(self, text: str) -> None:
        needle = text.lower()
        for row in range(self.table.rowCount()):
            cells = " ".join(self.table.item(row, c).text().lower() for c in range(3))
            self.table.setRowHidden(row, needle not in cells)


def _native(key: str) -> str:
    return QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)


class QtKeyboardPage(QWidget):
    """Preferences page: rebind keys; conflicts are highlighted and reported."""

    conflicts_changed = Signal(bool)  # True while some key is bound twice

    def __init__(self, registry: QtActionRegistry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.registry = registry
        self.specs = sorted(registry.keymap.actions.values(), key=lambda s: (s.group, s.label))
        self.table = _table(len(self.specs), ["Group", "Action", "Key"], self)
        self.editors: dict[str, QKeySequenceEdit] = {}
        for row, spec in enumerate(self.specs):
            self.table.setItem(row, 0, QTableWidgetItem(spec.group))
            self.table.setItem(row, 1, QTableWidgetItem(spec.label))
            edit = QKeySequenceEdit(QKeySequence(registry.keymap.key(spec.id)), self)
            edit.setMaximumSequenceLength(1)
            edit.setClearButtonEnabled(True)  # a key can be unbound
            edit.keySequenceChanged.connect(self.check)
            self.table.setCellWidget(row, 2, edit)
            self.editors[spec.id] = edit
        self.conflict_label = QLabel("", self)
        self.conflict_label.setStyleSheet(f"color: {error_colour().name()};")
        self.conflict_label.setWordWrap(True)
        reset = QPushButton("Restore default keys", self)
        reset.clicked.connect(self._restore_defaults)
        row = QHBoxLayout()
        row.addWidget(reset)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.conflict_label)
        layout.addLayout(row)

    def keys(self) -> dict[str, str]:
        return {
            i: e.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            for i, e in self.editors.items()
        }

    def conflicts(self) -> dict[str, list[str]]:
        trial = Keymap(tuple(self.registry.keymap.actions.values()))
        for action_id, key in self.keys().items():
            trial.bind(action_id, key)
        return trial.conflicts()

    def check(self) -> bool:
        """Highlight clashes; returns True when there are none."""
        clashes = self.conflicts()
        bad = {i for ids in clashes.values() for i in ids}
        error = QBrush(error_colour())
        for row, spec in enumerate(self.specs):  # the palette's text colour unless a clash
            self.table.item(row, 1).setData(
                Qt.ItemDataRole.ForegroundRole, error if spec.id in bad else None
            )
        labels = self.registry.keymap.actions
        self.conflict_label.setText(
            "\n".join(
                f"“{key}” is bound to " + " and ".join(labels[i].label for i in ids)
                for key, ids in clashes.items()
            )
        )
        self.conflicts_changed.emit(bool(clashes))
        return not clashes

    def _restore_defaults(self) -> None:
        for spec in self.specs:
            self.editors[spec.id].setKeySequence(QKeySequence(spec.default))
        self.check()

    def apply(self) -> bool:
        """Rebind (False on a clash); OSError when the settings cannot be written."""
        if not self.check():
            return False
        self.registry.apply_bindings(self.keys())
        return True
