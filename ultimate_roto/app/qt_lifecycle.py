"""App lifecycle: SIGTERM/SIGINT close the window cleanly (no polling timer) and macOS
file-open events open files while the app runs."""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QSocketNotifier, Signal

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class QtSignalBridge(QObject):
    """Unix signals → a Qt signal, without a QTimer.

    Python runs signal handlers only when the interpreter gets control, which a Qt event loop
    waiting in C++ never gives it. ``signal.set_wakeup_fd`` makes the C-level handler write
    the signal number into a socket; a :class:`QSocketNotifier` on the other end wakes the
    event loop, and :attr:`received` is emitted on the GUI thread. Construct it on the main
    thread; :meth:`close` restores the previous handlers.
    """

    received = Signal(int)

    def __init__(self, signals: Sequence[int] = SIGNALS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read, self._write = socket.socketpair()
        for sock in (self._read, self._write):
            sock.setblocking(False)
        self._old_fd = signal.set_wakeup_fd(self._write.fileno(), warn_on_full_buffer=False)
        self._old = {s: signal.signal(s, _noop) for s in signals}
        self.notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        try:
            data = self._read.recv(64)
        except (BlockingIOError, OSError):
            return
        for number in data:
            if number in self._old:
                log.info("received %s: closing", signal.Signals(number).name)
                self.received.emit(number)

    def close(self) -> None:
        """Give the signals back to their previous handlers."""
        if self._read is None:
            return
        self.notifier.setEnabled(False)
        signal.set_wakeup_fd(self._old_fd)
        for number, handler in self._old.items():
            signal.signal(number, handler)
        self._read.close()
        self._write.close()
        self._read = None


def _noop(_signum: int, _frame: object) -> None:
    """The Python-level handler: the wakeup fd does the work (see :class:`QtSignalBridge`)."""


class QtFileOpenFilter(QObject):
    """Application event filter: ``QFileOpenEvent`` (macOS Finder, Dock) → ``open_file(path)``."""

    def __init__(self, open_file: Callable[[str], object], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open = open_file

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.FileOpen:
            path = event.file() or event.url().toLocalFile()
            if path:
                log.info("file-open event: %s", path)
                self._open(path)
                return True
        return super().eventFilter(watched, event)
