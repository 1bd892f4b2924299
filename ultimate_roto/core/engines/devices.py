"""Compute devices for ML engines: choice with a stated reason, autocast, OOM back-off, GPU info.

* :func:`resolve_device` turns ``"auto" | "cpu" | "cuda" | "cuda:N" | "mps"`` into a
  ``torch.device`` and one line saying why (``"cuda:0 NVIDIA H100 80GB HBM3, 79 GB free"``,
  ``"cpu: no CUDA or MPS available"``).
* :func:`autocast` gives fp16/bf16 autocast on CUDA and a no-op elsewhere.
* :func:`run_with_oom_backoff` retries a job with smaller batches/tiles after a GPU
  out-of-memory error, then on the CPU, logging each step, instead of crashing.
* :func:`release_memory` frees what a finished job left behind (``gc`` + CUDA cache).
* :func:`gpu_info` reads name and VRAM use (all processes and ours) through NVML
  (``nvidia-ml-py``) for the System panel, or through torch when an engine already runs CUDA
  without NVML; it returns an empty list on machines without a GPU.

torch is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ultimate_roto.core.errors import InputError, ProcessingError

_log = logging.getLogger(__name__)
T = TypeVar("T")
REQUESTS = ("auto", "cpu", "cuda", "mps")
_GB = 1024**3


def resolve_device(request: str = "auto") -> tuple[Any, str]:
    """Choose a torch device and say why.

    Parameters
    ----------
    request
        ``"auto"`` (CUDA, else MPS, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Returns
    -------
    (torch.device, str)
        The device and a one-line reason for logs and the GUI.

    Raises
    ------
    InputError
        An unknown request, or CUDA/MPS requested where it is not available (with a hint).
    """
    import torch

    req = str(request).strip().lower()
    kind, _, index = req.partition(":")
    if kind not in REQUESTS or (index and (kind != "cuda" or not index.isdigit())):
        raise InputError(f"unknown device '{request}'", hint="use auto, cpu, cuda, cuda:N or mps")
    if kind == "cpu":
        return torch.device("cpu"), "cpu: requested"
    if kind in ("auto", "cuda") and torch.cuda.is_available():
        n = int(index or 0)
        if n >= torch.cuda.device_count():
            raise InputError(
                f"device '{request}': only {torch.cuda.device_count()} CUDA device(s) found",
                hint="use cuda:0 … cuda:N-1, or auto",
            )
        return torch.device("cuda", n), _cuda_reason(n)
    if kind in ("auto", "mps") and _mps_available():
        return torch.device("mps"), "mps: Apple Metal GPU"
    if kind == "auto":
        return torch.device("cpu"), "cpu: no CUDA or MPS available"
    raise InputError(
        f"device '{request}' is not available: {_why_no_gpu(kind)}",
        hint="use --device auto or cpu, or install a CUDA build of PyTorch "
        "(https://pytorch.org/get-started/locally/) and an NVIDIA driver",
    )


def _mps_available() -> bool:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _why_no_gpu(kind: str) -> str:
    import torch

    if kind == "mps":
        return "this PyTorch build or machine has no Apple Metal (MPS) support"
    if torch.version.cuda is None:
        return f"PyTorch {torch.__version__} is a CPU-only build"
    return "no NVIDIA GPU/driver was found"


def _cuda_reason(index: int) -> str:
    import torch

    name = torch.cuda.get_device_name(index)
    try:
        free, _total = torch.cuda.mem_get_info(index)
    except RuntimeError:  # some drivers refuse before a context exists
        return f"cuda:{index} {name}"
    return f"cuda:{index} {name}, {free / _GB:.0f} GB free"


def preferred_dtype(device: Any) -> Any:
    """The half-precision dtype for autocast on ``device``: bf16 where supported, else fp16.

    Returns ``torch.float32`` for CPU and MPS (no autocast there).
    """
    import torch

    if getattr(device, "type", str(device)) != "cuda":
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


@contextlib.contextmanager
def autocast(device: Any, enabled: bool = True) -> Iterator[None]:
    """fp16/bf16 autocast on CUDA (see :func:`preferred_dtype`); a no-op on CPU and MPS."""
    import torch

    if not enabled or getattr(device, "type", str(device)) != "cuda":
        yield
        return
    with torch.autocast("cuda", dtype=preferred_dtype(device)):
        yield


def is_oom(exc: BaseException) -> bool:
    """Whether ``exc`` is a GPU out-of-memory error (CUDA or MPS)."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def run_with_oom_backoff(
    fn: Callable[[Any, Any], T],
    *,
    device: Any,
    sizes: Sequence[Any] = (None,),
    cpu_fallback: bool = True,
    log: Callable[[str], None] | None = None,
) -> T:
    """Run ``fn(size, device)``, stepping down ``sizes`` and then to the CPU on GPU OOM.

    Parameters
    ----------
    fn
        The job; ``size`` is a batch size, tile size or anything the job understands.
    device
        The device to try first.
    sizes
        Sizes to try in order, largest first (e.g. ``(8, 4, 2, 1)`` or tile sides).
    cpu_fallback
        After the last size fails with OOM on a GPU, run once more on the CPU with the
        smallest size.
    log
        Receives one line per step (default: this module's logger, WARNING).

    Raises
    ------
    ProcessingError
        Every size (and the CPU, if allowed) ran out of memory.
    """
    import torch

    say = log or _log.warning
    if not sizes:
        raise InputError("run_with_oom_backoff: no sizes to try", hint="pass sizes=(n, …)")
    last: BaseException | None = None
    for i, size in enumerate(sizes):
        try:
            return fn(size, device)
        except Exception as exc:
            if not is_oom(exc):
                raise
            last = exc
            nxt = f"retrying with {sizes[i + 1]}" if i + 1 < len(sizes) else "no smaller size"
            say(f"out of GPU memory on {device} with size {size}: {nxt}")
            release_memory(device)
    cpu = torch.device("cpu")
    if cpu_fallback and getattr(device, "type", str(device)) != "cpu":
        say(f"out of GPU memory on {device} at every size: falling back to the CPU (slower)")
        return fn(sizes[-1], cpu)
    raise ProcessingError(
        f"out of memory on {device} at every size tried ({', '.join(map(str, sizes))})",
        hint="close other GPU programs, use a smaller model, or run on the CPU",
    ) from last


