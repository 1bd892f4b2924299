"""Device choice, autocast, OOM back-off, memory release and NVML GPU info."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ultimate_roto.core.engines import devices
from ultimate_roto.core.errors import InputError, ProcessingError


def test_cpu_and_auto_say_why():
    dev, why = devices.resolve_device("cpu")
    assert dev.type == "cpu" and why == "cpu: requested"
    dev, why = devices.resolve_device("auto")
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")
        if dev.type == "cpu":
            assert why == "cpu: no CUDA or MPS available"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_an_input_error_with_a_hint():
    with pytest.raises(InputError) as err:
        devices.resolve_device("cuda")
    assert "not available" in err.value.message and "CUDA build" in err.value.hint


@pytest.mark.parametrize("bad", ["gpu", "cuda:x", "cpu:0", ""])
def test_unknown_device_strings(bad):
    with pytest.raises(InputError, match="unknown device"):
        devices.resolve_device(bad)


def test_cuda_reason_names_the_gpu_and_free_memory(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda i: "NVIDIA H100 80GB HBM3")
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda i: (79 * 1024**3, 80 * 1024**3))
    dev, why = devices.resolve_device("auto")
    assert str(dev) == "cuda:0" and why == "cuda:0 NVIDIA H100 80GB HBM3, 79 GB free"
    with pytest.raises(InputError, match="only 1 CUDA"):
        devices.resolve_device("cuda:3")


def test_oom_backoff_steps_down_then_succeeds():
    tried, lines = [], []

    def job(size, device):
        tried.append((size, device.type))
        if size > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return size * 10

    out = devices.run_with_oom_backoff(
        job, device=torch.device("cpu"), sizes=(8, 4, 2, 1), log=lines.append
    )
    assert out == 20 and [s for s, _ in tried] == [8, 4, 2]
    assert len(lines) == 2 and "retrying with 4" in lines[0]


def test_oom_everywhere_on_gpu_falls_back_to_cpu():
    seen = []

    def job(size, device):
        seen.append(device.type)
        if device.type != "cpu":
            raise RuntimeError("MPS backend out of memory (MPS allocated: 9 GB)")
        return "done on cpu"

    lines: list[str] = []
    fake_gpu = torch.device("meta")  # any non-CPU device: the job decides what fails
    out = devices.run_with_oom_backoff(job, device=fake_gpu, sizes=(2, 1), log=lines.append)
    assert out == "done on cpu" and seen == ["meta", "meta", "cpu"]
    assert "falling back to the CPU" in lines[-1]


def test_oom_without_fallback_is_a_processing_error_and_other_errors_pass():
    def oom(size, device):
        raise torch.cuda.OutOfMemoryError("out of memory")

    with pytest.raises(ProcessingError, match="every size"):
        devices.run_with_oom_backoff(oom, device=torch.device("cpu"), sizes=(2, 1), log=print)

    def broken(size, device):
        raise ValueError("a real bug")

    with pytest.raises(ValueError, match="a real bug"):
        devices.run_with_oom_backoff(broken, device=torch.device("cpu"), sizes=(1,))
    with pytest.raises(InputError):
        devices.run_with_oom_backoff(broken, device=torch.device("cpu"), sizes=())


def test_autocast_is_a_no_op_on_cpu_and_release_memory_runs():
    with devices.autocast(torch.device("cpu")):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32
    assert devices.preferred_dtype(torch.device("cpu")) == torch.float32
    devices.release_memory(torch.device("cpu"))


def test_gpu_info_without_a_driver_is_empty(monkeypatch):
    import pynvml

    def missing():
        raise pynvml.NVMLError_LibraryNotFound()

    monkeypatch.setattr(pynvml, "nvmlInit", missing)
    assert devices.gpu_info() == []


def test_gpu_info_reads_name_and_vram(monkeypatch):
    import pynvml

    class Mem:
        used, total = 3 * 1024**3, 80 * 1024**3

    calls = []
    monkeypatch.setattr(pynvml, "nvmlInit", lambda: None)
    monkeypatch.setattr(pynvml, "nvmlShutdown", lambda: calls.append("shutdown"))
    monkeypatch.setattr(pynvml, "nvmlDeviceGetCount", lambda: 1)
    monkeypatch.setattr(pynvml, "nvmlDeviceGetHandleByIndex", lambda i: f"h{i}")
    monkeypatch.setattr(pynvml, "nvmlDeviceGetName", lambda h: b"NVIDIA H100")
    monkeypatch.setattr(pynvml, "nvmlDeviceGetMemoryInfo", lambda h: Mem)
    (gpu,) = devices.gpu_info()
    assert gpu.name == "NVIDIA H100" and gpu.describe() == "GPU 0: NVIDIA H100, 3.0/80.0 GB used"
    assert calls == ["shutdown"]


def test_image_to_tensor_resizes_without_keeping_aspect_and_normalises():
    img = np.full((30, 60, 3), 0.485, np.float32)
    img[..., 1], img[..., 2] = 0.456 + 0.224, 0.406 - 0.5 * 0.225
    t = devices.image_to_tensor(img, (16, 24), torch.device("cpu"))
    assert t.shape == (1, 3, 16, 24) and t.dtype == torch.float32
    np.testing.assert_allclose(t[0, :, 5, 5].numpy(), [0.0, 1.0, -0.5], atol=1e-5)
