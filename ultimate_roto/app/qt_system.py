"""System dock: CPU, memory, process, frame cache and GPU figures, refreshed while visible."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil
from PySide6.QtCore import QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

GIB = 1024**3


def gpu_summary() -> str:
    """Every NVIDIA GPU as 'GPU i: NAME, used/total GB used' (core devices.gpu_info), or why
    there is none."""
    from ultimate_roto.core.engines.devices import gpu_info

    gpus = gpu_info()
    return "\n".join(g.describe() for g in gpus) if gpus else "no NVIDIA GPU (NVML not found)"


def device_in_use(request: str) -> str:
    """'cpu: no CUDA or MPS available' and the like (imports torch: call off the GUI thread)."""
    from ultimate_roto.core.engines.devices import resolve_device
    from ultimate_roto.core.errors import RotoError

    if request == "cpu":
        return "cpu: requested"
    try:
        _device, reason = resolve_device(request)
    except RotoError as exc:
        return f"{request}: {exc.message}"
    except ImportError:
        return "cpu: PyTorch is not installed (classical engines only)"
    return reason


class _Detect(QRunnable):
    def __init__(self, panel: QtSystemPanel, request: str) -> None:
        super().__init__()
        self.emit, self.request = panel._detected.emit, request
        self.done = panel._detect_done

    def run(self) -> None:  # pool thread
        try:
            self.emit(self.request, device_in_use(self.request), gpu_summary())
        finally:
            self.done.set()


class QtSystemPanel(QWidget):
    """Live resource figures; the refresh timer runs only while the panel is shown.

    :meth:`detect_device` resolves the engines' device (torch import: on a pool thread) and
    shows it with its reason next to the GPUs' VRAM.
    """

    device_detected = Signal(str)
    _detected = Signal(str, str, str)

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
        self.device = QLabel("engines load on the best device when first used", self)
        self.device.setWordWrap(True)
        self._detect_done = threading.Event()
        self._detect_done.set()
        self._detected.connect(self._show_device, Qt.ConnectionType.QueuedConnection)
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("CPU", self.cpu)
        form.addRow("Memory", self.ram)
        form.addRow("Process", self.process)
        form.addRow("Cache", self.cache)
        form.addRow("GPU", self.gpu)
        form.addRow("Device", self.device)
        self._proc = psutil.Process()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        psutil.cpu_percent(None)

    def detect_device(self, request: str) -> None:
        """Resolve ``request`` ("auto", "cpu", "cuda", "mps") in the background."""
        self.device.setText(f"{request}: checking…")
        self._detect_done.clear()
        QThreadPool.globalInstance().start(_Detect(self, request))

    def wait_detection(self, timeout_s: float = 30.0) -> bool:
        """Block until a running detection returned (shutdown, tests)."""
        return self._detect_done.wait(timeout_s)

    def _show_device(self, request: str, reason: str, gpus: str) -> None:
        self.device.setText(f"{reason}  (preference: {request})")
        self.gpu.setText(gpus)
        self.device_detected.emit(reason)

    def set_cache_stats(self, fn: Callable[[], str] | None) -> None:
        self._cache_stats = fn
        self.refresh()

    def refresh_cache(self) -> None:
        """Show the cache figures now (after its budgets changed), without the other figures."""
        self.cache.setText(self._cache_stats() if self._cache_stats else "—")

    def refresh(self) -> None:
        self.cpu.setValue(round(psutil.cpu_percent(None)))
        vm = psutil.virtual_memory()
        self.ram.setValue(round(vm.percent))
        self.ram.setFormat(f"{vm.used / GIB:.1f} / {vm.total / GIB:.1f} GiB")
        rss = self._proc.memory_info().rss
        self.process.setText(f"{rss / GIB:.2f} GiB, {self._proc.num_threads()} threads")
        self.refresh_cache()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.timer.stop()
        super().hideEvent(event)
