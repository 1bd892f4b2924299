"""Log / Jobs dock: Python logging shown live (thread-safe via a queued signal) and job progress."""

from __future__ import annotations

import contextlib
import logging
import time

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
        self.jobs.setHeaderLabels(["Job", "State", "Progress", "Time"])
        self.jobs.setRootIsDecorated(False)
        self._jobs: dict[str, tuple[QTreeWidgetItem, QProgressBar, float]] = {}
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
    def job_started(self, job_id: str, name: str) -> None:
        item = QTreeWidgetItem([name, "running", "", ""])
        self.jobs.insertTopLevelItem(0, item)
        bar = QProgressBar(self.jobs)
        bar.setRange(0, 100)
        bar.setMaximumHeight(14)
        self.jobs.setItemWidget(item, 2, bar)
        self._jobs[job_id] = (item, bar, time.monotonic())

    def job_progress(self, job_id: str, fraction: float) -> None:
        if job_id in self._jobs:
            self._jobs[job_id][1].setValue(round(100 * max(0.0, min(1.0, fraction))))

    def job_finished(self, job_id: str, state: str = "done") -> None:
        if job_id in self._jobs:
            item, bar, started = self._jobs.pop(job_id)
            item.setText(1, state)
            item.setText(3, f"{time.monotonic() - started:.1f} s")
            bar.setValue(100 if state == "done" else bar.value())

    def job_state(self, row: int) -> str:
        return self.jobs.topLevelItem(row).text(1)
