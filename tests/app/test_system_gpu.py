"""devices.gpu_info for the System panel: this process's VRAM through NVML, and the CUDA devices
of an already running torch when NVML is missing (never importing torch, never making a
context). Fake driver modules: no GPU is needed."""

from __future__ import annotations

import os
import sys
import types

from ultimate_roto.core.engines import devices
from ultimate_roto.core.engines.devices import GpuInfo

GB = 1024**3


class NVMLError(Exception):
    pass


def fake_pynvml(processes: list) -> types.ModuleType:
    """Two GPUs; ``processes`` (pid, bytes) run on GPU 0 only."""
    nv = types.ModuleType("pynvml")
    nv.NVMLError = NVMLError
    nv.nvmlInit = lambda: None
    nv.nvmlShutdown = lambda: None
    nv.nvmlDeviceGetCount = lambda: 2
    nv.nvmlDeviceGetHandleByIndex = lambda i: i
    nv.nvmlDeviceGetName = lambda h: f"NVIDIA H200 #{h}".encode()
    nv.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=(10 + h) * GB, total=140 * GB)

    def compute(handle):
        if handle:
            return []
        return [types.SimpleNamespace(pid=pid, usedGpuMemory=used) for pid, used in processes]

    def graphics(handle):
        raise NVMLError("not supported")

    nv.nvmlDeviceGetComputeRunningProcesses = compute
    nv.nvmlDeviceGetGraphicsRunningProcesses = graphics
    return nv


def test_nvml_reports_this_process_s_share(monkeypatch):
    me = os.getpid()
    nv = fake_pynvml([(me + 1, 5 * GB), (me, 2 * GB), (me, GB)])
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    gpus = devices.gpu_info()
    assert gpus == [
        GpuInfo(0, "NVIDIA H200 #0", 10 * GB, 140 * GB, 3 * GB),
        GpuInfo(1, "NVIDIA H200 #1", 11 * GB, 140 * GB, None),  # we run nothing there
    ]
    assert gpus[0].describe() == "GPU 0: NVIDIA H200 #0, 10.0/140.0 GB used (this process 3.0 GB)"
    assert gpus[1].describe() == "GPU 1: NVIDIA H200 #1, 11.0/140.0 GB used"


def test_a_driver_that_hides_per_process_use_gives_none(monkeypatch):
    nv = fake_pynvml([(os.getpid(), None)])  # usedGpuMemory unavailable (e.g. WDDM)
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    assert devices.gpu_info()[0].process_bytes is None


def fake_torch(initialized: bool, reserved: dict[int, int]) -> tuple[types.ModuleType, list]:
    """A torch with two CUDA devices; records the devices mem_get_info was asked about."""
    asked: list[int] = []
    cuda = types.SimpleNamespace(
        is_initialized=lambda: initialized,
        current_device=lambda: 0,
        device_count=lambda: 2,
        memory_reserved=lambda i: reserved.get(i, 0),
        get_device_name=lambda i: f"CUDA GPU {i}",
    )

    def mem_get_info(i):
        asked.append(i)
        return 100 * GB, 140 * GB

    cuda.mem_get_info = mem_get_info
    torch = types.ModuleType("torch")
    torch.cuda = cuda
    return torch, asked


def test_without_nvml_an_initialised_torch_answers(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml -> ImportError
    torch, asked = fake_torch(True, {0: 6 * GB})
    monkeypatch.setitem(sys.modules, "torch", torch)
    assert devices.gpu_info() == [GpuInfo(0, "CUDA GPU 0", 40 * GB, 140 * GB, 6 * GB)]
    assert asked == [0]  # GPU 1 has no context of ours: asking would make one


def test_without_nvml_a_torch_that_never_touched_cuda_is_not_woken(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    torch, asked = fake_torch(False, {})
    monkeypatch.setitem(sys.modules, "torch", torch)
    assert devices.gpu_info() == [] and asked == []


def test_gpu_info_never_imports_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert devices.gpu_info() == []
    assert "torch" not in sys.modules