def release_memory(device: Any = None) -> None:
    """Free memory a finished job left behind: ``gc.collect()`` and the CUDA/MPS caches."""
    gc.collect()
    import torch

    kind = getattr(device, "type", str(device) if device is not None else "")
    if torch.cuda.is_available() and kind in ("", "None", "cuda"):
        torch.cuda.empty_cache()
    if kind == "mps" and _mps_available():
        torch.mps.empty_cache()


@dataclass(frozen=True)
class GpuInfo:
    """One GPU as NVML (or an already running CUDA runtime) reports it.

    Parameters
    ----------
    index
        NVML device index (the CUDA index when read through torch).
    name
        Marketing name, e.g. ``"NVIDIA H100 80GB HBM3"``.
    used_bytes, total_bytes
        VRAM in use (all processes) and in total.
    process_bytes
        VRAM this process holds, or None when that is not known (NVML cannot see our
        process, e.g. in a container's PID namespace, or the driver does not say).
    """

    index: int
    name: str
    used_bytes: int
    total_bytes: int
    process_bytes: int | None = None

    def describe(self) -> str:
        """``"GPU 0: NVIDIA H100 80GB HBM3, 3.1/79.6 GB used (this process 1.2 GB)"``."""
        text = (
            f"GPU {self.index}: {self.name}, "
            f"{self.used_bytes / _GB:.1f}/{self.total_bytes / _GB:.1f} GB used"
        )
        if self.process_bytes is not None:
            text += f" (this process {self.process_bytes / _GB:.1f} GB)"
        return text


