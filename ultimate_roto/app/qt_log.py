"""Log / Jobs dock: Python logging shown live (thread-safe via a queued signal) and job progress."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QTextCharFormat
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

LEVELS = {
    "Debug": logging.DEBUG,
    "Info": logging.INFO,
    "Warning": logging.WARNING,
    "Error": logging.ERROR,
}
_COLOURS = {
    logging.DEBUG: QColor(120, 122, 128),
    logging.INFO: QColor(190, 192, 198),
    logging.WARNING: QColor(240, 180, 60),
    logging.ERROR: QColor(255, 100, 100),
}


class QtLogSignals(QObject):
    record_emitted = Signal(int, str)


class QtLogBridge(logging.Handler):
    """A logging handler that hands records to the GUI thread through a queued signal."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.signals = QtLogSignals()
        self.record_emitted = self.signals.record_emitted
        self.setFormatter(
            logging.Formatter("%(asctime)s  %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )

    def emit(self, record: logging.LogRecord) -> None:  # logging.Handler API
        with contextlib.suppress(RuntimeError):  # the Qt side is gone during shutdown
            self.record_emitted.emit(record.levelno, self.format(record))


class QtLogPanel(QTabWidget):
    """Tabs: Log (level filter, clear) and Jobs (name, state, progress)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: list[tuple[int, str]] = []
        log_page = QWidget(self)
        self.view = QPlainTextEdit(log_page)
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(5000)
        self.level = QComboBox(log_page)
        self.level.addItems(list(LEVELS))
        self.level.setCurrentText("Info")
        self.level.currentTextChanged.connect(self._refilter)
        clear = QPushButton("Clear", log_page)
        clear.clicked.connect(self.clear_log)
        bar = QHBoxLayout()
        bar.addWidget(self.level)
        bar.addStretch(1)
        bar.addWidget(clear)
        layout = QVBoxLayout(log_page)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        self.jobs = QTreeWidget(self)
        self.jobs.setHeaderLabels(["Job", "State", "Progress", "Time", ""])
        self.jobs.setRootIsDecorated(False)
        self.jobs.setColumnWidth(0, 380)
        self._jobs: dict[str, tuple[QTreeWidgetItem, QProgressBar, float, QPushButton | None]] = {}
        self._cancellable: dict[str, bool] = {}
        self.addTab(log_page, "Log")
        self.addTab(self.jobs, "Jobs")
        self.bridge = QtLogBridge()
        self.bridge.record_emitted.connect(self.append, Qt.ConnectionType.QueuedConnection)

    def append(self, level: int, text: str) -> None:
        self.records.append((level, text))
        if level >= LEVELS[self.level.currentText()]:
            self._write(level, text)

    def _write(self, level: int, text: str) -> None:
        fmt = QTextCharFormat()
        fmt.setForeground(_COLOURS.get(level, _COLOURS[logging.ERROR]))
        cursor = self.view.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(text + "\n", fmt)
        self.view.setTextCursor(cursor)

    def _refilter(self) -> None:
        self.view.clear()
        threshold = LEVELS[self.level.currentText()]
        for level, text in self.records:
            if level >= threshold:
                self._write(level, text)

    def clear_log(self) -> None:
        self.records.clear()
        self.view.clear()

    def visible_text(self) -> str:
        return self.view.toPlainText()

    # -- jobs ------------------------------------------------------------------------------
    def job_started(
        self,
        job_id: str,
        name: str,
        cancel: Callable[[], None] | None = None,
        *,
        cancellable: bool = True,
        state: str = "running",
    ) -> None:
        """Add a row; with ``cancel`` the row gets a Cancel button (Progress.abort).

        ``cancellable=False``: the work never checks for cancel (a download, a hash), so the
        button works only while the job is queued (see :meth:`job_running`)."""
        item = QTreeWidgetItem([name, state, "", "", ""])
        self.jobs.insertTopLevelItem(0, item)
        bar = QProgressBar(self.jobs)
        bar.setRange(0, 100)
        bar.setMaximumHeight(14)
        self.jobs.setItemWidget(item, 2, bar)
        button: QPushButton | None = None
        if cancel is not None:
            button = QPushButton("Cancel", self.jobs)
            button.setObjectName(f"cancel_{job_id}")
            button.setMaximumHeight(18)
            button.clicked.connect(cancel)
            button.clicked.connect(lambda: self._cancelling(job_id))
            self.jobs.setItemWidget(item, 4, button)
        self._jobs[job_id] = (item, bar, time.monotonic(), button)
        self._cancellable[job_id] = cancellable

    def job_running(self, job_id: str) -> None:
        """A queued job started on the pool; one that cannot stop half-way loses its Cancel."""
        if job_id not in self._jobs:
            return
        item, _bar, _t, button = self._jobs[job_id]
        if item.text(1) == "queued":
            item.setText(1, "running")
        if button is not None and not self._cancellable.get(job_id, True):
            button.setEnabled(False)
            button.setToolTip("this step cannot be interrupted once it has started")

    def _cancelling(self, job_id: str) -> None:
        if job_id in self._jobs:
            item, _bar, _t, button = self._jobs[job_id]
            item.setText(1, "cancelling…")
            if button is not None:
                button.setEnabled(False)

    def cancel_button(self, job_id: str) -> QPushButton | None:
        entry = self._jobs.get(job_id)
        return entry[3] if entry else None

    def job_progress(
        self, job_id: str, fraction: float, message: str = "", eta_s: float = -1.0
    ) -> None:
        if job_id not in self._jobs:
            return
        item, bar, _started, _button = self._jobs[job_id]
        bar.setValue(round(100 * max(0.0, min(1.0, fraction))))
        if eta_s >= 0:
            item.setText(3, f"ETA {eta_s:.0f} s")
        if message:
            item.setToolTip(0, message)

    def job_finished(self, job_id: str, state: str = "done", message: str = "") -> None:
        if job_id in self._jobs:
            item, bar, started, button = self._jobs.pop(job_id)
            self._cancellable.pop(job_id, None)
            item.setText(1, state)
            item.setText(3, f"{time.monotonic() - started:.1f} s")
            if message:
                item.setToolTip(0, message)
            bar.setValue(100 if state == "done" else bar.value())
            if button is not None:
                self.jobs.removeItemWidget(item, 4)

    def job_state(self, row: int) -> str:
        return self.jobs.topLevelItem(row).text(1)
