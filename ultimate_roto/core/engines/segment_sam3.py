"""``segment.sam3``: text prompts ("person in red jacket") → mask with SAM 3 (transformers).

The frame is resized to the model's square input (1008² for the release; aspect not kept)
and normalised with mean/std 0.5 by hand; the text is tokenised with the tokenizer stored
beside the weights (padded to 32 tokens, as ``Sam3Processor`` does). Every detected instance
scores ``sigmoid(pred_logit) · sigmoid(presence_logit)``; those above ``threshold`` are
united into one mask (upsampled logits → sigmoid). Foreground clicks given with the text keep
only the instances under a click.

**Box and click-only prompts are routed to** ``segment.sam2``: SAM 3's geometry encoder
calls torchvision's ``roi_align``, and torchvision is not usable in this project.
:attr:`Sam3Segmenter.last_info` says when that happened. SAM 3's vision encoder takes ≈ 29 s
per frame on a 2-core CPU: it is meant for GPUs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_sam2 import _to_mask, any_model_available
from ultimate_roto.core.errors import InputError

SAM3_MODELS = ("sam3",)
ENGINES = (
    EngineSpec(
        id="segment.sam3",
        task="segment",
        name="SAM 3 (text prompts)",
        description="Text description to a mask with SAM 3; boxes and clicks go to SAM 2.1",
        factory="ultimate_roto.core.engines.segment_sam3:Sam3Segmenter",
        needs_gpu=False,
        weights=SAM3_MODELS,
        licence="SAM License (Meta)",
        check="ultimate_roto.core.engines.segment_sam3:availability",
        priority=25,
        reads_text=True,
    ),
)
MAX_TOKENS = 32


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: the SAM 3 checkpoint is installed."""
    return any_model_available(SAM3_MODELS)


class Sam3Segmenter:
    """The ``segment.sam3`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    threshold
        Minimum instance score (0.3 as in ``Sam3Processor``).
    half
        fp16/bf16 autocast on CUDA.
    sam2_options
        Options for the ``segment.sam2`` engine used for box/click-only prompts.

    Raises
    ------
    InputError
        No SAM 3 weights (the hint says how to install them), bad threshold or device.
    """

    def __init__(
        self,
        device: str = "auto",
        *,
        threshold: float = 0.3,
        half: bool = True,
        sam2_options: dict[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= threshold < 1.0:
            raise InputError(f"segment.sam3 threshold {threshold}", hint="use 0 ≤ threshold < 1")
        self.device, self.device_reason = devices.resolve_device(device)
        self.model_id = SAM3_MODELS[0]
        self.location = models.require(self.model_id)
        self.threshold = float(threshold)
        self.half = half
        self.sam2_options = dict(sam2_options or {})
        self.last_info: dict[str, Any] = {}
        self._model: Any = None
        self._tokenizer: Any = None
        self._sam2: Any = None

    @property
    def model(self) -> Any:
        """The loaded ``Sam3Model`` (loaded on first use)."""
        if self._model is None:
            from transformers import Sam3Model

            self._model = models.load_pretrained(Sam3Model, self.model_id, self.device)
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The text tokenizer stored with the weights."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(
                str(self.location.path), local_files_only=True
            )
        return self._tokenizer

    def segment(
        self, image: np.ndarray, prompts: list[Prompt], *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Mask of what the prompts' text describes (or SAM 2's mask for box/click prompts).

        Raises
        ------
        InputError
            Bad image, no prompt, prompts on several frames, or an invalid prompt.
        """
        img = check_image(image)
        h, w = img.shape[:2]
        if not prompts:
            raise InputError("segment.sam3: no prompt given", hint="type what to segment")
        for p in prompts:
            p.validate(w, h)
        texts = [p.text.strip() for p in prompts if p.text and p.text.strip()]
        if not texts:
            self.last_info = {"routed": "segment.sam2", "why": "box/click prompts need roi_align"}
            return self._sam2_engine().segment(img, prompts, progress=progress)
        clicks = [pt for p in prompts for pt in p.fg_points]
        logits, scores = self.instances(img, ". ".join(texts))
        keep = [i for i, s in enumerate(scores) if s > self.threshold]
        masks = [_to_mask(logits[i], h, w) for i in keep]
        if clicks:
            masks = [m for m in masks if any(m[int(y), int(x)] >= 0.5 for x, y in clicks)]
        self.last_info = {"text": texts, "scores": scores, "kept": len(masks)}
        if progress is not None:
            progress.report(1.0, f"SAM 3: {len(masks)} instance(s)")
        return np.max(np.stack(masks), axis=0) if masks else np.zeros((h, w), np.float32)

    def instances(self, image: np.ndarray, text: str) -> tuple[np.ndarray, list[float]]:
        """All instance mask logits (low-res, ``(N, h, w)``) and their scores for a text."""
        import torch

        s = int(self.model.config.vision_config.backbone_config.image_size)
        pixels = devices.image_to_tensor(
            image, (s, s), self.device, mean=(0.5,) * 3, std=(0.5,) * 3
        )
        tok = self.tokenizer(
            [text],
            padding="max_length",
            max_length=MAX_TOKENS,
            truncation=True,
            return_tensors="pt",
        )
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            out = self.model(
                pixel_values=pixels,
                input_ids=tok["input_ids"].to(self.device),
                attention_mask=tok["attention_mask"].to(self.device),
            )
        scores = out.pred_logits[0].float().sigmoid()
        if out.presence_logits is not None:
            scores = scores * out.presence_logits[0].float().sigmoid()
        return out.pred_masks[0].float().cpu().numpy(), scores.cpu().tolist()

    def _sam2_engine(self) -> Any:
        if self._sam2 is None:
            from ultimate_roto.core.engines.segment_sam2 import Sam2Segmenter

            self._sam2 = Sam2Segmenter(str(self.device), **self.sam2_options)
        return self._sam2
