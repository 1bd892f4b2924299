"""System dock: CPU, memory, process, frame cache and GPU figures, refreshed while visible."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import psutil
from PySide6.QtCore import QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar, QWidget

log = logging.getLogger(__name__)
GIB = 1024**3
GPU_EVERY = 3  # refresh ticks (1 s each) between two GPU readings


def gpu_summary() -> str:
    """Every GPU as 'GPU i: NAME, used/total GB used (this process …)' (core
    devices.gpu_info: NVML, or an already running torch), or why there is none. Driver calls:
    run it off the GUI thread."""
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


class _Task(QRunnable):
    """``work()`` on a pool thread; its result goes to ``deliver`` (a queued signal's emit)."""

    def __init__(self, work: Callable[[], tuple], deliver: Callable, done: threading.Event):
        super().__init__()
        self.work, self.deliver, self.done = work, deliver, done

    def run(self) -> None:  # pool thread
        try:
            result = self.work()
            with contextlib.suppress(RuntimeError):  # the panel was deleted meanwhile
                self.deliver(*result)
        except Exception:  # a driver fault must not end the pool thread's work silently
            log.exception("System panel: reading the devices failed")
        finally:
            self.done.set()


class QtSystemPanel(QWidget):
    """Live resource figures; the refresh timer runs only while the panel is shown.

    Each tick (1 s) reads CPU, memory, the process and the cache; every ``GPU_EVERY`` ticks the
    GPUs' VRAM (used/total, and this process's share when known) is read on a pool thread (no
    driver call on the GUI thread) and shown when it comes back (``gpus_read``).
    :meth:`detect_device` resolves the engines' device (torch import: on a pool thread), shows
    it with its reason and then asks for a VRAM reading (the one guarded reading: never two
    driver reads at once).
    """

    device_detected = Signal(str)
    gpus_read = Signal(str)
    _detected = Signal(str, str)
    _gpus = Signal(str)

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
        self.gpu = QLabel("—", self)  # read on a pool thread once the panel is shown
        self.gpu.setWordWrap(True)
        self.device = QLabel("engines load on the best device when first used", self)
        self.device.setWordWrap(True)
        self._detect_done = threading.Event()
        self._detect_done.set()
        self._gpu_done = threading.Event()
        self._gpu_done.set()
        self._ticks = 0
        self._shut = False  # shut_down(): no new driver reads
        queued = Qt.ConnectionType.QueuedConnection
        self._detected.connect(self._show_device, queued)
        self._gpus.connect(self._show_gpus, queued)
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

        def work() -> tuple[str, str]:
            return request, device_in_use(request)

        QThreadPool.globalInstance().start(_Task(work, self._detected.emit, self._detect_done))

    def refresh_gpu(self) -> bool:
        """Read the GPUs' VRAM on a pool thread (shown, then ``gpus_read``); False while a
        reading is still out (one at a time: a slow driver never piles readings up) or once
        the panel was shut down."""
        if self._shut or not self._gpu_done.is_set():
            return False
        self._gpu_done.clear()
        task = _Task(lambda: (gpu_summary(),), self._gpus.emit, self._gpu_done)
        QThreadPool.globalInstance().start(task)
        return True

    def wait_detection(self, timeout_s: float = 30.0) -> bool:
        """Block until a running device detection and GPU reading returned (shutdown, tests)."""
        return self._detect_done.wait(timeout_s) and self._gpu_done.wait(timeout_s)

    def shut_down(self, timeout_s: float = 30.0) -> bool:
        """Start no more driver reads (a detection finishing now asks for none), then wait
        for those out (the window's close)."""
        self._shut = True
        self.timer.stop()
        return self.wait_detection(timeout_s)

    def _show_device(self, request: str, reason: str) -> None:
        self.device.setText(f"{reason}  (preference: {request})")
        self.refresh_gpu()  # (a reading already out shows the same GPUs when it returns)
        self.device_detected.emit(reason)

    def _show_gpus(self, text: str) -> None:
        self.gpu.setText(text)
        self.gpus_read.emit(text)

    def set_cache_stats(self, fn: Callable[[], str] | None) -> None:
        """Where the cache figures come from (the open media's session), shown at once."""
        self._cache_stats = fn
        self.refresh_cache()

    def refresh_cache(self) -> None:
        """Show the cache figures now (after its budgets changed), without the other figures."""
        self.cache.setText(self._cache_stats() if self._cache_stats else "—")

    def refresh(self) -> None:
        """One tick: CPU, memory, process and cache now; the GPUs every ``GPU_EVERY`` ticks
        (the first tick included), in the background."""
        self.cpu.setValue(round(psutil.cpu_percent(None)))
        vm = psutil.virtual_memory()
        self.ram.setValue(round(vm.percent))
        self.ram.setFormat(f"{vm.used / GIB:.1f} / {vm.total / GIB:.1f} GiB")
        rss = self._proc.memory_info().rss
        self.process.setText(f"{rss / GIB:.2f} GiB, {self._proc.num_threads()} threads")
        self.refresh_cache()
        if self._ticks % GPU_EVERY == 0:
            self.refresh_gpu()
        self._ticks += 1

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.timer.stop()
        super().hideEvent(event)
