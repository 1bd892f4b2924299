"""System dock: CPU, memory, process, frame cache and GPU figures, refreshed while visible."""

from __future__ import annotations

from collections.abc import Callable

import psutil
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

GIB = 1024**3


def gpu_summary() -> str:
    """'NAME — used/total GiB' for the first NVIDIA GPU, or why there is none."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            name = pynvml.nvmlDeviceGetName(handle)
            mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = name.decode() if isinstance(name, bytes) else name
            return f"{name} — {mem.used / GIB:.1f}/{mem.total / GIB:.1f} GiB"
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # NVMLError_LibraryNotFound, no device, no driver
        return "no NVIDIA GPU (CPU mode)"


class QtSystemPanel(QWidget):
    """Live resource figures; the refresh timer runs only while the panel is shown."""

    def __init__(
        self, cache_stats: Callable[[], str] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._cache_stats = cache_stats
        self.cpu = QProgressBar(self)
        self.ram = QProgressBar(self)
        for bar in (self.cpu, self.ram):
            bar.setRange(0, 100)
            bar.setMaximumHeight(14)
        self.process = QLabel("—", self)
        self.cache = QLabel("—", self)
        self.gpu = QLabel(gpu_summary(), self)
        self.gpu.setWordWrap(True)
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("CPU", self.cpu)
        form.addRow("Memory", self.ram)
        form.addRow("Process", self.process)
        form.addRow("Cache", self.cache)
        form.addRow("GPU", self.gpu)
        self._proc = psutil.Process()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        psutil.cpu_percent(None)

    def set_cache_stats(self, fn: Callable[[], str] | None) -> None:
        self._cache_stats = fn
        self.refresh()

    def refresh(self) -> None:
        self.cpu.setValue(round(psutil.cpu_percent(None)))
        vm = psutil.virtual_memory()
        self.ram.setValue(round(vm.percent))
        self.ram.setFormat(f"{vm.used / GIB:.1f} / {vm.total / GIB:.1f} GiB")
        rss = self._proc.memory_info().rss
        self.process.setText(f"{rss / GIB:.2f} GiB, {self._proc.num_threads()} threads")
        self.cache.setText(self._cache_stats() if self._cache_stats else "—")

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.timer.stop()
        super().hideEvent(event)
