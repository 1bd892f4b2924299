"""``depth.depth_anything_v2``: relative depth with Depth Anything V2 (transformers).

Preprocessing is done by hand (as the transformers image processor does, without
torchvision): the short side is scaled to ``input_size`` (518) keeping the aspect ratio, both
sides rounded to a multiple of the patch size (14), bicubic, ImageNet mean/std. The model
predicts relative **inverse** depth (disparity: near is large), known only up to a scale and
a shift. It is upsampled to the frame and returned as ``depth = 1 - normalised disparity``
(0 = nearest, 1 = farthest; larger = farther, as the engines' protocol says), or as the
normalised disparity with ``output="disparity"``.

**Sequence-consistent mode** (``consistent=True``): each frame's disparity is aligned to the
previous frame's output by a least-squares scale and shift (:func:`align_scale_shift`), which
removes the per-frame rescaling flicker of monocular depth, then blended with it
(``smoothing`` weight). Call :meth:`DepthAnythingEstimator.reset` between shots.

Small (Apache-2.0) is the default; Base and Large weights are CC-BY-NC-4.0 (non-commercial).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import check_image
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_sam2 import any_model_available, pick_model
from ultimate_roto.core.errors import InputError

DEPTH_MODELS = ("depth-anything-v2-small", "depth-anything-v2-base", "depth-anything-v2-large")
ENGINES = (
    EngineSpec(
        id="depth.depth_anything_v2",
        task="depth",
        name="Depth Anything V2",
        description="Relative depth per frame, optionally aligned across the sequence",
        factory="ultimate_roto.core.engines.depth_anything:DepthAnythingEstimator",
        needs_gpu=False,
        weights=DEPTH_MODELS,
        licence="Apache-2.0 (small); CC-BY-NC-4.0 non-commercial (base, large)",
        check="ultimate_roto.core.engines.depth_anything:availability",
        priority=20,
    ),
)
_OUTPUTS = ("depth", "disparity")


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: some Depth Anything V2 checkpoint is installed."""
    return any_model_available(DEPTH_MODELS)


def input_shape(height: int, width: int, short: int = 518, multiple: int = 14) -> tuple[int, int]:
    """Model input ``(h, w)``: short side → ``short``, aspect kept, sides multiples of 14."""
    scale = short / min(height, width)
    h = max(multiple, int(round(height * scale / multiple)) * multiple)
    w = max(multiple, int(round(width * scale / multiple)) * multiple)
    return h, w


def align_scale_shift(
    src: np.ndarray, ref: np.ndarray, mask: np.ndarray | None = None, max_samples: int = 65536
) -> tuple[float, float]:
    """Least-squares ``(s, t)`` minimising ``|s·src + t − ref|²`` (over ``mask`` if given).

    Pixels are subsampled on a regular grid to at most ``max_samples``.
    """
    a = np.asarray(src, np.float64).ravel()
    b = np.asarray(ref, np.float64).ravel()
    if mask is not None:
        keep = np.asarray(mask, bool).ravel()
        a, b = a[keep], b[keep]
    step = max(1, a.size // max_samples)
    a, b = a[::step], b[::step]
    if a.size < 2 or float(np.var(a)) < 1e-12:
        return 1.0, float(np.mean(b) - np.mean(a)) if a.size else 0.0
    design = np.stack([a, np.ones_like(a)], axis=1)
    (s, t), *_ = np.linalg.lstsq(design, b, rcond=None)
    return float(s), float(t)


def normalise(disparity: np.ndarray) -> np.ndarray:
    """Map to [0, 1] by the 1st/99th percentiles (robust to a few extreme pixels)."""
    lo, hi = np.percentile(disparity, [1.0, 99.0])
    return np.clip((disparity - lo) / max(float(hi - lo), 1e-6), 0.0, 1.0).astype(np.float32)


class DepthAnythingEstimator:
    """The ``depth.depth_anything_v2`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    model
        A Depth Anything V2 model id (:data:`DEPTH_MODELS`) or ``"auto"`` (small first).
    input_size
        Short side of the model input in pixels (518 as trained).
    consistent
        Align each frame to the previous one (scale/shift least squares) for sequences.
    smoothing
        In consistent mode, weight of the previous frame in the blend (0 = none).
    output
        ``"depth"`` (0 near … 1 far) or ``"disparity"`` (1 near … 0 far).
    half
        fp16/bf16 autocast on CUDA.

    Raises
    ------
    InputError
        Bad option, unknown model, or no weights (the hint says how to install them).
    """

    def __init__(
        self,
        device: str = "auto",
        *,
        model: str = "auto",
        input_size: int = 518,
        consistent: bool = False,
        smoothing: float = 0.3,
        output: str = "depth",
        half: bool = True,
    ) -> None:
        if output not in _OUTPUTS:
            raise InputError(f"depth output '{output}'", hint="use 'depth' or 'disparity'")
        if not 0.0 <= smoothing < 1.0:
            raise InputError(f"depth smoothing {smoothing}", hint="use 0 ≤ smoothing < 1")
        if not 14 <= int(input_size) <= 2044:
            raise InputError(f"depth input_size {input_size}", hint="use 14-2044 (518 default)")
        self.device, self.device_reason = devices.resolve_device(device)
        # "auto" takes the smallest installed model on any device: base/large are non-commercial
        self.model_id = pick_model(model, DEPTH_MODELS, devices.resolve_device("cpu")[0])
        models.require(self.model_id)
        self.input_size = int(input_size)
        self.consistent = consistent
        self.smoothing = float(smoothing)
        self.output = output
        self.half = half
        self._model: Any = None
        self._prev: np.ndarray | None = None

    @property
    def model(self) -> Any:
        """The loaded ``DepthAnythingForDepthEstimation`` (loaded on first use)."""
        if self._model is None:
            from transformers import DepthAnythingForDepthEstimation

            self._model = models.load_pretrained(
                DepthAnythingForDepthEstimation, self.model_id, self.device
            )
        return self._model

    def reset(self) -> None:
        """Forget the previous frame (start of a new shot in consistent mode)."""
        self._prev = None

    def estimate(self, image: np.ndarray) -> np.ndarray:
        """Relative depth of a frame: float32 ``(H, W)`` in [0, 1] (see ``output``).

        Raises
        ------
        InputError
            Not an RGB image.
        """
        img = check_image(image)
        disp = self.disparity(img)
        if self.consistent and self._prev is not None and self._prev.shape == disp.shape:
            s, t = align_scale_shift(disp, self._prev)
            aligned = np.clip(s * disp + t, 0.0, 1.0)
            disp = (self.smoothing * self._prev + (1.0 - self.smoothing) * aligned).astype(
                np.float32
            )
        else:
            disp = normalise(disp)
        self._prev = disp if self.consistent else None
        return disp if self.output == "disparity" else (1.0 - disp).astype(np.float32)

    def disparity(self, image: np.ndarray) -> np.ndarray:
        """Raw model output (relative inverse depth, arbitrary scale/shift) at the frame size."""
        import cv2
        import torch

        h, w = image.shape[:2]
        patch = int(getattr(self.model.config, "patch_size", 14))
        size = input_shape(h, w, self.input_size, patch)
        pixels = devices.image_to_tensor(image, size, self.device)
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            pred = self.model(pixel_values=pixels).predicted_depth
        raw = pred[0].float().cpu().numpy()
        return cv2.resize(raw, (w, h), interpolation=cv2.INTER_CUBIC).astype(np.float32)
