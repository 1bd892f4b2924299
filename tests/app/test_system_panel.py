"""System panel: live GPU VRAM read off the GUI thread, cache hit rate and per-kind use."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.app.conftest import small_reader
from ultimate_roto.app import qt_system
from ultimate_roto.app.qt_session import QtMediaSession
from ultimate_roto.app.qt_system import GPU_EVERY, QtSystemPanel
from ultimate_roto.core.cache import CacheKey, TieredCache
from ultimate_roto.core.engines import devices
from ultimate_roto.core.engines.devices import GpuInfo

GB = 1024**3


class FakeGpus:
    """devices.gpu_info stand-in: the GPUs to report, and the threads that asked."""

    def __init__(self, *gpus: GpuInfo) -> None:
        self.gpus, self.threads = list(gpus), []

    def __call__(self) -> list[GpuInfo]:
        self.threads.append(threading.current_thread())
        return list(self.gpus)


@pytest.fixture
def fake_gpus(monkeypatch):
    fake = FakeGpus(GpuInfo(0, "NVIDIA H200", 3 * GB, 140 * GB, GB // 2))
    monkeypatch.setattr(devices, "gpu_info", fake)
    return fake


@pytest.fixture
def panel(qtbot):
    widget = QtSystemPanel()
    qtbot.addWidget(widget, before_close_func=lambda w: w.wait_detection(5))
    return widget


def test_the_gpu_is_never_read_on_the_gui_thread(qtbot, fake_gpus, panel):
    assert fake_gpus.threads == []  # building the panel asks no driver
    with qtbot.waitSignal(panel.gpus_read, timeout=5000):
        panel.refresh()
    assert fake_gpus.threads and threading.main_thread() not in fake_gpus.threads
    assert panel.gpu.text() == "GPU 0: NVIDIA H200, 3.0/140.0 GB used (this process 0.5 GB)"


def test_vram_follows_every_few_ticks(qtbot, fake_gpus, panel):
    with qtbot.waitSignal(panel.gpus_read, timeout=5000):
        panel.refresh()
    fake_gpus.gpus = [
        GpuInfo(0, "NVIDIA H200", 90 * GB, 140 * GB, 80 * GB),
        GpuInfo(1, "NVIDIA H200", 1 * GB, 140 * GB),
    ]
    for _ in range(GPU_EVERY - 1):  # the ticks between two readings ask nothing
        panel.refresh()
    assert panel.wait_detection(5) and len(fake_gpus.threads) == 1
    with qtbot.waitSignal(panel.gpus_read, timeout=5000):
        panel.refresh()
    assert panel.gpu.text().splitlines() == [
        "GPU 0: NVIDIA H200, 90.0/140.0 GB used (this process 80.0 GB)",
        "GPU 1: NVIDIA H200, 1.0/140.0 GB used",
    ]


def test_the_shown_panel_keeps_the_vram_live_from_its_timer(qtbot, fake_gpus, panel):
    panel.timer.setInterval(20)
    panel.show()
    qtbot.waitUntil(lambda: "3.0/140.0 GB" in panel.gpu.text(), timeout=5000)
    fake_gpus.gpus = [GpuInfo(0, "NVIDIA H200", 70 * GB, 140 * GB, 64 * GB)]
    qtbot.waitUntil(lambda: "70.0/140.0 GB" in panel.gpu.text(), timeout=5000)
    assert "this process 64.0 GB" in panel.gpu.text()
    panel.hide()
    assert not panel.timer.isActive()


def test_one_reading_at_a_time(qtbot, monkeypatch, panel):
    release = threading.Event()

    def slow_driver():
        release.wait(5)
        return []

    monkeypatch.setattr(devices, "gpu_info", slow_driver)
    assert panel.refresh_gpu()
    assert not panel.refresh_gpu()  # the first is still out: no pile-up behind a slow driver
    with qtbot.waitSignal(panel.gpus_read, timeout=5000):
        release.set()
    assert panel.gpu.text() == "no NVIDIA GPU (NVML not found)"
    assert panel.wait_detection(5)  # the reading is done once its thread returns
    assert panel.refresh_gpu() and panel.wait_detection(5)


def test_device_detection_shows_the_gpus_through_the_one_guarded_reading(
    qtbot, monkeypatch, panel
):
    """Detecting the device while a VRAM reading is out asks the driver no second time at
    once: the detection's GPU line comes from the guarded reading."""
    release, inside, most = threading.Event(), [], []

    def slow_driver():
        inside.append(1)
        most.append(len(inside))
        release.wait(5)
        inside.pop()
        return [GpuInfo(0, "NVIDIA H200", 3 * GB, 140 * GB)]

    monkeypatch.setattr(devices, "gpu_info", slow_driver)
    assert panel.refresh_gpu()  # a timer tick's reading is out …
    with qtbot.waitSignal(panel.device_detected, timeout=10000):
        panel.detect_device("cpu")  # … when the device is detected
    assert panel.device.text().startswith("CPU") or "cpu" in panel.device.text()
    with qtbot.waitSignal(panel.gpus_read, timeout=5000):
        release.set()
    assert panel.wait_detection(5)
    assert max(most) == 1  # never two driver reads at once
    assert panel.gpu.text() == "GPU 0: NVIDIA H200, 3.0/140.0 GB used"


