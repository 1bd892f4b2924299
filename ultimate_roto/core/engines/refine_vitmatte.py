"""``refine.vitmatte``: hard mask → soft alpha with ViTMatte (transformers).

1. A trimap is built from the mask (:func:`ultimate_roto.core.engines.trimap.make_trimap`:
   an unknown band of ``band`` pixels around the edge, optionally contrast-adaptive).
2. Only the box around the unknown band (plus a margin for context) goes through the model;
   outside it the trimap is already decided.
3. Input as the transformers processor builds it, by hand: RGB normalised with mean/std 0.5,
   the trimap in [0, 1] as a 4th channel, padded bottom/right to a multiple of 32 (the
   ViTDet patch grid and the decoder need it), and the prediction cropped back.
4. Sure foreground/background from the trimap are kept exactly; the model decides the band.

Inputs larger than ``max_side`` are processed at a reduced scale and the alpha upsampled
(ViTMatte's attention cost grows with the square of the pixel count).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import ProgressLike, check_image, check_mask
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_sam2 import any_model_available
from ultimate_roto.core.engines.trimap import UNKNOWN, make_trimap, unknown_box
from ultimate_roto.core.errors import InputError

VITMATTE_MODELS = ("vitmatte-small-composition-1k",)
ENGINES = (
    EngineSpec(
        id="refine.vitmatte",
        task="refine",
        name="ViTMatte",
        description="Soft alpha from a mask: trimap band solved by ViTMatte",
        factory="ultimate_roto.core.engines.refine_vitmatte:VitMatteRefiner",
        needs_gpu=False,
        weights=VITMATTE_MODELS,
        licence="Apache-2.0",
        check="ultimate_roto.core.engines.refine_vitmatte:availability",
        priority=30,
    ),
)
PAD = 32


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: the ViTMatte checkpoint is installed."""
    return any_model_available(VITMATTE_MODELS)


def pad_to_multiple(x: np.ndarray, multiple: int = PAD) -> np.ndarray:
    """Zero-pad an ``(H, W, C)`` array bottom/right to multiples of ``multiple``."""
    h, w = x.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    return np.pad(x, ((0, ph), (0, pw), (0, 0))) if ph or pw else x


class VitMatteRefiner:
    """The ``refine.vitmatte`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    model
        ``"vitmatte-small-composition-1k"`` or ``"auto"``.
    band
        Width of the trimap's unknown band in pixels.
    adaptive
        Widen the band where the edge has low contrast (see ``trimap.make_trimap``).
    max_side
        Longest side processed at full resolution; larger crops are scaled down.
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
        band: float = 12.0,
        adaptive: bool = False,
        max_side: int = 1536,
        half: bool = True,
    ) -> None:
        if model != "auto" and model not in VITMATTE_MODELS:
            raise InputError(f"ViTMatte model '{model}'", hint=f"use {VITMATTE_MODELS[0]}")
        if not PAD <= int(max_side) <= 8192:
            raise InputError(f"refine.vitmatte max_side={max_side}", hint="use 32-8192")
        self.device, self.device_reason = devices.resolve_device(device)
        self.model_id = VITMATTE_MODELS[0]
        models.require(self.model_id)
        self.band = float(band)
        self.adaptive = adaptive
        self.max_side = int(max_side)
        self.half = half
        self._model: Any = None

    @property
    def model(self) -> Any:
        """The loaded ``VitMatteForImageMatting`` (loaded on first use)."""
        if self._model is None:
            from transformers import VitMatteForImageMatting

            self._model = models.load_pretrained(
                VitMatteForImageMatting, self.model_id, self.device
            )
        return self._model

    def refine(
        self, image: np.ndarray, mask: np.ndarray, *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Soft alpha for ``mask`` on ``image``: float32 ``(H, W)`` in [0, 1].

        Raises
        ------
        InputError
            Bad image, a mask of another size or with NaN, or a bad band width.
        """
        img = check_image(image)
        m = check_mask(mask, img.shape[:2])
        tri = make_trimap(m, self.band, image=img, adaptive=self.adaptive)
        box = unknown_box(tri, pad=int(self.band) + 16)
        if box is None:  # all foreground or all background: nothing to solve
            return tri.copy()
        y0, y1, x0, x1 = box
        if progress is not None:
            progress.report(0.1, "ViTMatte: solving the edge band")
        alpha = tri.copy()
        crop = self.matte(img[y0:y1, x0:x1], tri[y0:y1, x0:x1])
        band = tri[y0:y1, x0:x1] == UNKNOWN
        alpha[y0:y1, x0:x1][band] = crop[band]
        if progress is not None:
            progress.report(1.0, "ViTMatte: done")
        return alpha

    def matte(self, image: np.ndarray, trimap: np.ndarray) -> np.ndarray:
        """Run the model on an image and its trimap (same size); alpha float32 ``(h, w)``."""
        import cv2
        import torch

        h, w = image.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            trimap = cv2.resize(trimap, size, interpolation=cv2.INTER_NEAREST)
        x = np.concatenate([(image - 0.5) / 0.5, trimap[..., None]], axis=-1)
        x = pad_to_multiple(x.astype(np.float32))
        pixels = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))[None]
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            out = self.model(pixel_values=pixels.to(self.device)).alphas
        alpha = out[0, 0, : image.shape[0], : image.shape[1]].float().cpu().numpy()
        if scale < 1.0:
            alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        return np.clip(alpha, 0.0, 1.0).astype(np.float32)