def gpu_info() -> list[GpuInfo]:
    """GPUs with their VRAM use: NVIDIA ones via NVML; without NVML, the CUDA devices of an
    already initialised torch (never imports torch, never creates a CUDA context); ``[]`` when
    neither answers. Takes milliseconds (a driver call per GPU): call it off the GUI thread."""
    try:
        import pynvml
    except ImportError:
        return _torch_gpus()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # NVMLError_LibraryNotFound / DriverNotLoaded without a GPU
        return _torch_gpus()
    try:
        return [_one_gpu(pynvml, i) for i in range(pynvml.nvmlDeviceGetCount())]
    except pynvml.NVMLError as exc:
        _log.warning("NVML could not read the GPUs: %s", exc)
        return []
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def _one_gpu(pynvml: Any, index: int) -> GpuInfo:
    handle = pynvml.nvmlDeviceGetHandleByIndex(index)
    name = pynvml.nvmlDeviceGetName(handle)
    mem = pynvml.nvmlDeviceGetMemoryInfo(handle)
    name = name.decode() if isinstance(name, bytes) else str(name)
    return GpuInfo(index, name, int(mem.used), int(mem.total), _process_bytes(pynvml, handle))


def _process_bytes(pynvml: Any, handle: Any) -> int | None:
    """VRAM of this process on ``handle`` by NVML's compute + graphics process lists."""
    pid, found, total = os.getpid(), False, 0
    for query in ("nvmlDeviceGetComputeRunningProcesses", "nvmlDeviceGetGraphicsRunningProcesses"):
        try:
            procs = getattr(pynvml, query)(handle)
        except (pynvml.NVMLError, AttributeError):
            continue
        for proc in procs:
            used = getattr(proc, "usedGpuMemory", None)
            if getattr(proc, "pid", None) == pid and used is not None:
                found, total = True, total + int(used)
    return total if found else None


def _torch_gpus() -> list[GpuInfo]:
    """The CUDA devices torch already works on (it must be imported and initialised by an
    engine: this never imports torch nor creates a context, which costs hundreds of MB)."""
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is None or not cuda.is_initialized():
        return []
    gpus = []
    try:
        current = cuda.current_device()
        for index in range(cuda.device_count()):
            reserved = int(cuda.memory_reserved(index))
            if index != current and not reserved:
                continue  # no context there: mem_get_info would make one
            free, total = cuda.mem_get_info(index)
            name = cuda.get_device_name(index)
            gpus.append(GpuInfo(index, name, int(total - free), int(total), reserved))
    except RuntimeError as exc:  # a CUDA error: report what was read
        _log.warning("CUDA could not report the GPUs' memory: %s", exc)
    return gpus


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def image_to_tensor(
    image: Any,
    size: tuple[int, int],
    device: Any,
    *,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> Any:
    """float32 RGB ``(H, W, 3)`` in [0, 1] → normalised ``(1, 3, h, w)`` tensor on ``device``.

    The resize to ``size = (h, w)`` does not keep the aspect ratio (area filter when
    shrinking, cubic when enlarging); this is the by-hand replacement for the transformers
    fast image processors, which need torchvision.
    """
    import cv2
    import numpy as np
    import torch

    h, w = int(size[0]), int(size[1])
    src = np.ascontiguousarray(image[..., :3], dtype=np.float32)
    shrink = h * w < src.shape[0] * src.shape[1]
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    small = cv2.resize(src, (w, h), interpolation=interp) if src.shape[:2] != (h, w) else src
    norm = (np.clip(small, 0.0, 1.0) - np.float32(mean)) / np.float32(std)
    tensor = torch.from_numpy(np.ascontiguousarray(norm.transpose(2, 0, 1)))[None]
    return tensor.to(device)
