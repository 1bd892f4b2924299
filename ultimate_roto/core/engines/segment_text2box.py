"""``segment.text2box``: text prompts → boxes (OWLv2 or Grounding DINO) → masks with SAM 2.1.

The light alternative to ``segment.sam3`` for text prompts ("person in red jacket") on
machines where SAM 3's ≈ 29 s-per-frame vision encoder is impractical. Pipeline for a frame:

1. **Detection** — an open-vocabulary detector turns each prompt's text into scored boxes:

   * ``grounding-dino-tiny`` (``GroundingDinoForObjectDetection``, preferred when both are
     installed: it reads attribute phrases better). Preprocessing as its image processor
     does: resize keeping the aspect so the short side is 800 and the long side at most 1333,
     ImageNet mean/std, an all-ones ``pixel_mask``; the text is lower-cased and ends with
     ``"."``. A box's score is the max over the text tokens of ``sigmoid(logits)``; boxes are
     ``(cx, cy, w, h)`` relative to the (unpadded) image, so they scale by ``(W, H)``.
   * ``owlv2`` (``Owlv2ForObjectDetection``). Preprocessing as ``Owlv2ImageProcessor``:
     pad bottom/right with black to a square of side ``max(W, H)``, Gaussian anti-alias
     (σ = (factor − 1)/2) and bilinear resize to the model's square input (960 for the
     release), CLIP mean/std; text padded to 16 tokens. All the prompts' texts are queries
     of one forward pass. Boxes are relative to the padded square, so they scale by
     ``max(W, H)`` on both axes.

   Both transformers image processors need torchvision (fast) or are replaced here by
   numpy/OpenCV code; only the models themselves are called.
2. **Choice** — per text prompt, the **best-scoring box** above ``threshold`` is used
   (``instances="all"`` keeps every box above it, e.g. "all the cars"; each box is decoded
   separately by SAM 2 and the masks are united). With foreground clicks in the same prompt,
   boxes that contain every click are preferred. Nothing above the threshold is an
   :class:`~ultimate_roto.core.errors.InputError` naming the prompt and the best score seen.
3. **Mask** — the box (clipped to the frame) plus the prompt's fg/bg clicks go to the
   ``segment.sam2`` engine (:class:`~.segment_sam2.Sam2Segmenter`), which caches the frame's
   embedding. Prompts without text (box or clicks only) go straight to SAM 2, and so do
   prompts with a drawn box: the user's box wins over the detector (their text is unused).

:attr:`Text2BoxSegmenter.last_info` records the detector, every query's best score and the
boxes handed to SAM 2 (source pixels).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ultimate_roto.core.engines import devices, models
from ultimate_roto.core.engines.base import ProgressLike, Prompt, check_image
from ultimate_roto.core.engines.registry import EngineSpec
from ultimate_roto.core.engines.segment_sam2 import SAM2_MODELS, any_model_available
from ultimate_roto.core.errors import InputError

#: Detectors in order of preference for ``detector="auto"``.
DETECTOR_MODELS = ("grounding-dino-tiny", "owlv2")
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
GDINO_SIZE = (800, 1333)  # shortest edge, longest edge
ENGINES = (
    EngineSpec(
        id="segment.text2box",
        task="segment",
        name="Text → box → SAM 2.1",
        description="Text description to boxes with OWLv2 or Grounding DINO, then SAM 2.1 masks",
        factory="ultimate_roto.core.engines.segment_text2box:Text2BoxSegmenter",
        needs_gpu=False,
        weights=(*DETECTOR_MODELS, *SAM2_MODELS),
        licence="Apache-2.0",
        check="ultimate_roto.core.engines.segment_text2box:availability",
        priority=20,
        reads_text=True,
    ),
)


def availability() -> tuple[bool, str]:
    """``(ok, reason)``: a text detector **and** a SAM 2.1 checkpoint are installed."""
    ok_det, why_det = any_model_available(DETECTOR_MODELS)
    ok_sam, why_sam = any_model_available(SAM2_MODELS)
    if ok_det and ok_sam:
        return True, f"detector {why_det}; SAM 2.1 {why_sam}"
    missing = [w for ok, w in ((ok_det, why_det), (ok_sam, why_sam)) if not ok]
    return False, "; ".join(missing)


@dataclass(frozen=True)
class Detection:
    """One detected box in source pixels ``(x0, y0, x1, y1)`` with its score in [0, 1]."""

    box: tuple[float, float, float, float]
    score: float


class Text2BoxSegmenter:
    """The ``segment.text2box`` engine.

    Parameters
    ----------
    device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.
    detector
        ``"grounding-dino-tiny"``, ``"owlv2"`` or ``"auto"`` (the first installed of
        :data:`DETECTOR_MODELS`).
    threshold
        Minimum box score (0.3; lower it when a prompt finds nothing).
    instances
        ``"best"``: one box per text prompt; ``"all"``: every box above ``threshold``.
    detector_size
        Override of the detector input: OWLv2's square side, or Grounding DINO's short side
        (the long side limit scales with it). None = the model's own (960 / 800).
    half
        fp16/bf16 autocast on CUDA.
    sam2_options
        Options for the ``segment.sam2`` engine (``model``, ``cache``, ``media_id`` …).

    Raises
    ------
    InputError
        No detector or no SAM 2.1 weights (the hint says how to install them), a bad
        threshold, ``instances`` value or device.
    """

    def __init__(
        self,
        device: str = "auto",
        *,
        detector: str = "auto",
        threshold: float = 0.3,
        instances: str = "best",
        detector_size: int | None = None,
        half: bool = True,
        sam2_options: dict[str, Any] | None = None,
    ) -> None:
        if not 0.0 <= threshold < 1.0:
            raise InputError(
                f"segment.text2box threshold {threshold}", hint="use 0 ≤ threshold < 1"
            )
        if instances not in ("best", "all"):
            raise InputError(f"segment.text2box instances '{instances}'", hint="'best' or 'all'")
        self.device, self.device_reason = devices.resolve_device(device)
        self.detector_id = _pick_detector(detector)
        self.location = models.require(self.detector_id)
        from ultimate_roto.core.engines.segment_sam2 import Sam2Segmenter

        self.sam2 = Sam2Segmenter(str(self.device), **{"half": half, **(sam2_options or {})})
        self.threshold = float(threshold)
        self.instances = instances
        self.detector_size = detector_size
        self.half = half
        self.last_info: dict[str, Any] = {}
        self._model: Any = None
        self._tokenizer: Any = None

    @property
    def model(self) -> Any:
        """The loaded detector (loaded on first use)."""
        if self._model is None:
            import transformers

            cls = (
                transformers.Owlv2ForObjectDetection
                if self.detector_id == "owlv2"
                else transformers.GroundingDinoForObjectDetection
            )
            self._model = models.load_pretrained(cls, self.detector_id, self.device)
        return self._model

    @property
    def tokenizer(self) -> Any:
        """The detector's text tokenizer, stored with its weights."""
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(
                str(self.location.path), local_files_only=True
            )
        return self._tokenizer

    def segment(
        self, image: np.ndarray, prompts: list[Prompt], *, progress: ProgressLike | None = None
    ) -> np.ndarray:
        """Mask of what the prompts describe (text → box → SAM 2; boxes/clicks → SAM 2).

        Returns
        -------
        numpy.ndarray
            float32 ``(H, W)`` in [0, 1].

        Raises
        ------
        InputError
            Bad image, no prompt, prompts on several frames, an invalid or empty prompt, or a
            text prompt with no box scoring above ``threshold``.
        """
        img = check_image(image)
        h, w = img.shape[:2]
        _validate(prompts, w, h)
        texts = [p for p in prompts if p.text and p.text.strip() and p.box is None]
        if not texts:
            self.last_info = {"routed": "segment.sam2", "why": "no text in the prompts"}
            return self.sam2.segment(img, prompts, progress=progress)
        if progress is not None:
            progress.report(0.1, f"{self.detector_id}: detecting {len(texts)} text prompt(s)")
        found = self.detect(img, [p.text.strip() for p in texts if p.text])
        self.last_info = {
            "detector": self.detector_id,
            "scores": [max((d.score for d in dets), default=0.0) for dets in found],
        }
        boxed = [q for p, dets in zip(texts, found, strict=True) for q in self._boxes(p, dets)]
        rest = [p for p in prompts if all(p is not q for q in texts)]
        self.last_info["boxes"] = [q.box for q in boxed]
        if progress is not None:
            progress.check_aborted()
        return self.sam2.segment(img, boxed + rest, progress=progress)

    def detect(self, image: np.ndarray, texts: list[str]) -> list[list[Detection]]:
        """All boxes (source pixels, best first) for each text on a float32 RGB image."""
        if self.detector_id == "owlv2":
            return self._detect_owlv2(image, texts)
        return [self._detect_gdino(image, t) for t in texts]

    def _boxes(self, prompt: Prompt, dets: list[Detection]) -> list[Prompt]:
        """The SAM 2 prompts (box + the prompt's clicks) chosen from a text's detections."""
        keep = [d for d in dets if d.score > self.threshold]
        best = max((d.score for d in dets), default=0.0)
        if not keep:
            raise InputError(
                f"segment.text2box: {prompt.describe()} '{prompt.text}' found nothing above "
                f"the threshold {self.threshold:g} (best box score {best:.3f})",
                hint="draw a box around the object, add a foreground click, or lower the "
                "threshold (engine option 'threshold')",
            )
        fg = prompt.fg_points
        if fg:
            inside = [d for d in keep if all(_in_box(pt, d.box) for pt in fg)]
            keep = inside or keep
        if self.instances == "best":
            keep = [max(keep, key=lambda d: d.score)]
        return [Prompt(prompt.frame, prompt.points, d.box, None, prompt.name) for d in keep]

    # -- OWLv2 ---------------------------------------------------------------------------------
    def _detect_owlv2(self, image: np.ndarray, texts: list[str]) -> list[list[Detection]]:
        import torch

        cfg = self.model.config
        side = int(self.detector_size or cfg.vision_config.image_size)
        pixels = owlv2_pixels(image, side, self.device)
        n_tok = int(cfg.text_config.max_position_embeddings)
        tok = self.tokenizer(
            [t.lower() for t in texts],
            padding="max_length",
            max_length=n_tok,
            truncation=True,
            return_tensors="pt",
        )
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            out = self.model(
                pixel_values=pixels,
                input_ids=tok["input_ids"].to(self.device),
                attention_mask=tok["attention_mask"].to(self.device),
            )
        h, w = image.shape[:2]
        scale = float(max(h, w))  # boxes are relative to the padded square
        boxes = _corners(out.pred_boxes[0].float().cpu().numpy()) * scale
        scores = out.logits[0].float().sigmoid().cpu().numpy()  # (patches, queries)
        return [_detections(boxes, scores[:, q], w, h) for q in range(len(texts))]

    # -- Grounding DINO ------------------------------------------------------------------------
    def _detect_gdino(self, image: np.ndarray, text: str) -> list[Detection]:
        import torch

        short = int(self.detector_size or GDINO_SIZE[0])
        longest = round(short * GDINO_SIZE[1] / GDINO_SIZE[0])
        pixels = gdino_pixels(image, short, longest, self.device)
        phrase = text.lower().strip()
        phrase = phrase if phrase.endswith(".") else phrase + "."
        tok = self.tokenizer([phrase], truncation=True, return_tensors="pt")
        tok = {k: v.to(self.device) for k, v in tok.items()}
        mask = torch.ones(pixels.shape[:1] + pixels.shape[2:], dtype=torch.long)
        with torch.inference_mode(), devices.autocast(self.device, self.half):
            out = self.model(pixel_values=pixels, pixel_mask=mask.to(self.device), **tok)
        h, w = image.shape[:2]
        boxes = _corners(out.pred_boxes[0].float().cpu().numpy()) * np.float32([w, h, w, h])
        scores = out.logits[0].float().sigmoid().amax(dim=-1).cpu().numpy()
        return _detections(boxes, scores, w, h)