def test_the_window_s_system_dock_reads_the_gpu_when_shown(qtbot, fake_gpus, main_window):
    main_window.docks["system"].raise_()
    qtbot.waitUntil(lambda: "NVIDIA H200" in main_window.system.gpu.text(), timeout=5000)
    assert threading.main_thread() not in fake_gpus.threads


def test_a_failing_driver_is_logged_and_the_panel_keeps_going(qtbot, monkeypatch, panel, caplog):
    def broken():
        raise OSError("driver fault")

    monkeypatch.setattr(devices, "gpu_info", broken)
    assert panel.refresh_gpu() and panel.wait_detection(5)
    assert "reading the devices failed" in caplog.text
    assert panel.refresh_gpu() and panel.wait_detection(5)  # not stuck "out"


# -- cache ---------------------------------------------------------------------------------
@pytest.fixture
def media(qapp):
    session = QtMediaSession(small_reader(6), cache=TieredCache(1024**3))
    yield session
    session.close()


def test_a_miss_then_a_hit_moves_the_hit_rate(media, panel):
    panel.set_cache_stats(media.cache_summary)
    assert panel.cache.text().splitlines()[1] == "hit rate 0% of 0 lookups"
    media.read_now(2)  # a miss: read and cached
    panel.refresh_cache()
    assert panel.cache.text().splitlines() == ["1 frames, 0/1024 MiB", "hit rate 0% of 1 lookups"]
    media.read_now(2)  # a hit
    panel.refresh_cache()
    assert panel.cache.text().splitlines()[1] == "hit rate 50% of 2 lookups"
    media.read_now(2)
    panel.refresh_cache()
    assert panel.cache.text().splitlines()[1] == "hit rate 67% of 3 lookups"


def test_other_kinds_get_a_line_each(media):
    media.read_now(0)
    assert len(media.cache_summary().splitlines()) == 2  # frames only: no per-kind lines
    mask = np.zeros((256, 1024, 4), np.uint8)  # 1 MiB
    media.cache.put(CacheKey("shot", 0, "mask", ("v1",)), mask)
    media.cache.get(CacheKey("shot", 0, "mask", ("v1",)))
    media.cache.get(CacheKey("shot", 1, "mask", ("v1",)))
    lines = media.cache_summary().splitlines()
    assert lines[2:] == [
        "frame: 1 in RAM 0 MiB, hit rate 0%",
        "mask: 1 in RAM 1 MiB, hit rate 50%",
    ]


def test_gpu_summary_says_why_there_is_no_gpu(monkeypatch):
    monkeypatch.setattr(devices, "gpu_info", lambda: [])
    assert qt_system.gpu_summary() == "no NVIDIA GPU (NVML not found)"


def test_a_detection_ending_at_shutdown_starts_no_driver_read(qtbot, fake_gpus, monkeypatch):
    """The window's close shuts the panel down: a detection that ends meanwhile (its result
    delivered by the close's last event processing) asks the driver for nothing more."""
    gate = threading.Event()

    def slow_detection(request: str) -> str:
        gate.wait(5)
        return "cpu: test"

    monkeypatch.setattr(qt_system, "device_in_use", slow_detection)
    panel = QtSystemPanel()
    panel.detect_device("auto")
    gate.set()
    assert panel.shut_down(5)
    qtbot.wait(50)  # (the queued result arrives)
    assert panel.device.text().startswith("cpu: test")
    assert fake_gpus.threads == [] and panel.wait_detection(1)
    panel.deleteLater()