def _pick_detector(detector: str) -> str:
    if detector != "auto":
        if detector not in DETECTOR_MODELS:
            raise InputError(
                f"segment.text2box: detector '{detector}' is not one of "
                + ", ".join(DETECTOR_MODELS),
                hint="or 'auto'",
            )
        return detector
    for mid in DETECTOR_MODELS:
        if models.locate(mid) is not None:
            return mid
    raise InputError(
        "segment.text2box: no text detector installed (" + ", ".join(DETECTOR_MODELS) + ")",
        hint=models.install_hint(DETECTOR_MODELS[0]),
    )


def _validate(prompts: list[Prompt], w: int, h: int) -> None:
    if not prompts:
        raise InputError("segment.text2box: no prompt given", hint="type what to segment")
    if len({p.frame for p in prompts}) > 1:
        raise InputError(
            f"segment.text2box: prompts are on frames {sorted({p.frame for p in prompts})}",
            hint="segment one frame at a time",
        )
    for p in prompts:
        if p.text is not None and not p.text.strip() and not p.points and p.box is None:
            raise InputError(
                f"segment.text2box: {p.describe()} has empty text",
                hint="type what to segment (e.g. 'person in red jacket'), or draw a box",
            )
        p.validate(w, h)


def owlv2_pixels(image: np.ndarray, side: int, device: Any) -> Any:
    """OWLv2 input: pad bottom/right to a black square, anti-aliased resize, CLIP mean/std."""
    import cv2
    import torch

    h, w = image.shape[:2]
    n = max(h, w)
    square = np.zeros((n, n, 3), np.float32)
    square[:h, :w] = np.clip(image[..., :3], 0.0, 1.0)
    factor = n / side
    if factor > 1:  # as Owlv2ImageProcessor: Gaussian σ = (factor - 1) / 2, then bilinear
        sigma = (factor - 1) / 2
        square = cv2.GaussianBlur(square, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    small = cv2.resize(square, (side, side), interpolation=cv2.INTER_LINEAR)
    norm = (small - np.float32(CLIP_MEAN)) / np.float32(CLIP_STD)
    return torch.from_numpy(np.ascontiguousarray(norm.transpose(2, 0, 1)))[None].to(device)


def gdino_size(h: int, w: int, short: int, longest: int) -> tuple[int, int]:
    """``(h, w)`` as Grounding DINO's processor resizes: short side ``short``, long ≤ ``longest``."""
    lo, hi = float(min(h, w)), float(max(h, w))
    size, raw = short, None
    if hi / lo * short > longest:
        raw = longest * lo / hi
        size = int(round(raw))
    if (h <= w and h == size) or (w <= h and w == size):
        return h, w
    if w < h:
        return (int(raw * h / w) if raw is not None else int(size * h / w)), size
    return size, (int(raw * w / h) if raw is not None else int(size * w / h))


def gdino_pixels(image: np.ndarray, short: int, longest: int, device: Any) -> Any:
    """Grounding DINO input: aspect-keeping resize (:func:`gdino_size`), ImageNet mean/std."""
    h, w = image.shape[:2]
    return devices.image_to_tensor(image, gdino_size(h, w, short, longest), device)


def _corners(cxcywh: np.ndarray) -> np.ndarray:
    cx, cy, bw, bh = (cxcywh[:, i] for i in range(4))
    return np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)


def _detections(boxes: np.ndarray, scores: np.ndarray, w: int, h: int) -> list[Detection]:
    """Boxes clipped to the frame (at least 1 px wide/high), best score first."""
    out = []
    for (x0, y0, x1, y1), s in zip(boxes.tolist(), scores.tolist(), strict=True):
        x0, x1 = min(max(x0, 0.0), w - 1.0), min(max(x1, 0.0), float(w))
        y0, y1 = min(max(y0, 0.0), h - 1.0), min(max(y1, 0.0), float(h))
        x1, y1 = max(x1, x0 + 1.0), max(y1, y0 + 1.0)
        out.append(Detection((x0, y0, x1, y1), float(s)))
    return sorted(out, key=lambda d: -d.score)


def _in_box(pt: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= pt[0] <= box[2] and box[1] <= pt[1] <= box[3]
